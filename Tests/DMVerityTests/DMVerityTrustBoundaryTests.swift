import ByteCodec
import Crypto
import Foundation
import Testing
import TestSupport

@testable import DMVerity

/// The superblock is covered by no hash: every size in it is hostile. A changed
/// `data_blocks` is reported as that field, never as a crash or as corrupt data.
@Suite("dm-verity superblock as a trust boundary")
struct DMVerityTrustBoundaryTests {
    typealias Support = VeritySupport
    typealias Fixture = DMVerityVerifyTests.Fixture

    /// The fixture with `data_blocks` set to `blocks` (the data file grows to hold them).
    static func withDataBlocks(_ blocks: UInt64, _ fixture: Fixture) throws -> DMVerity.Region {
        var bytes = try Support.read(fixture.hash.path)
        for index in 0..<8 { bytes[72 + index] = UInt8(truncatingIfNeeded: blocks >> (8 * UInt64(index))) }
        try Support.write(bytes, to: fixture.hash.path)
        var data = try Support.read(fixture.data.path)
        data += [UInt8](repeating: 0, count: 16 * 4096)
        try Support.write(data, to: fixture.data.path)
        return DMVerity.Region(path: fixture.data.path, offset: 0, length: UInt64(data.count))
    }

    static func expectDataBlocksField(_ error: DMVerityError, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .superBlockField(_, _, "data_blocks", 72, _) = error else {
            Issue.record("expected field data_blocks, got \(error)", sourceLocation: sourceLocation)
            return
        }
        #expect(error.description.contains("field data_blocks (byte 72 of the superblock)"), sourceLocation: sourceLocation)
        #expect(error.description.contains(text), "\(error)", sourceLocation: sourceLocation)
    }

    @Test("data_blocks one lower than the tree: the stray digest names the field (it used to verify)")
    func fewerDataBlocks() throws {
        let fixture = try Fixture()
        let data = try Self.withDataBlocks(299, fixture)
        let error = try #require(throws: DMVerityError.self) {
            try DMVerity.verify(data: data, hash: fixture.hash, rootHash: fixture.result.rootHash)
        }
        Self.expectDataBlocksField(error, "is 299, but tree level 0 holds a digest at entry 299")
    }

    @Test("data_blocks one higher, within the data partition: the field, not data block 300")
    func moreDataBlocks() throws {
        let fixture = try Fixture()
        let data = try Self.withDataBlocks(301, fixture)
        let error = try #require(throws: DMVerityError.self) {
            try DMVerity.verify(data: data, hash: fixture.hash, rootHash: fixture.result.rootHash)
        }
        Self.expectDataBlocksField(error, "no digest for data block 300")
    }

    @Test("data_blocks past the data partition, or past 64 bits: the field")
    func hugeDataBlocks() throws {
        for blocks: UInt64 in [400, 1 << 40, UInt64.max, 0x5A00_0000_0000_012C] {
            let fixture = try Fixture()
            let data = try Self.withDataBlocks(blocks, fixture)
            let error = try #require(throws: DMVerityError.self) {
                try DMVerity.verify(data: data, hash: fixture.hash, rootHash: fixture.result.rootHash)
            }
            Self.expectDataBlocksField(error, "is \(blocks)")
            #expect(throws: DMVerityError.self) {
                try DMVerity.checkedLayout(dataPartition: data, hashPartition: fixture.hash)
            }
        }
    }

    @Test("the checked layout gives the data region the tree covers")
    func checkedLayout() throws {
        let fixture = try Fixture()
        let partition = DMVerity.Region(path: fixture.data.path, offset: 0, length: 1 << 40)
        let hashPartition = DMVerity.Region(path: fixture.hash.path, offset: 0, length: 1 << 30)
        let large = try DMVerity.checkedLayout(dataPartition: partition, hashPartition: hashPartition)
        #expect(large.data.length == 300 * 4096 && large.hash.length == fixture.hash.length)
        let layout = try DMVerity.verify(data: fixture.data, hash: fixture.hash, rootHash: fixture.result.rootHash)
        #expect(layout.data == fixture.data)
        #expect(layout.hash == fixture.hash)
        #expect(layout.superBlock.dataBlocks == 300 && layout.superBlock.sectors == 300 * 8)
    }

    @Test("a block size veritysetup refuses (over 512 KiB) is the field")
    func blockSizeOverVeritysetupsLimit() throws {
        var bytes = DMVerity.SuperBlock(parameters: Support.parameters(), dataBlocks: 9).encoded()
        bytes.setInteger(UInt32(1 << 20), at: 64, endianness: .little)
        let error = try #require(throws: DMVerityError.self) { try DMVerity.SuperBlock(decoding: bytes) }
        #expect(error.description.contains("field data_block_size (byte 64 of the superblock) is 1048576"), "\(error)")
    }

    @Test("a FIFO or a directory as the hash or data file is refused, not read (a FIFO blocked forever)",
          .timeLimit(.minutes(1)))
    func notAFile() throws {
        let fixture = try Fixture()
        for (path, kind) in try fixture.scratch.nonFileInputs() {
            let hash = DMVerity.Region(path: path, offset: 0, length: fixture.hash.length)
            let error = try #require(throws: DMVerityError.self) {
                try DMVerity.verify(data: fixture.data, hash: hash, rootHash: fixture.result.rootHash)
            }
            #expect(error.description.contains("it is \(kind), not a regular file or a block device"), "\(error)")
            let data = DMVerity.Region(path: path, offset: 0, length: fixture.data.length)
            #expect(throws: DMVerityError.self) {
                try DMVerity.verify(data: data, hash: fixture.hash, rootHash: fixture.result.rootHash)
            }
        }
    }

    @Test("data past one verify window (64 MiB) is checked window by window and corruption is placed")
    func manyWindows() throws {
        let scratch = try ScratchDirectory()
        let blocks: UInt64 = 20_000  // 80 MiB of zeros: a sparse file, hashed in two windows
        let dataPath = scratch.path("data")
        let handle = try #require(FileHandle(forWritingAtPath: { FileManager.default.createFile(atPath: dataPath, contents: nil); return dataPath }()))
        try handle.truncate(atOffset: blocks * 4096)
        try handle.close()
        let data = DMVerity.Region(path: dataPath, offset: 0, length: blocks * 4096)
        let parameters = Support.parameters()
        let hash = DMVerity.Region(path: scratch.path("hash"), offset: 0,
                                   length: DMVerity.hashDeviceSize(dataSize: data.length, parameters: parameters))
        let result = try DMVerity.format(data: data, hash: hash, parameters: parameters)
        try DMVerity.verify(data: data, hash: hash, rootHash: result.rootHash, parallelism: 2)
        let update = try #require(FileHandle(forUpdatingAtPath: dataPath))
        try update.seek(toOffset: 19_000 * 4096 + 5)
        update.write(Data([1]))
        try update.close()
        let error = try #require(throws: DMVerityError.self) {
            try DMVerity.verify(data: data, hash: hash, rootHash: result.rootHash, parallelism: 2)
        }
        #expect(error == .dataBlockMismatch(index: 19_000, path: dataPath, offset: 19_000 * 4096))
    }
}
