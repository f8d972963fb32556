import ByteCodec
import ContentStore
import FileTree
import Foundation
import Testing
import TestSupport
@testable import EROFS

/// Damaged or hostile images: the reader must answer with an EROFSError, never crash or hang.
struct EROFSHostileTests {
    /// A small image: root with a directory, a file, a symlink.
    final class Small {
        let scratch: ScratchDirectory
        let store: ContentStore
        let image: [UInt8]
        let path: String
        init() throws {
            scratch = try ScratchDirectory()
            store = try ContentStore(root: scratch.path("store"))
            var tree = FileTree()
            try tree.insert(.directory(), at: "/a")
            try tree.insert(FileTree.Node(.regular(store.put(Array("hello".utf8))), mode: 0o644, xattrs: ["user.x": [1]]), at: "/a/file")
            try tree.insert(FileTree.Node(.regular(store.put([UInt8](repeating: 7, count: 5000))), mode: 0o644), at: "/b")
            try tree.insert(FileTree.Node(.symlink("a/file"), mode: 0o777), at: "/link")
            path = scratch.path("small.erofs")
            try EROFS.write(tree, store: store, to: path, options: .init(buildTime: 1, uuid: Array(repeating: 1, count: 16)))
            image = try contents(path)
        }

        /// Writes a modified copy and reads all of it back.
        func read(_ change: (inout [UInt8]) -> Void) throws {
            var bytes = image
            change(&bytes)
            let copy = scratch.path(UUID().uuidString)
            try Data(bytes).write(to: URL(fileURLWithPath: copy))
            let reader = try EROFS.Reader(path: copy)
            _ = try reader.listing()
            _ = try reader.fileTree(store: store)
        }

        /// Byte offset of the root directory's entries (inline after the root inode).
        func rootDirectoryOffset() throws -> Int {
            let reader = try EROFS.Reader(path: path)
            let nid = UInt64(reader.superBlock.rootNid)
            let root = try reader.inode(nid)
            let map = try reader.dataMap(root, nid: nid)
            return Int(map.inlineBytes > 0 ? map.inlineStart : map.blockStart)
        }
    }

    @Test func theUnchangedImageReads() throws {
        let small = try Small()
        try small.read { _ in }
    }

    @Test func badMagic() throws {
        let small = try Small()
        do {
            try small.read { $0[1024] = 0 }
            Issue.record("a wrong magic was accepted")
        } catch let error as EROFSError {
            guard case .badMagic = error else { Issue.record("got \(error)"); return }
            #expect(error.description.contains("not an EROFS image"))
        }
    }

    @Test func truncatedImages() throws {
        let small = try Small()
        for length in [0, 1000, 1100, 4096, small.image.count - 4096, small.image.count - 1] {
            #expect(throws: EROFSError.self, "length \(length)") {
                try small.read { $0.removeLast($0.count - length) }
            }
        }
    }

    @Test func rootNidOutOfRange() throws {
        let small = try Small()
        #expect(throws: EROFSError.self) { try small.read { $0[1024 + 14] = 0xff; $0[1024 + 15] = 0xff } }
    }

    @Test func corruptDirents() throws {
        let small = try Small()
        let at = try small.rootDirectoryOffset()
        // First nameoff not a multiple of 12 / beyond the block.
        #expect(throws: EROFSError.self) { try small.read { $0[at + 8] = 5; $0[at + 9] = 0 } }
        #expect(throws: EROFSError.self) { try small.read { $0[at + 8] = 0xff; $0[at + 9] = 0xff } }
        // Second entry's nid far outside the image.
        #expect(throws: EROFSError.self) { try small.read { $0[at + 12 + 7] = 0x7f } }
        // Names overlapping: the third nameoff before the second.
        #expect(throws: EROFSError.self) { try small.read { $0[at + 24 + 8] = 12; $0[at + 24 + 9] = 0 } }
    }

    @Test func directoryLoop() throws {
        let small = try Small()
        let at = try small.rootDirectoryOffset()
        let reader = try EROFS.Reader(path: small.path)
        let rootNid = UInt64(reader.superBlock.rootNid)
        // Root entries sorted: ".", "..", "a", "b", "link": point "a" at the root itself.
        let bytes = small.image
        #expect(try ByteReader(bytes, endianness: .little).u64(at: at) == rootNid)
        do {
            try small.read { image in image.setInteger(rootNid, at: at + 24, endianness: .little) }
            Issue.record("a loop was accepted")
        } catch let error as EROFSError {
            guard case .directoryLoop = error else { Issue.record("got \(error)"); return }
        }
    }

    @Test func unsupportedLayoutAndFeatures() throws {
        let small = try Small()
        let rootOffset = 36 * 32
        #expect(throws: EROFSError.self) { try small.read { $0[rootOffset] = 3 << 1 } }  // compressed layout
        #expect(throws: EROFSError.self) { try small.read { $0[1024 + 80] = 0x04 } }     // chunked files
        #expect(throws: EROFSError.self) { try small.read { $0[1024 + 12] = 30 } }       // block size 2^30
    }

    @Test func superblockChecksumIsVerifiedWhenClaimed() throws {
        let small = try Small()
        #expect(throws: EROFSError.self) { try small.read { $0[1024 + 8] = 1 } }
        try small.read { image in
            image[1024 + 8] = 1
            let sum = EROFS.CRC32C.superBlockChecksum(Array(image[1024..<4096]))
            image.setInteger(sum, at: 1024 + 4, endianness: .little)
        }
    }

    /// Random damage to the metadata area: any outcome but a crash or a hang.
    @Test func randomCorruptionNeverCrashes() throws {
        let small = try Small()
        var random = SeededGenerator(seed: 7)
        let metadataEnd = 4096 * 2
        var failures = 0
        for _ in 0..<300 {
            do {
                try small.read { image in
                    for _ in 0..<Int.random(in: 1...4, using: &random) {
                        let at = Int.random(in: 1024..<min(metadataEnd, image.count), using: &random)
                        image[at] = UInt8.random(in: 0...255, using: &random)
                    }
                }
            } catch is EROFSError {
                failures += 1
            } catch is ContentStore.StoreError {
                failures += 1
            }
        }
        #expect(failures > 0)
    }
}
