import Crypto
import Foundation
import Testing
import TestSupport
import Zstd

@testable import Bundle

/// What a hostile bundle announces is bounded by the format, and the archive holds exactly
/// what the manifest lists: checked when the reader opens it, so no caller can skip it.
@Suite struct BundleTrustBoundaryTests {
    /// One payload member: `plain` bytes (given in chunks) compressed as one zstd frame.
    struct RawPayload {
        var info: UpdateBundle.PayloadInfo
        var compressed: [UInt8]

        init(role: UpdateBundle.PayloadRole, chunks: Int, chunk: [UInt8]) throws {
            let compressor = try ZstdCompressor(level: 3, checksum: true, pledgedSize: UInt64(chunks * chunk.count))
            let plain = try RunningDigest()
            var compressed: [UInt8] = []
            for _ in 0..<chunks {
                try chunk.withUnsafeBytes { try plain.update($0) }
                compressed += try compressor.compress(chunk)
            }
            compressed += try compressor.finish()
            let packed = try RunningDigest()
            try compressed.withUnsafeBytes { try packed.update($0) }
            info = UpdateBundle.PayloadInfo(
                role: role, file: UpdateBundle.fileName(forRole: role), size: UInt64(chunks * chunk.count),
                sha256: try plain.finish(), compressedSize: UInt64(compressed.count), compressedSha256: try packed.finish())
            self.compressed = compressed
        }
    }

    /// An unsigned bundle of these payloads, written member by member.
    static func rawBundle(_ path: String, _ payloads: [RawPayload]) throws {
        let manifest = UpdateBundle.Manifest(name: "hostile", version: "1", rootHash: Fixtures.rootHash, payloads: payloads.map(\.info))
        try Fixtures.tar(path, members: [("manifest.json", manifest.encoded())] + payloads.map { ($0.info.file, $0.compressed) })
    }

    @Test func aHugeAnnouncedVeritySigIsRefusedBeforeAByteIsDecompressed() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("bomb.bundle")
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        try Self.rawBundle(path, [
            try RawPayload(role: .root, chunks: 1, chunk: [1, 2, 3]),
            try RawPayload(role: .verity, chunks: 1, chunk: [4, 5, 6]),
            try RawPayload(role: .veritySignature, chunks: 256, chunk: zeros),  // 256 MiB in a few KiB
        ])
        #expect(try Fixtures.bytes(path).count < 64 << 10)
        let error = try #require(throws: BundleError.self) { try UpdateBundle.Reader(path: path) }
        #expect(error == .invalidManifest(
            field: "payloads[2].size", problem: "is 268435456; a verity-sig payload is at most 16384 bytes"), "\(error)")
        // Exactly 16 KiB is what a verity-sig partition holds, and reads.
        try Self.rawBundle(path, [try RawPayload(role: .veritySignature, chunks: 16, chunk: [UInt8](repeating: 0, count: 1024))])
        try UpdateBundle.Reader(path: path).verifyPayloads()
    }

    @Test func theWriterRefusesAPayloadLargerThanItsRole() throws {
        let scratch = try ScratchDirectory()
        let payloads = try Fixtures.payloads(in: scratch, rootSize: 8192, veritySig: [UInt8](repeating: 1, count: 16385))
        let error = try #require(throws: BundleError.self) {
            try Fixtures.writeBundle(scratch.path("big.bundle"), payloads, signer: nil)
        }
        #expect(error.description.contains("payloads[2].size is 16385; a verity-sig payload is at most 16384 bytes"), "\(error)")
    }

    /// A small valid bundle's bytes, and the offset of its end-of-archive marker.
    static func small(_ scratch: ScratchDirectory) throws -> (bytes: [UInt8], end: Int) {
        let payloads = try Fixtures.payloads(in: scratch, rootSize: 20_000)
        let path = scratch.path("small.bundle")
        try Fixtures.writeBundle(path, payloads, signer: nil)
        let bytes = try Fixtures.bytes(path)
        return (bytes, bytes.count - 1024)
    }

    @Test func aMemberAfterTheLastPayloadFailsWhenTheBundleIsOpened() throws {
        let scratch = try ScratchDirectory()
        let (bytes, end) = try Self.small(scratch)
        let manifest = try UpdateBundle.Reader(path: scratch.path("small.bundle")).manifestBytes
        // A second manifest.json, which `tar x` would extract over the first.
        let header = UpdateBundle.TarHeader(name: "manifest.json", size: UInt64(manifest.count), mtime: 0).encoded()
        let padding = [UInt8](repeating: 0, count: (512 - manifest.count % 512) % 512)
        let path = scratch.path("appended.bundle")
        try Fixtures.write(Array(bytes[..<end]) + header + manifest + padding + [UInt8](repeating: 0, count: 1024), to: path)
        let error = try #require(throws: BundleError.self) { try UpdateBundle.Reader(path: path) }
        #expect(error == .unexpectedMember(name: "manifest.json", position: 4, expected: "the end-of-archive marker after the last payload"))
    }

    @Test func aMissingEndOfArchiveMarkerOrBytesAfterItFail() throws {
        let scratch = try ScratchDirectory()
        let (bytes, end) = try Self.small(scratch)
        let path = scratch.path("cut.bundle")
        try Fixtures.write(Array(bytes[..<end]), to: path)
        let missing = try #require(throws: BundleError.self) { try UpdateBundle.Reader(path: path) }
        #expect(missing.description.contains("end-of-archive marker"), "\(missing)")
        try Fixtures.write(Array(bytes[..<(end + 512)]), to: path)
        #expect(throws: BundleError.self) { try UpdateBundle.Reader(path: path) }

        try Fixtures.write(bytes + [1], to: path)
        #expect(throws: BundleError.trailingData(offset: UInt64(bytes.count), bytes: 1)) { try UpdateBundle.Reader(path: path) }
        try Fixtures.write(bytes + [UInt8](repeating: 0, count: 20 << 10), to: path)
        #expect(throws: BundleError.trailingData(offset: UInt64(bytes.count), bytes: 20 << 10)) { try UpdateBundle.Reader(path: path) }
        // Zero padding to a tar record, as GNU tar writes it, is still a bundle.
        try Fixtures.write(bytes + [UInt8](repeating: 0, count: (10240 - bytes.count % 10240) % 10240), to: path)
        try UpdateBundle.Reader(path: path).verifyPayloads()
    }

    @Test(.timeLimit(.minutes(1)))
    func aFIFOADirectoryOrADeviceNodeIsRefusedBeforeItIsRead() throws {
        let scratch = try ScratchDirectory()
        defer { withExtendedLifetime(scratch) {} }
        for (path, kind) in try scratch.nonFileInputs() {
            let error = try #require(throws: BundleError.self) { try UpdateBundle.Reader(path: path) }
            #expect(error == .unreadable(path: path, reason: "it is \(kind), not a regular file or a block device; give the path of the file itself"))
        }
    }
}
