import ByteCodec
import Crypto
import Foundation
import Synchronization
import Testing
import TestSupport

@testable import DMVerity

@Suite("dm-verity format")
struct DMVerityFormatTests {
    typealias Support = VeritySupport

    @Test("tree geometry matches cryptsetup's hash_levels")
    func geometry() {
        // One block: no tree, only the superblock block.
        #expect(DMVerity.Geometry(dataBlocks: 1, hashBlockSize: 4096).levels.isEmpty)
        #expect(DMVerity.hashDeviceSize(dataSize: 4096, parameters: Support.parameters()) == 4096)
        let two = DMVerity.Geometry(dataBlocks: 2, hashBlockSize: 4096)
        #expect(two.levels == [.init(startBlock: 1, blockCount: 1, digestCount: 2)])
        let big = DMVerity.Geometry(dataBlocks: 128 * 128 + 1, hashBlockSize: 4096)
        // Top-down on disk: the one-block top level first, level 0 (129 blocks) last.
        #expect(big.levels.map(\.blockCount) == [129, 2, 1])
        #expect(big.levels.map(\.startBlock) == [4, 2, 1])
        #expect(big.hashDeviceBytes == 133 * 4096)
        #expect(DMVerity.Geometry(dataBlocks: 128 * 128, hashBlockSize: 4096).levels.map(\.blockCount) == [128, 1])
        // A partial trailing block is not counted.
        #expect(DMVerity.hashDeviceSize(dataSize: 3 * 4096 + 100, parameters: Support.parameters()) == 2 * 4096)
    }

    @Test("superblock encodes field by field and decodes back")
    func superBlockRoundTrip() throws {
        let parameters = Support.parameters()
        let block = DMVerity.SuperBlock(parameters: parameters, dataBlocks: 0x0102_0304_0506)
        let bytes = block.encoded()
        #expect(bytes.count == 512)
        #expect(Array(bytes[0..<8]) == Array("verity".utf8) + [0, 0])
        #expect(Array(bytes[8..<16]) == [1, 0, 0, 0, 1, 0, 0, 0])
        #expect(Array(bytes[16..<32]) == parameters.uuid)
        #expect(Array(bytes[32..<39]) == Array("sha256".utf8) + [0])
        #expect(Array(bytes[64..<72]) == [0, 0x10, 0, 0, 0, 0x10, 0, 0])
        #expect(Array(bytes[72..<80]) == [6, 5, 4, 3, 2, 1, 0, 0])
        #expect(Array(bytes[80..<82]) == [32, 0])
        #expect(Array(bytes[88..<120]) == parameters.salt)
        #expect(bytes[120...].allSatisfy { $0 == 0 })
        let decoded = try DMVerity.SuperBlock(decoding: bytes)
        #expect(decoded == block)
        #expect(decoded.parameters == parameters)
    }

    @Test("hostile superblocks are clear errors naming the field and its byte", arguments: [
        (0, UInt8(0x58), "signature", 0, "not \"verity"), (8, 2, "version", 8, "is 2"), (12, 7, "hash_type", 12, "is 7"),
        (65, 0x11, "data_block_size", 64, "is 4352"), (69, 0, "hash_block_size", 68, "is 0"),
        (81, 0x02, "salt_size", 80, "is 544"), (79, 0x40, "data_blocks", 72, "do not fit in 64 bits"),
    ] as [(Int, UInt8, String, Int, String)])
    func hostileSuperBlock(offset: Int, value: UInt8, field: String, fieldOffset: Int, message: String) throws {
        var bytes = DMVerity.SuperBlock(parameters: Support.parameters(), dataBlocks: 9).encoded()
        bytes[offset] = value
        let error = try #require(throws: DMVerityError.self) { try DMVerity.SuperBlock(decoding: bytes) }
        guard case .superBlockField(nil, 0, field, fieldOffset, _) = error else { Issue.record("wrong error \(error)"); return }
        #expect(error.description.contains("field \(field) (byte \(fieldOffset) of the superblock) "), "\(error)")
        #expect(error.description.contains(message), "\(error)")
        #expect(!error.description.contains("of the superblock:"), "no file is named as \"the superblock\": \(error)")
        #expect(throws: DMVerityError.self) { try DMVerity.SuperBlock(decoding: Array(bytes.prefix(100))) }
    }

