import ByteCodec
import ContentStore
import FileTree
import Foundation
import Testing
import TestSupport
@testable import EROFS

/// Record encodings checked against known values, and mkfs.erofs images read by this reader.
struct EROFSFormatTests {
    @Test func deviceNumbersUseTheKernelsNewEncoding() {
        #expect(EROFS.encodeDevice(major: 1, minor: 3) == 0x103)
        #expect(EROFS.encodeDevice(major: 8, minor: 0) == 0x800)
        #expect(EROFS.encodeDevice(major: 300, minor: 70_000) == (70_000 & 0xff) | (300 << 8) | ((70_000 & ~0xff) << 12))
        let decoded = EROFS.decodeDevice(EROFS.encodeDevice(major: 4095, minor: 1_048_575))
        #expect(decoded.major == 4095 && decoded.minor == 1_048_575)
    }

    @Test func crc32cMatchesTheCastagnoliCheckValue() {
        // The standard check value of CRC-32C over "123456789" is 0xE3069283 (with the final
        // inversion the kernel's crc32c(~0, ...) leaves out).
        #expect(~EROFS.CRC32C.update(~0, Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func superBlockRoundTrip() throws {
        var sb = EROFS.SuperBlock()
        sb.rootNid = 36
        sb.inodeCount = 7
        sb.buildTime = 1_700_000_000
        sb.blocks = 12
        sb.uuid = Array(1...16)
        sb.volumeNameBytes = Array("root".utf8)
        let bytes = sb.encoded()
        #expect(bytes.count == 128)
        #expect(Array(bytes[0..<4]) == [0xE2, 0xE1, 0xF5, 0xE0])
        #expect(bytes[12] == 12)
        var decoded = try EROFS.SuperBlock.decode(bytes, image: "x")
        #expect(decoded.volumeName == "root")
        decoded.volumeNameBytes = sb.volumeNameBytes
        #expect(decoded == sb)
    }

    @Test func directoryBlocksKeepNamesWhole() throws {
        // 12 + 200 bytes per entry: 19 fit in a block (4028 bytes), the 20th starts the next.
        let entries = (0..<25).map {
            EROFS.Directory.Entry(name: Array(String(format: "%03d", $0).utf8) + [UInt8](repeating: 0x61, count: 197),
                                  nid: UInt64(100 + $0), fileType: .regular)
        }
        let size = EROFS.Directory.size(nameLengths: entries.map(\.name.count), blockSize: 4096)
        #expect(size == 4096 + 6 * 212)
        let data = EROFS.Directory.encode(entries, blockSize: 4096)
        #expect(UInt64(data.count) == size)
        let first = try EROFS.Directory.decodeBlock(Array(data[0..<4096]), nid: 1, image: "x")
        let second = try EROFS.Directory.decodeBlock(Array(data[4096...]), nid: 1, image: "x")
        #expect(first.count == 19 && second.count == 6)
        #expect((first + second).map(\.name) == entries.map(\.name))
        #expect((first + second).map(\.nid) == entries.map(\.nid))
        #expect(try ByteReader(data, endianness: .little).u16(at: 8) == 19 * 12)
    }

    @Test func xattrPrefixesAndPadding() throws {
        #expect(EROFS.Xattr.split(Array("security.capability".utf8)).index == 6)
        #expect(EROFS.Xattr.split(Array("user.a".utf8)).index == 1)
        #expect(EROFS.Xattr.split(Array("trusted.overlay.opaque".utf8)).index == 4)
        #expect(EROFS.Xattr.split(Array("system.posix_acl_default".utf8)).index == 3)
        #expect(EROFS.Xattr.split(Array("system.other".utf8)).index == 0)
        let body = try EROFS.Xattr.encodeBody(["user.b": [1, 2, 3], "security.capability": [9], "x.long": []], path: "/p")
        // header 12; security.capability: 4+10+1 → 16; user.b: 4+1+3 = 8; x.long (index 0): 4+6 → 12
        #expect(body.count == 12 + 16 + 8 + 12)
        #expect(Array(body[12..<16]) == [10, 6, 1, 0])
        #expect(EROFS.Xattr.count(bodySize: body.count) == 10)
        let decoded = try EROFS.Xattr.decodeBody(body, nid: 0, image: "x") { (_) throws(EROFSError) in ([], []) }
        #expect(decoded == ["user.b": [1, 2, 3], "security.capability": [9], "x.long": []])
    }

