import Bundle

/// Where a switch reads its bundle: a file or a block device (read twice: every payload is
/// verified before the slot is touched), or an http:// URL (read once, streamed: checked while
/// it is written, a mismatch stops the write with the slot left empty).
enum BundleSource {
    /// The reader and whether it is a stream read once.
    static func open(_ source: String) throws -> (UpdateBundle.Reader, streamed: Bool) {
        if source.hasPrefix("http://") || source.hasPrefix("https://") {
            throw SwitchError.refused("\(source): reading a bundle over HTTP is not built yet")
        }
        return (try UpdateBundle.Reader(path: source), false)
    }
}
