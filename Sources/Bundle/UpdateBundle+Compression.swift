import ByteCodec
import Crypto
import Zstd

extension UpdateBundle {
    /// What compressing one payload measured: the manifest fields besides role and file.
    struct CompressionResult {
        var size: UInt64
        var sha256: String
        var compressedSize: UInt64
        var compressedSha256: String

        func info(role: PayloadRole) -> PayloadInfo {
            PayloadInfo(
                role: role, file: UpdateBundle.fileName(forRole: role), size: size, sha256: sha256,
                compressedSize: compressedSize, compressedSha256: compressedSha256)
        }
    }

    /// Compress `length` bytes into one zstd frame (content size pledged, checksum on),
    /// hashing both sides on the way.
    ///
    /// Input arrives through `read`, which fills the whole buffer it is given (the last one
    /// may be shorter) from the payload's `offset`. Chunks are always `chunkSize` bytes, so
    /// the same payload gives the same frame whether it comes from a file (`write`) or from
    /// memory (`resign`).
    static func compressPayload(
        role: PayloadRole, length: UInt64, level: Int,
        read: (_ buffer: UnsafeMutableRawBufferPointer, _ offset: UInt64) throws -> Void,
        output: (UnsafeRawBufferPointer) throws -> Void,
        progress: (UInt64) -> Void = { _ in }
    ) throws -> CompressionResult {
        let plainHash = try RunningDigest()
        let compressedHash = try RunningDigest()
        var compressedSize: UInt64 = 0
        let compressor: ZstdCompressor
        do {
            compressor = try ZstdCompressor(level: level, checksum: true, pledgedSize: length)
        } catch {
            throw BundleError.compression(role: role, detail: "\(error)")
        }
        func emit(_ piece: UnsafeRawBufferPointer) throws {
            try compressedHash.update(piece)
            compressedSize += UInt64(piece.count)
            try output(piece)
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var offset: UInt64 = 0
        while offset < length {
            let count = Int(min(UInt64(chunkSize), length - offset))
            let chunk = UnsafeMutableRawBufferPointer(rebasing: buffer[..<count])
            try read(chunk, offset)
            try plainHash.update(UnsafeRawBufferPointer(chunk))
            try Self.zstd(role) { try compressor.compress(UnsafeRawBufferPointer(chunk), into: emit) }
            offset += UInt64(count)
            progress(UInt64(count))
        }
        try Self.zstd(role) { try compressor.finish(into: emit) }
        return CompressionResult(
            size: length, sha256: try plainHash.finish(),
            compressedSize: compressedSize, compressedSha256: try compressedHash.finish())
    }

    /// Run a zstd call, turning its errors into `BundleError.compression` (errors thrown by
    /// our own output closure pass through unchanged).
    private static func zstd(_ role: UpdateBundle.PayloadRole, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as ZstdError {
            throw BundleError.compression(role: role, detail: error.description)
        }
    }
}

/// A SHA-256 that closures can feed: the non-copyable hasher cannot be captured by the
/// output closures of the zstd streams, a reference to it can.
final class RunningDigest {
    private var hasher: SHA256?

    init() throws { hasher = try SHA256() }

    func update(_ bytes: UnsafeRawBufferPointer) throws {
        try hasher?.update(bytes)
    }

    /// The digest in lowercase hex; the hasher is consumed.
    func finish() throws -> String {
        guard let hasher = hasher.take() else {
            throw BundleError.invalidArgument("internal error: a SHA-256 digest was finished twice")
        }
        return Hex.encode(try hasher.finalize())
    }
}