    @Test(
        "our tree equals veritysetup's, byte for byte",
        .enabled(if: VeritySupport.veritysetup != nil, "veritysetup is not installed"),
        arguments: [1, 2, 127, 128, 129, 128 * 128, 128 * 128 + 1])
    func matchesVeritysetup(blocks: Int) throws {
        let scratch = try ScratchDirectory()
        let data = scratch.path("data"), hash = scratch.path("hash"), reference = scratch.path("reference")
        try Support.write(Support.randomBytes(blocks * 4096, seed: UInt64(blocks)), to: data)
        let parameters = Support.parameters()
        let needed = DMVerity.hashDeviceSize(dataSize: UInt64(blocks * 4096), parameters: parameters)
        let result = try DMVerity.format(
            data: try Support.fileRegion(data), hash: DMVerity.Region(path: hash, offset: 0, length: needed),
            parameters: parameters)
        #expect(result.dataBlocks == UInt64(blocks))
        #expect(result.hashBytes == needed)
        #expect(try Support.read(hash).count == Int(needed))

        let verified = try Support.veritysetupVerify(data: data, hash: hash, rootHash: result.rootHashHex)
        #expect(verified.status == 0, "veritysetup verify rejected our tree: \(verified.stderr)")

        let theirs = try Support.veritysetupFormat(data: data, hash: reference, parameters: parameters)
        #expect(theirs == result.rootHashHex)
        let referenceBytes = try Support.read(reference)
        let ours = try Support.read(hash)
        #expect(ours.count >= referenceBytes.count)
        #expect(Array(ours.prefix(referenceBytes.count)) == referenceBytes, "hash device bytes differ from veritysetup's")
        try DMVerity.verify(data: try Support.fileRegion(data), hash: try Support.fileRegion(hash), rootHash: result.rootHash)
    }

