import ByteCodec
import Crypto
import Foundation
import Testing
import TestSupport

@testable import DMVerity

/// The stream verifier (an update bundle's verity and root payloads, decompressed once)
/// agrees with `verify` and places what fails.
@Suite("dm-verity stream verify")
struct DMVerityStreamTests {
    typealias Support = VeritySupport

    /// `blocks` data blocks formatted with `hashBlockSize`-byte hash blocks.
    struct Tree {
        var data: [UInt8]
        var hash: [UInt8]
        let rootHash: [UInt8]

        init(blocks: Int, hashBlockSize: Int = 512, seed: UInt64 = 5) throws {
            let scratch = try ScratchDirectory()
            let parameters = Support.parameters(seed: 3, hashBlockSize: hashBlockSize)
            data = Support.randomBytes(blocks * 4096, seed: seed)
            try Support.write(data, to: scratch.path("data"))
            let region = DMVerity.Region(path: scratch.path("data"), offset: 0, length: UInt64(data.count))
            let size = DMVerity.hashDeviceSize(dataSize: region.length, parameters: parameters)
            let result = try DMVerity.format(
                data: region, hash: DMVerity.Region(path: scratch.path("hash"), offset: 0, length: size), parameters: parameters)
            hash = try Support.read(scratch.path("hash"))
            rootHash = result.rootHash
        }

        /// Streams both in chunks of `chunk` bytes.
        func verify(rootHash: [UInt8]? = nil, chunk: Int = 1000, hashBytes: UInt64? = nil, dataBytes: UInt64? = nil) throws {
            let verifier = try DMVerity.StreamVerifier(
                rootHash: rootHash ?? self.rootHash, hashName: "verity", hashBytes: hashBytes ?? UInt64(hash.count),
                dataName: "root", dataBytes: dataBytes ?? UInt64(data.count))
            for start in stride(from: 0, to: hash.count, by: chunk) {
                try hash[start..<min(start + chunk, hash.count)].withUnsafeBytes { try verifier.consumeHash($0) }
            }
            try verifier.finishHash()
            for start in stride(from: 0, to: data.count, by: chunk) {
                try data[start..<min(start + chunk, data.count)].withUnsafeBytes { try verifier.consumeData($0) }
            }
            try verifier.finishData()
        }
    }

    @Test("intact trees of one, a few and many levels verify, in any chunk size", arguments: [1, 2, 16, 17, 300, 4100])
    func intact(blocks: Int) throws {
        let tree = try Tree(blocks: blocks)
        for chunk in [1, 511, 4096, 100_000] where chunk > 1 || blocks <= 17 {
            try tree.verify(chunk: chunk)
        }
        try Tree(blocks: blocks, hashBlockSize: 4096).verify()
    }

    @Test("a flipped data byte names the range of data blocks of its level-0 block")
    func dataCorruption() throws {
        var tree = try Tree(blocks: 300)
        tree.data[123 * 4096 + 9] ^= 1
        let error = try #require(throws: DMVerityError.self) { try tree.verify() }
        #expect(error == .dataBlockRangeMismatch(first: 112, last: 127, path: "root", offset: 112 * 4096))
    }

    @Test("a flipped hash byte names the level and block; the top block is the root hash")
    func hashCorruption() throws {
        let geometry = DMVerity.Geometry(dataBlocks: 300, hashBlockSize: 512)
        var tree = try Tree(blocks: 300)
        let level0 = geometry.levels[0]
        tree.hash[Int(level0.startBlock + 4) * 512 + 7] ^= 1
        #expect(throws: DMVerityError.hashBlockMismatch(level: 0, index: 4, path: "verity", offset: (level0.startBlock + 4) * 512)) {
            try tree.verify()
        }
        var top = try Tree(blocks: 300)
        top.hash[512 + 1] ^= 1
        let error = try #require(throws: DMVerityError.self) { try top.verify() }
        guard case .rootHashMismatch = error else { Issue.record("got \(error)"); return }
        var wrong = top.rootHash
        wrong[0] ^= 1
        #expect(throws: DMVerityError.self) { try Tree(blocks: 300).verify(rootHash: wrong) }
    }

    @Test("a one-block device is its root hash; a wrong block fails")
    func oneBlock() throws {
        var tree = try Tree(blocks: 1)
        try tree.verify()
        tree.data[0] ^= 1
        #expect(throws: DMVerityError.self) { try tree.verify() }
    }

    @Test("sizes that do not match the superblock name data_blocks; short streams are truncated")
    func sizes() throws {
        let tree = try Tree(blocks: 300)
        let short = try #require(throws: DMVerityError.self) { try tree.verify(dataBytes: UInt64(tree.data.count - 4096)) }
        #expect(short.description.contains("field data_blocks (byte 72 of the superblock) is 300"), "\(short)")
        let long = try #require(throws: DMVerityError.self) { try tree.verify(hashBytes: UInt64(tree.hash.count + 512)) }
        #expect(long.description.contains("field data_blocks"), "\(long)")
        var cut = tree
        cut.hash.removeLast(512)
        #expect(throws: DMVerityError.self) { try cut.verify(hashBytes: UInt64(tree.hash.count)) }
        var fewer = tree
        fewer.hash.setInteger(UInt64(299), at: 72, endianness: .little)
        let stray = try #require(throws: DMVerityError.self) { try fewer.verify(dataBytes: 299 * 4096) }
        #expect(stray.description.contains("holds a digest at entry 299"), "\(stray)")
    }

    @Test("a hostile superblock in the stream is the field, before anything is allocated")
    func hostileSuperBlock() throws {
        var tree = try Tree(blocks: 17)
        tree.hash.setInteger(UInt64.max, at: 72, endianness: .little)
        let error = try #require(throws: DMVerityError.self) { try tree.verify() }
        #expect(error.description.contains("field data_blocks"), "\(error)")
        #expect(throws: DMVerityError.self) {
            try DMVerity.StreamVerifier(rootHash: [1, 2], hashName: "h", hashBytes: 0, dataName: "d", dataBytes: 0)
        }
    }
}