    /// mkfs.erofs builds an image from the same kind of tree on disk; this reader must read
    /// it (shared xattrs, superblock checksum and all), and writing what it read must give
    /// an image that reads back the same and passes fsck.erofs.
    @Test(.enabled(if: Tools.find("mkfs.erofs") != nil && getuid() == 0, "mkfs.erofs missing or not root"))
    func mkfsImagesReadBackAndRewriteTheSame() throws {
        let scratch = try ScratchDirectory()
        let root = scratch.path("root")
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/usr/bin", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/many", withIntermediateDirectories: true)
        try Data(repeating: 0x5a, count: 10_000).write(to: URL(fileURLWithPath: root + "/usr/bin/ping"))
        chmod(root + "/usr/bin/ping", 0o4755)
        #expect(try setXattr(root + "/usr/bin/ping", "security.capability", Fixture.pingCapability))
        #expect(try setXattr(root + "/usr/bin/ping", "user.note", Array("n".utf8)))
        try Data("tiny".utf8).write(to: URL(fileURLWithPath: root + "/usr/tiny"))
        #expect(link(root + "/usr/tiny", root + "/usr/tiny-link") == 0)
        #expect(symlink("bin/ping", root + "/usr/ping-link") == 0)
        #expect(mknod(root + "/usr/null", S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0)
        #expect(mkfifo(root + "/usr/fifo", 0o600) == 0)
        for i in 0..<600 { try Data("\(i)".utf8).write(to: URL(fileURLWithPath: root + "/many/file-\(i)")) }
        let mkfsImage = scratch.path("mkfs.erofs")
        let mkfs = try Tools.run(try #require(Tools.find("mkfs.erofs")), ["-T1700000000", "--quiet", mkfsImage, root])
        try #require(mkfs.status == 0, "mkfs.erofs: \(mkfs.stderr)")

        let store = try ContentStore(root: scratch.path("store"))
        let upstream = try EROFS.Reader(path: mkfsImage)
        let tree = try upstream.fileTree(store: store)
        #expect(tree["/usr/bin/ping"]?.mode == 0o4755)
        #expect(tree["/usr/bin/ping"]?.xattrs["security.capability"] == Fixture.pingCapability)
        #expect(tree["/usr/bin/ping"]?.xattrs["user.note"] == Array("n".utf8))
        #expect(tree["/usr/tiny-link"]?.kind == .hardlink("/usr/tiny"))
        #expect(tree["/usr/ping-link"]?.kind == .symlink("bin/ping"))
        #expect(tree["/usr/null"]?.kind == .characterDevice(major: 1, minor: 3))
        #expect(tree["/usr/fifo"]?.kind == .fifo)
        #expect(tree.children(of: "/many").count == 600)

        let ours = scratch.path("ours.erofs")
        try EROFS.write(tree, store: store, to: ours, options: .init(buildTime: 1_700_000_000, uuid: Array(repeating: 3, count: 16)))
        let again = try EROFS.Reader(path: ours).fileTree(store: store)
        #expect(again.paths == tree.paths)
        for (path, node) in tree.entries { #expect(again[path] == node, "\(path)") }
        #expect(try EROFS.Reader(path: ours).listing().map(\.nlink) == upstream.listing().map(\.nlink))
        if let fsck = Tools.find("fsck.erofs") { #expect(try Tools.run(fsck, [ours]).status == 0) }
    }
}

/// setxattr(2), looked up at run time (Glibc's module map leaves out <sys/xattr.h>).
func setXattr(_ path: String, _ name: String, _ value: [UInt8]) throws -> Bool {
    typealias SetXattr = @convention(c) (UnsafePointer<CChar>, UnsafePointer<CChar>, UnsafeRawPointer?, Int, Int32) -> Int32
    let symbol = try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "setxattr"))
    let function = unsafeBitCast(symbol, to: SetXattr.self)
    return value.withUnsafeBytes { function(path, name, $0.baseAddress, value.count, 0) } == 0
}
