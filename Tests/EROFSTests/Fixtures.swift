import ByteCodec
import ContentStore
import Testing
import Foundation
import TestSupport
import FileTree
@testable import EROFS

/// A synthetic tree with every kind of node the writer handles, plus its content store.
final class Fixture: @unchecked Sendable {
    /// Built once (the store fsyncs every object, so building costs a second or two) and only
    /// read by the tests that share it; a test that changes the tree makes its own.
    static let shared: Fixture? = try? Fixture()
    static func make() throws -> Fixture { try #require(shared) }

    let scratch: ScratchDirectory
    let store: ContentStore
    var tree = FileTree()
    static let buildTime: Int64 = 1_700_000_000
    static let uuid: [UInt8] = Array(0x10...0x1f)

    /// `security.capability` v2 (VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE) granting
    /// CAP_NET_RAW (bit 13) permitted + effective: magic_etc, then (permitted, inheritable) × 2.
    static let pingCapability: [UInt8] = {
        var bytes: [UInt8] = []
        for word: UInt32 in [0x0200_0001, 1 << 13, 0, 0, 0] { bytes.appendInteger(word, endianness: .little) }
        return bytes
    }()

    static let longName = String(repeating: "n", count: 255)
    static let bigDirectoryCount = 3000

    init() throws {
        scratch = try ScratchDirectory()
        store = try ContentStore(root: scratch.path("store"))
        var random = SeededGenerator(seed: 42)
        func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) } }
        func file(_ path: String, _ content: [UInt8], mode: UInt16 = 0o644, uid: UInt32 = 0, gid: UInt32 = 0,
                  xattrs: [String: [UInt8]] = [:]) throws {
            let ref = try store.put(content)
            try tree.insert(FileTree.Node(.regular(ref), mode: mode, uid: uid, gid: gid, mtime: 12345, xattrs: xattrs), at: path)
        }
        func node(_ path: String, _ kind: FileTree.Node.Kind, mode: UInt16 = 0o644, uid: UInt32 = 0, gid: UInt32 = 0,
                  xattrs: [String: [UInt8]] = [:]) throws {
            try tree.insert(FileTree.Node(kind, mode: mode, uid: uid, gid: gid, mtime: 999, xattrs: xattrs), at: path)
        }

        try node("/", .directory, mode: 0o755)
        try node("/bin", .directory, mode: 0o755)
        try file("/bin/ping", bytes(20_000), mode: 0o4755, xattrs: ["security.capability": Self.pingCapability])
        try file("/bin/sgid", [0x7f], mode: 0o2755, gid: 5)
        try node("/tmp", .directory, mode: 0o1777)
        try file("/files/empty", [])
        try file("/files/one", [0x41])
        try file("/files/f4095", bytes(4095))
        try file("/files/f4096", bytes(4096))
        try file("/files/f4097", bytes(4097))
        try file("/files/f12192", bytes(12_192))
        try file("/files/big", bytes(3 << 20 | 123), mode: 0o600)
        try file("/files/xattrs", Array("x".utf8), xattrs: [
            "user.comment": Array("hello".utf8), "user.empty": [], "trusted.overlay.opaque": [0x79],
            "user.large": bytes(3000), "system.posix_acl_access": [2, 0, 0, 0],
        ])
        try node("/files/xattr-dir", .directory, mode: 0o750, xattrs: ["user.dir": Array("d".utf8)])
        try file("/links/a", Array("shared content\n".utf8), mode: 0o640)
        try node("/links/b", .hardlink("/links/a"))
        try node("/links/c", .hardlink("/links/a"))
        try node("/links/rel", .symlink("a"), mode: 0o777)
        try node("/links/abs", .symlink("/files/big"), mode: 0o777)
        try node("/links/long", .symlink(String(repeating: "t/", count: 150) + "end"), mode: 0o777)
        try node("/links/max", .symlink(String(repeating: "m", count: 4095)), mode: 0o777)
        try node("/dev/null", .characterDevice(major: 1, minor: 3), mode: 0o666)
        try node("/dev/sda", .blockDevice(major: 8, minor: 0), mode: 0o660, gid: 6)
        try node("/dev/wide", .characterDevice(major: 300, minor: 70_000), mode: 0o600)
        try node("/dev/fifo", .fifo, mode: 0o620)
        try node("/dev/sock", .socket, mode: 0o755)
        try file("/names/x", [1])
        try file("/names/" + Self.longName, [2])
        try file("/names/ünïcødé-名前", [3])
        try file("/names/!bang", [4])
        try file("/names/-dash", [5])
        try file("/names/+plus", [6])
        try file("/owned/file", bytes(100), uid: 70_000, gid: 70_001)
        try node("/owned/dir", .directory, mode: 0o700, uid: 70_000, gid: 65_535)
        for i in 0..<Self.bigDirectoryCount {
            let name = String(format: "/big-dir/entry-%05d", i)
            if i % 3 == 0 {
                try node(name, .symlink("target-\(i)"), mode: 0o777)
            } else {
                try file(name, i % 3 == 1 ? [] : Array("file \(i)".utf8))
            }
        }
        try node("/big-dir/sub", .directory, mode: 0o755)
        var deep = "/deep"
        for level in 1...40 { deep += "/d\(level)" }
        try file(deep + "/leaf", Array("deep".utf8))
    }

    var options: EROFS.WriteOptions { EROFS.WriteOptions(buildTime: Self.buildTime, uuid: Self.uuid, volumeName: "hostimg-test") }

    /// Writes the image into the scratch directory.
    @discardableResult
    func write(_ name: String = UUID().uuidString + ".erofs", options: EROFS.WriteOptions? = nil) throws -> (path: String, summary: EROFS.WriteSummary) {
        let path = scratch.path(name)
        let summary = try EROFS.write(tree, store: store, to: path, options: options ?? self.options)
        return (path, summary)
    }

    /// The tree as a round trip should give it back: every mtime the build time, no origins.
    var expectedTree: [String: FileTree.Node] {
        var result: [String: FileTree.Node] = [:]
        for (path, var node) in tree.entries {
            // A hard link has no metadata of its own: it reads back with its target's.
            if case .hardlink(let target) = node.kind, let shared = tree[target] {
                node = FileTree.Node(node.kind, mode: shared.mode, uid: shared.uid, gid: shared.gid, xattrs: shared.xattrs)
            }
            node.mtime = Self.buildTime
            node.origin = nil
            result[path] = node
        }
        return result
    }
}

func contents(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }
