import ByteCodec
import Crypto
import Foundation
import Testing
import TestSupport

@testable import DMVerity

/// Corruption is found and reported where it is. 300 data blocks with 512-byte hash blocks
/// (16 digests each) give three levels: level 0 = 19 blocks, level 1 = 2, level 2 = 1 (top).
@Suite("dm-verity verify")
struct DMVerityVerifyTests {
    typealias Support = VeritySupport

    struct Fixture {
        let scratch: ScratchDirectory
        let data: DMVerity.Region
        let hash: DMVerity.Region
        let result: DMVerity.FormatResult
        let geometry: DMVerity.Geometry

        init() throws {
            scratch = try ScratchDirectory()
            let parameters = Support.parameters(seed: 1, hashBlockSize: 512)
            try Support.write(Support.randomBytes(300 * 4096, seed: 77), to: scratch.path("data"))
            data = DMVerity.Region(path: scratch.path("data"), offset: 0, length: 300 * 4096)
            let size = DMVerity.hashDeviceSize(dataSize: data.length, parameters: parameters)
            hash = DMVerity.Region(path: scratch.path("hash"), offset: 0, length: size)
            result = try DMVerity.format(data: data, hash: hash, parameters: parameters)
            geometry = DMVerity.Geometry(dataBlocks: 300, hashBlockSize: 512)
        }

