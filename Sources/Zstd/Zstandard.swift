internal import CZstd

/// One-shot zstd compression and decompression of byte arrays.
///
/// The image build compresses whole artefacts (an initrd, a squashed payload) and unpacks
/// `.deb` members and kernel modules that arrive as `.zst`. Those fit in memory, so a
/// single call is the simplest correct interface; anything streamed through a pipe uses
/// `ZstdCompressor`/`ZstdDecompressor` instead.
///
/// Frames carry a content checksum by default, as the `zstd` CLI writes them, so corruption
/// is caught on decompression rather than silently propagated into an image.
public enum Zstandard {
    /// Levels this libzstd accepts (negative levels are the "fast" modes).
    public static var levels: ClosedRange<Int> {
        Int(ZSTD_minCLevel())...Int(ZSTD_maxCLevel())
    }

    /// zstd's own default level.
    public static let defaultLevel = 3

    /// The libzstd version, e.g. "1.5.4", for build logs and reproducibility notes.
    public static var libraryVersion: String {
        ZSTD_versionString().map { String(cString: $0) } ?? "unknown"
    }

    /// Compress `bytes` into a single zstd frame that records the content size.
    ///
    /// The output is a deterministic function of the input, the level, the checksum flag and
    /// the libzstd version: the build depends on that for reproducible images.
    public static func compress(_ bytes: [UInt8], level: Int = defaultLevel, checksum: Bool = true) throws -> [UInt8] {
        try compress(bytes, parameters: Parameters(level: level, checksum: checksum))
    }

    /// Decompress every frame in `bytes` and concatenate the results.
    ///
    /// Streaming decompression is used even for one-shot input because frames written by a
    /// pipe (`tar | zstd`) do not record their content size, and a file may hold several
    /// concatenated frames; the size recorded in the first frame, when present, only
    /// pre-sizes the output.
    ///
    /// - Parameter limit: the largest output accepted; guards against decompression bombs
    ///   from untrusted input.
    public static func decompress(_ bytes: [UInt8], limit: Int = Int.max) throws -> [UInt8] {
        guard !bytes.isEmpty else { throw ZstdError.emptyInput }
        let decompressor = try ZstdDecompressor(limit: limit)
        var output: [UInt8] = []
        let declared = bytes.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) }
        // ZSTD_CONTENTSIZE_UNKNOWN and _ERROR are the two largest UInt64 values.
        if declared < UInt64.max - 1, declared <= UInt64(min(limit, 1 << 32)) {
            output.reserveCapacity(Int(declared))
        }
        try bytes.withUnsafeBytes { input in
            try decompressor.decompress(input) { output.append(contentsOf: $0) }
        }
        try decompressor.finish()
        return output
    }

    /// Whether `bytes` starts with the zstd frame magic (28 b5 2f fd, RFC 8878 section 3.1.1).
    public static func hasFrameMagic(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.starts(with: [0x28, 0xb5, 0x2f, 0xfd])
    }
}
