import ByteCodec
import Crypto
import Glibc
import SystemIO

/// The hashes a sentinel records: a whole state file (small for a preserved VM: device state
/// only), and a fixed sample of a guest-RAM file's pages, so checking a 1 TiB guest costs
/// what checking a 1 GiB one does.
///
/// The sample is `pages` pages of `pageSize` bytes at offsets spread evenly over the file,
/// the first and the last page included (`sampleOffsets`); a file of no more pages than that
/// is read whole. Its hash is SHA-256 over, for each sampled page in order, the page's
/// offset (8 bytes, little-endian) followed by the page's bytes (fewer for a last page that
/// the file ends inside).
extension Sentinel {
    /// Bytes per sampled page: the x86 base page.
    public static let samplePageSize: UInt32 = 4096
    /// Pages sampled per RAM file: 64 × 4 KiB = 256 KiB read per file, whatever its size.
    public static let sampledPages: UInt32 = 64

    /// The offsets of the sampled pages of a file of `fileSize` bytes: every page when it has
    /// at most `pages` of them, else `pages` pages at indices `i × (count − 1) / (pages − 1)`.
    public static func sampleOffsets(fileSize: UInt64, pageSize: UInt32 = samplePageSize, pages: UInt32 = sampledPages) -> [UInt64] {
        let size = UInt64(pageSize)
        guard size > 0, pages > 0 else { return [] }
        let count = fileSize / size + (fileSize % size == 0 ? 0 : 1)
        guard count > UInt64(pages) else { return (0..<count).map { $0 * size } }
        guard pages > 1 else { return [0] }
        return (0..<UInt64(pages)).map { index in
            // index ≤ 2^32 and count ≤ 2^64 / 4096: the product needs the full width.
            let (high, low) = index.multipliedFullWidth(by: count - 1)
            let (page, _) = (UInt64(pages) - 1).dividingFullWidth((high: high, low: low))
            return page * size
        }
    }

    /// Samples the guest-RAM file at `path` (`sampleOffsets`, then the hash above).
    static func sample(ofFile path: String, pageSize: UInt32 = samplePageSize, pages: UInt32 = sampledPages) throws -> RAMSample {
        let file = try SystemIO.File(path: path, flags: O_RDONLY)
        let size = try file.size()
        let offsets = sampleOffsets(fileSize: size, pageSize: pageSize, pages: pages)
        var hasher = try SHA256()
        for offset in offsets {
            var record: [UInt8] = []
            record.appendInteger(offset, endianness: .little)
            record += try file.read(upTo: Int(min(UInt64(pageSize), size - offset)), at: offset)
            try hasher.update(record)
        }
        return RAMSample(path: path, size: size, pageSize: pageSize, pages: UInt32(offsets.count), sha256: try hasher.finalize())
    }

    /// Bytes read at a time while hashing a whole file.
    static let hashChunk = 1 << 20

    /// The SHA-256 of the whole file at `path`, read front to back.
    static func digest(ofFile path: String) throws -> FileDigest {
        let file = try SystemIO.File(path: path, flags: O_RDONLY)
        let size = try file.size()
        var hasher = try SHA256()
        var offset: UInt64 = 0
        while offset < size {
            let chunk = try file.read(upTo: Int(min(UInt64(hashChunk), size - offset)), at: offset)
            guard !chunk.isEmpty else { break }
            try hasher.update(chunk)
            offset += UInt64(chunk.count)
        }
        return FileDigest(path: path, size: offset, sha256: try hasher.finalize())
    }
}
