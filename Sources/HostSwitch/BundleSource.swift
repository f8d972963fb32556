import Bundle
import HTTPSource

/// Where a switch reads its bundle: a file or a block device (read twice: every payload is
/// verified before the slot is touched), or an http:// URL (read once, streamed in manifest
/// order: each payload is checked while it is written, and a mismatch stops the write with
/// the slot left empty; a second pass would cost a second download).
enum BundleSource {
    /// The reader and whether it is a stream read once.
    /// `caFile`: the certificates an https server must chain to (nil: the system's).
    static func open(_ source: String, caFile: String? = nil) throws -> (UpdateBundle.Reader, streamed: Bool) {
        if source.hasPrefix("http://") || source.hasPrefix("https://") {
            let input = try HTTPBundleInput(url: source, client: HTTP.Client(caFile: caFile))
            return (try UpdateBundle.Reader(input: input, sequential: true), true)
        }
        return (try UpdateBundle.Reader(path: source), false)
    }
}
