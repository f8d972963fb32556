import ByteCodec
import FileTree
import Foundation
import Testing
import TestSupport
@testable import EROFS

/// Sizes and numbers from a hostile image end in an EROFSError before they are used.
struct EROFSTrustBoundaryTests {
    typealias Small = EROFSHostileTests.Small

    @Test func aDirentWithAHugeNidIsCorruptNotACrash() throws {
        let small = try Small()
        let root = try small.rootDirectoryOffset()
        for nid: UInt64 in [(1 << 59) - 1, 1 << 59, UInt64.max, (1 << 58) + 3] {
            // Entries: ".", "..", "a", "b", "link"; "a" is the third dirent.
            let error = try #require(throws: EROFSError.self) {
                try small.read { $0.setInteger(nid, at: root + 2 * 12, endianness: .little) }
            }
            #expect(error.description.contains("nid \(nid) lies outside the image"), "\(error)")
        }
    }

    @Test func anExtendedInodeOfSize2To64Minus1IsCorruptNotACrash() throws {
        let small = try Small()
        let reader = try EROFS.Reader(path: small.path)
        let directory = try #require(try reader.listing().first { $0.path == "/a" })
        let at = Int(try reader.inodeOffset(directory.nid))
        for size: UInt64 in [UInt64.max, UInt64.max - 4095, 1 << 62] {
            let error = try #require(throws: EROFSError.self) {
                try small.read { bytes in
                    bytes[at] |= 1  // i_format: extended
                    bytes.setInteger(size, at: at + 8, endianness: .little)  // i_size (u64)
                }
            }
            #expect(error.description.contains("i_size \(size) is larger than the whole image"), "\(error)")
        }
    }

    @Test func anImageOffsetPastTheEndIsTruncatedNotACrash() throws {
        let small = try Small()
        for offset: UInt64 in [UInt64.max, UInt64.max - 1000, 1 << 63] {
            #expect(throws: EROFSError.self) { try EROFS.Reader(path: small.path, offset: offset) }
        }
    }

    @Test func pathsLongerThanPATHMAXAreRefused() throws {
        let small = try Small()
        #expect(EROFS.Reader.Limits.pathBytes == 4096)
        // A name of 255 bytes nested 17 deep is 4352 bytes: no reader lists it.
        var tree = FileTree()
        var directory = ""
        for level in 0..<17 {
            directory += "/" + String(repeating: Character(Unicode.Scalar(UInt8(97 + level))), count: 255)
            try tree.insert(.directory(), at: directory)
        }
        try tree.insert(FileTree.Node(.regular(try small.store.put([1])), mode: 0o644), at: directory + "/f")
        let path = small.scratch.path("deep.erofs")
        try EROFS.write(tree, store: small.store, to: path, options: .init(buildTime: 1, uuid: Array(repeating: 1, count: 16)))
        let error = try #require(throws: EROFSError.self) { try EROFS.Reader(path: path).listing() }
        #expect(error.description.contains("bytes long; a reader lists at most 4096 bytes per path"), "\(error)")
    }

    @Test(.timeLimit(.minutes(1)))
    func aFIFOADirectoryOrADeviceNodeIsRefusedBeforeItIsRead() throws {
        let scratch = try ScratchDirectory()
        defer { withExtendedLifetime(scratch) {} }
        for (path, kind) in try scratch.nonFileInputs() {
            let error = try #require(throws: EROFSError.self) { try EROFS.Reader(path: path) }
            #expect(error == .unreadable(path: path, reason: "it is \(kind), not a regular file or a block device; give the path of the file itself"))
        }
    }
}