        func verifyError(rootHash: [UInt8]? = nil) throws -> DMVerityError {
            try #require(throws: DMVerityError.self) {
                try DMVerity.verify(data: data, hash: hash, rootHash: rootHash ?? result.rootHash, parallelism: 2)
            }
        }
    }

    @Test("an intact tree verifies, and the fixture has three levels")
    func intact() throws {
        let fixture = try Fixture()
        #expect(fixture.geometry.levels.map(\.blockCount) == [19, 2, 1])
        try DMVerity.verify(data: fixture.data, hash: fixture.hash, rootHash: fixture.result.rootHash)
    }

    @Test("a flipped data byte names the data block", .enabled(if: VeritySupport.veritysetup != nil, "veritysetup is not installed"))
    func dataCorruption() throws {
        let fixture = try Fixture()
        try Support.flipByte(in: fixture.data.path, at: 123 * 4096 + 777)
        let error = try fixture.verifyError()
        #expect(error == .dataBlockMismatch(index: 123, path: fixture.data.path, offset: 123 * 4096))
        #expect(error.description.contains("data block 123"))
        let theirs = try Support.veritysetupVerify(data: fixture.data.path, hash: fixture.hash.path, rootHash: fixture.result.rootHashHex)
        #expect(theirs.status != 0, "veritysetup also rejects it")
    }

    @Test("a flipped byte in a level-0 hash block is a hash block mismatch at level 0")
    func level0Corruption() throws {
        let fixture = try Fixture()
        let level0 = fixture.geometry.levels[0]
        let block = level0.startBlock + 5
        try Support.flipByte(in: fixture.hash.path, at: Int(block) * 512 + 40)
        let error = try fixture.verifyError()
        #expect(error == .hashBlockMismatch(level: 0, index: 5, path: fixture.hash.path, offset: block * 512))
    }

    @Test("a flipped byte in a higher level is a hash block mismatch at that level")
    func level1Corruption() throws {
        let fixture = try Fixture()
        let level1 = fixture.geometry.levels[1]
        // The last block of level 1, in its zero tail: padding is hashed too.
        try Support.flipByte(in: fixture.hash.path, at: Int(level1.startBlock + 1) * 512 + 500)
        let error = try fixture.verifyError()
        #expect(error == .hashBlockMismatch(level: 1, index: 1, path: fixture.hash.path, offset: (level1.startBlock + 1) * 512))
    }

    @Test("a flipped byte in the top block is a root hash mismatch")
    func topCorruption() throws {
        let fixture = try Fixture()
        try Support.flipByte(in: fixture.hash.path, at: 512 + 3)
        guard case .rootHashMismatch = try fixture.verifyError() else {
            Issue.record("expected a root hash mismatch")
            return
        }
    }

    @Test("a flipped superblock byte is an invalid superblock")
    func superBlockCorruption() throws {
        let fixture = try Fixture()
        try Support.flipByte(in: fixture.hash.path, at: 2)
        let error = try fixture.verifyError()
        guard case .superBlockField(let path, let offset, "signature", 0, _) = error else {
            Issue.record("expected an invalid superblock, got \(error)")
            return
        }
        #expect(path == fixture.hash.path && offset == 0)
        #expect(error.description.contains("field signature (byte 0 of the superblock)"))
    }

    @Test("a wrong root hash is a root hash mismatch naming both hashes")
    func wrongRootHash() throws {
        let fixture = try Fixture()
        var wrong = fixture.result.rootHash
        wrong[31] ^= 1
        let error = try fixture.verifyError(rootHash: wrong)
        guard case .rootHashMismatch(let expected, let computed, _) = error else {
            Issue.record("expected a root hash mismatch, got \(error)")
            return
        }
        #expect(expected == Hex.encode(wrong) && computed == fixture.result.rootHashHex)
        #expect(throws: DMVerityError.self) {
            try DMVerity.verify(data: fixture.data, hash: fixture.hash, rootHash: [1, 2, 3])
        }
    }

    @Test("a one-block device: corruption of its only block is a root hash mismatch")
    func oneBlock() throws {
        let scratch = try ScratchDirectory()
        try Support.write(Support.randomBytes(4096, seed: 1), to: scratch.path("data"))
        let data = DMVerity.Region(path: scratch.path("data"), offset: 0, length: 4096)
        let hash = DMVerity.Region(path: scratch.path("hash"), offset: 0, length: 4096)
        let result = try DMVerity.format(data: data, hash: hash, parameters: Support.parameters())
        var expected = Support.parameters().salt
        expected += try Support.read(data.path)
        #expect(result.rootHash == (try Crypto.SHA256.hash(expected)))
        try DMVerity.verify(data: data, hash: hash, rootHash: result.rootHash)
        try Support.flipByte(in: data.path, at: 10)
        #expect(throws: DMVerityError.self) { try DMVerity.verify(data: data, hash: hash, rootHash: result.rootHash) }
    }

    @Test("truncated hash or data files are errors, not crashes")
    func truncatedFiles() throws {
        let fixture = try Fixture()
        let shortHash = DMVerity.Region(path: fixture.hash.path, offset: 0, length: 1024)
        #expect(throws: DMVerityError.self) {
            try DMVerity.verify(data: fixture.data, hash: shortHash, rootHash: fixture.result.rootHash)
        }
        let shortData = DMVerity.Region(path: fixture.data.path, offset: 0, length: 4096)
        let error = try #require(throws: DMVerityError.self) {
            try DMVerity.verify(data: shortData, hash: fixture.hash, rootHash: fixture.result.rootHash)
        }
        #expect(error.description.contains("1228800"))
        let bytes = try Support.read(fixture.hash.path)
        try Support.write(Array(bytes.prefix(3000)), to: fixture.hash.path)
        let truncated = try fixture.verifyError()
        guard case .truncated = truncated else {
            Issue.record("expected truncated, got \(truncated)")
            return
        }
    }

    @Test("a superblock claiming huge sizes is an error, not a trap or a huge allocation")
    func hugeSuperBlock() throws {
        let fixture = try Fixture()
        var bytes = try Support.read(fixture.hash.path)
        for (index, value) in [0, 0, 0, 0, 0, 0, 0, 0x40].enumerated() { bytes[72 + index] = UInt8(value) }  // 2^62 blocks
        try Support.write(bytes, to: fixture.hash.path)
        let huge = DMVerity.Region(path: fixture.hash.path, offset: 0, length: .max)
        let error = try #require(throws: DMVerityError.self) {
            try DMVerity.verify(data: fixture.data, hash: huge, rootHash: fixture.result.rootHash)
        }
        guard case .superBlockField(_, _, "data_blocks", 72, _) = error else { Issue.record("got \(error)"); return }
        let bigData = DMVerity.Region(path: fixture.data.path, offset: 0, length: .max)
        #expect(throws: DMVerityError.self) {
            try DMVerity.verify(data: bigData, hash: huge, rootHash: fixture.result.rootHash)
        }
    }
}