    @Test("512-byte hash blocks and an empty salt match veritysetup too", .enabled(if: VeritySupport.veritysetup != nil, "veritysetup is not installed"))
    func otherParameters() throws {
        let scratch = try ScratchDirectory()
        let data = scratch.path("data"), hash = scratch.path("hash"), reference = scratch.path("reference")
        try Support.write(Support.randomBytes(300 * 4096, seed: 300), to: data)
        var parameters = Support.parameters(hashBlockSize: 512)
        parameters.salt = []
        let needed = DMVerity.hashDeviceSize(dataSize: 300 * 4096, parameters: parameters)
        let result = try DMVerity.format(
            data: try Support.fileRegion(data), hash: DMVerity.Region(path: hash, offset: 0, length: needed),
            parameters: parameters)
        let tool = try #require(Support.veritysetup)
        let run = try Tools.run(tool, [
            "format", "--salt=-", "--uuid=\(Support.uuidString(parameters.uuid))", "--hash-block-size=512", data, reference,
        ])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Support.field("Root hash", in: run.stdoutText) == result.rootHashHex)
        let referenceBytes = try Support.read(reference)
        #expect(Array(try Support.read(hash).prefix(referenceBytes.count)) == referenceBytes)
        #expect(DMVerity.kernelTable(dataDevice: "/dev/a", hashDevice: "/dev/b", result: result).hasSuffix(" -"))
    }

    @Test("data and hash regions inside one image file", .enabled(if: VeritySupport.veritysetup != nil, "veritysetup is not installed"))
    func regionsInOneFile() throws {
        let scratch = try ScratchDirectory()
        let image = scratch.path("image")
        let blocks = 129, dataOffset = 1 << 20
        let parameters = Support.parameters(seed: 9)
        let needed = Int(DMVerity.hashDeviceSize(dataSize: UInt64(blocks * 4096), parameters: parameters))
        let hashOffset = dataOffset + blocks * 4096 + 8192
        let slack = 8192
        var bytes = [UInt8](repeating: 0xAA, count: hashOffset + needed + slack)
        bytes.replaceSubrange(dataOffset..<(dataOffset + blocks * 4096), with: Support.randomBytes(blocks * 4096, seed: 42))
        try Support.write(bytes, to: image)

        let data = DMVerity.Region(path: image, offset: UInt64(dataOffset), length: UInt64(blocks * 4096))
        let hash = DMVerity.Region(path: image, offset: UInt64(hashOffset), length: UInt64(needed + slack))
        let result = try DMVerity.format(data: data, hash: hash, parameters: parameters, parallelism: 2)
        try DMVerity.verify(data: data, hash: hash, rootHash: result.rootHash)

        let after = try Support.read(image)
        #expect(after.count == bytes.count)
        #expect(Array(after[..<hashOffset]) == Array(bytes[..<hashOffset]), "bytes before the hash region changed")
        #expect(after[(hashOffset + needed)...].allSatisfy { $0 == 0xAA }, "bytes beyond the tree changed")

        // veritysetup cannot address a data offset, so compare extracted copies.
        let dataCopy = scratch.path("data"), hashCopy = scratch.path("hash"), reference = scratch.path("reference")
        try Support.write(Array(after[dataOffset..<(dataOffset + blocks * 4096)]), to: dataCopy)
        try Support.write(Array(after[hashOffset..<(hashOffset + needed)]), to: hashCopy)
        let verified = try Support.veritysetupVerify(data: dataCopy, hash: hashCopy, rootHash: result.rootHashHex)
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(try Support.veritysetupFormat(data: dataCopy, hash: reference, parameters: parameters) == result.rootHashHex)
        #expect(try Support.read(reference) == Array(after[hashOffset..<(hashOffset + needed)]))
    }

    @Test("veritysetup dump reads our superblock", .enabled(if: VeritySupport.veritysetup != nil, "veritysetup is not installed"))
    func dump() throws {
        let scratch = try ScratchDirectory()
        let data = scratch.path("data"), hash = scratch.path("hash")
        try Support.write(Support.randomBytes(200 * 4096, seed: 3), to: data)
        let parameters = Support.parameters(seed: 0x5c)
        let result = try DMVerity.format(
            data: try Support.fileRegion(data), hash: DMVerity.Region(path: hash, offset: 0, length: 1 << 20),
            parameters: parameters)
        let output = try Tools.run(try #require(Support.veritysetup), ["dump", hash])
        #expect(output.status == 0, "\(output.stderr)")
        let text = output.stdoutText
        #expect(Support.field("UUID", in: text) == Support.uuidString(parameters.uuid))
        #expect(Support.field("Salt", in: text) == Hex.encode(parameters.salt))
        #expect(Support.field("Data blocks", in: text) == "200")
        #expect(Support.field("Hash blocks", in: text) == "3")
        #expect(Support.field("Hash type", in: text) == "1")
        #expect(Support.field("Hash algorithm", in: text) == "sha256")
        #expect(Support.field("Data block size", in: text) == "4096")
        #expect(result.hashBytes == 4 * 4096)  // superblock + 2 level-0 blocks + the top block
    }

    @Test("thread count does not change the tree; progress is monotonic and complete")
    func parallelismAndProgress() throws {
        let scratch = try ScratchDirectory()
        let data = scratch.path("data")
        let blocks = 3000  // three 4 MiB chunks
        try Support.write(Support.randomBytes(blocks * 4096, seed: 11), to: data)
        let parameters = Support.parameters()
        let needed = DMVerity.hashDeviceSize(dataSize: UInt64(blocks * 4096), parameters: parameters)
        let seen = Mutex<[UInt64]>([])
        var trees: [[UInt8]] = []
        var roots: [[UInt8]] = []
        for threads in [1, 3] {
            let hash = scratch.path("hash\(threads)")
            let result = try DMVerity.format(
                data: try Support.fileRegion(data), hash: DMVerity.Region(path: hash, offset: 0, length: needed),
                parameters: parameters, parallelism: threads,
                progress: { done, total in
                    #expect(total == UInt64(blocks * 4096))
                    seen.withLock { $0.append(done) }
                })
            roots.append(result.rootHash)
            trees.append(try Support.read(hash))
        }
        #expect(roots[0] == roots[1])
        #expect(trees[0] == trees[1])
        let counts = seen.withLock { $0 }
        #expect(counts.filter { $0 == UInt64(blocks * 4096) }.count == 2)
        #expect(zip(counts, counts.dropFirst()).allSatisfy { $0 < $1 || $1 < (4 << 20) + 1 })
    }

    @Test("the kernel table line")
    func kernelTable() {
        let parameters = Support.parameters()
        let result = DMVerity.FormatResult(
            rootHash: [UInt8](repeating: 0xab, count: 32), dataBlocks: 1000, hashBytes: 10 * 4096, parameters: parameters)
        let root = String(repeating: "ab", count: 32)
        let salt = Hex.encode(parameters.salt)
        #expect(
            DMVerity.kernelTable(dataDevice: "/dev/sda2", hashDevice: "/dev/sda3", result: result)
                == "0 8000 verity 1 /dev/sda2 /dev/sda3 4096 4096 1000 1 sha256 \(root) \(salt)")
        #expect(
            DMVerity.kernelTable(dataDevice: "8:2", hashDevice: "8:3", result: result, signatureKeyDescription: "hostimg:root")
                == "0 8000 verity 1 8:2 8:3 4096 4096 1000 1 sha256 \(root) \(salt) 2 root_hash_sig_key_desc hostimg:root")
    }

    @Test("parameters derived from a seed are deterministic and valid")
    func seededParameters() throws {
        let seed = [UInt8](repeating: 1, count: 16)
        let a = try DMVerity.Parameters(seed: seed)
        #expect(a == (try DMVerity.Parameters(seed: seed)))
        #expect(a != (try DMVerity.Parameters(seed: [UInt8](repeating: 2, count: 16))))
        #expect(a.salt.count == 32 && a.uuid.count == 16 && a.uuid[6] >> 4 == 4)
        let decoded = try JSONDecoder().decode(DMVerity.Parameters.self, from: JSONEncoder().encode(a))
        #expect(decoded == a)
    }

    @Test("bad inputs to format are clear errors")
    func formatErrors() throws {
        let scratch = try ScratchDirectory()
        let data = scratch.path("data")
        try Support.write(Support.randomBytes(10 * 4096, seed: 5), to: data)
        let good = Support.parameters()
        let hash = DMVerity.Region(path: scratch.path("hash"), offset: 0, length: 1 << 20)
        func formatError(_ data: DMVerity.Region, _ hash: DMVerity.Region, _ parameters: DMVerity.Parameters) throws -> String {
            let error = try #require(throws: DMVerityError.self) {
                try DMVerity.format(data: data, hash: hash, parameters: parameters)
            }
            return error.description
        }
        let whole = DMVerity.Region(path: data, offset: 0, length: 10 * 4096)
        var p = good
        p.salt = [UInt8](repeating: 1, count: 257)
        #expect(try formatError(whole, hash, p).contains("257"))
        p = good
        p.uuid = [1, 2]
        #expect(try formatError(whole, hash, p).contains("UUID"))
        p = good
        p.dataBlockSize = 1000
        #expect(try formatError(whole, hash, p).contains("1000"))
        p = good
        p.algorithm = "sha1"
        #expect(try formatError(whole, hash, p).contains("sha1"))
        #expect(try formatError(DMVerity.Region(path: data, offset: 0, length: 4097), hash, good).contains("4097"))
        #expect(try formatError(DMVerity.Region(path: data, offset: 0, length: 0), hash, good).contains("multiple"))
        #expect(try formatError(whole, DMVerity.Region(path: hash.path, offset: 0, length: 4096), good).contains("8192"))
        #expect(try formatError(DMVerity.Region(path: data, offset: 4096, length: 10 * 4096), hash, good).contains("truncated"))
        #expect(try formatError(DMVerity.Region(path: scratch.path("missing"), offset: 0, length: 4096), hash, good).contains("missing"))
        let overlapping = DMVerity.Region(path: data, offset: 8 * 4096, length: 1 << 20)
        #expect(try formatError(whole, overlapping, good).contains("overlap"))
    }

    @Test("the batch hasher computes SHA256(salt ‖ block) per block")
    func batchHasher() throws {
        let salt: [UInt8] = [1, 2, 3]
        let input = Support.randomBytes(3 * 512, seed: 8)
        let hasher = try SaltedBlockHasher(salt: salt)
        var output = [UInt8](repeating: 0, count: 3 * 32)
        try input.withUnsafeBytes { source in
            try output.withUnsafeMutableBytes { try hasher.hashBlocks(source, blockSize: 512, into: $0) }
        }
        for index in 0..<3 {
            let expected = try Crypto.SHA256.hash(salt + input[(index * 512)..<((index + 1) * 512)])
            #expect(Array(output[(index * 32)..<((index + 1) * 32)]) == expected)
        }
        #expect(try hasher.hash([]) == (try Crypto.SHA256.hash(salt)))
        #expect(throws: CryptoError.self) {
            try input.withUnsafeBytes { source in
                try output.withUnsafeMutableBytes { try hasher.hashBlocks(source, blockSize: 500, into: $0) }
            }
        }
        #expect(throws: CryptoError.self) {
            try input.withUnsafeBytes { source in
                try output.withUnsafeMutableBytes { try hasher.hashBlocks(source, blockSize: 256, into: $0) }
            }
        }
    }
}
