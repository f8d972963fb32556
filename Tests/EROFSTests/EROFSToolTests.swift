import ContentStore
import FileTree
import Foundation
import Testing
import TestSupport
@testable import EROFS

/// The upstream tools' opinion of the writer's images (erofs-utils 1.5 on Debian 12:
/// its fsck.erofs extracts types, modes, owners, times, symlinks, devices and contents but
/// neither xattrs nor hard links, and its dump.erofs prints nids, link counts and xattr sizes).
@Suite(.enabled(if: Tools.find("fsck.erofs") != nil && Tools.find("dump.erofs") != nil,
                "fsck.erofs/dump.erofs (erofs-utils) are not installed"))
struct EROFSToolTests {
    @Test func fsckAcceptsTheImage() throws {
        let fixture = try Fixture.make()
        let (image, _) = try fixture.write()
        let result = try Tools.run(try #require(Tools.find("fsck.erofs")), [image])
        #expect(result.status == 0, "fsck.erofs: \(result.stderr)")
        #expect(!result.stderr.contains("corrupt"))
    }

    @Test(.enabled(if: getuid() == 0, "extracting owners and devices needs root"))
    func extractionReproducesTheTree() throws {
        let fixture = try Fixture.make()
        let (image, _) = try fixture.write()
        let fsck = try #require(Tools.find("fsck.erofs"))

        // Default for root (--preserve): owners and modes, but lchown after chmod clears the
        // setuid/setgid bits of files, so a second extraction without owners checks those.
        let owned = fixture.scratch.path("extract-owned")
        let keepOwners = try Tools.run(fsck, ["--extract=" + owned, "--preserve", image])
        #expect(keepOwners.status == 0, "fsck.erofs --extract: \(keepOwners.stderr)")
        let modes = fixture.scratch.path("extract-modes")
        let keepModes = try Tools.run(fsck, ["--extract=" + modes, "--preserve-perms", "--no-preserve-owner", image])
        #expect(keepModes.status == 0, "fsck.erofs --extract: \(keepModes.stderr)")

        #expect(try listTree(owned) == Set(fixture.tree.paths))
        for (path, node) in fixture.tree.entries {
            let resolved = try resolvedNode(node, in: fixture.tree)
            let here = owned + (path == "/" ? "" : path)
            let info = try lstatOrThrow(here)
            let modeInfo = try lstatOrThrow(modes + (path == "/" ? "" : path))
            #expect(UInt16(info.st_mode) & 0o170000 == typeBits(resolved.kind), "\(path) type")
            #expect(UInt16(modeInfo.st_mode) & 0o7777 == resolved.mode, "\(path) mode")
            #expect(info.st_uid == resolved.uid && info.st_gid == resolved.gid, "\(path) owner")
            #expect(info.st_mtim.tv_sec == Int(Fixture.buildTime), "\(path) mtime")
            switch resolved.kind {
            case let .regular(ref):
                #expect(try fixture.store.put(contents(here)) == ref, "\(path) content")
            case let .symlink(target):
                #expect(readLink(here) == target, "\(path) target")
            case let .characterDevice(major, minor), let .blockDevice(major, minor):
                #expect(deviceNumbers(UInt64(info.st_rdev)) == (major, minor), "\(path) device")
            default: break
            }
        }
    }

    @Test func dumpShowsSharedInodesAndXattrSizes() throws {
        let fixture = try Fixture.make()
        let (image, _) = try fixture.write()
        let a = try dump(image, "/links/a"), b = try dump(image, "/links/b"), c = try dump(image, "/links/c")
        #expect(a.nid != nil && a.nid == b.nid && b.nid == c.nid)
        #expect(a.links == 3)
        #expect(try dump(image, "/bin").links == 2)
        #expect(try dump(image, "/big-dir").links == 3)
        let xattrs = try dump(image, "/files/xattrs")
        let expected = try EROFS.Xattr.encodeBody(fixture.tree["/files/xattrs"]?.xattrs ?? [:], path: "")
        #expect(xattrs.xattrSize == expected.count && expected.count > 3000)
        #expect(try dump(image, "/bin/ping").xattrSize == 12 + 4 + "capability".utf8.count + 2 + 20)
        #expect(try dump(image, "/owned/file").inodeSize == 64)
        #expect(try dump(image, "/files/one").inodeSize == 32)

        let sb = try Tools.run(try #require(Tools.find("dump.erofs")), ["-s", image])
        #expect(sb.stdoutText.contains("10111213-1415-1617-1819-1a1b1c1d1e1f"))
        #expect(sb.stdoutText.contains("Filesystem inode count:") && sb.stdoutText.contains("\(fixture.tree.count - 2)"))
    }

    // MARK: helpers

    struct Dumped { var nid: Int?; var links: Int?; var xattrSize: Int?; var inodeSize: Int? }

    func dump(_ image: String, _ path: String) throws -> Dumped {
        let result = try Tools.run(try #require(Tools.find("dump.erofs")), ["--path=" + path, image])
        let words = result.stdoutText.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        func after(_ label: String) -> Int? {
            words.firstIndex(of: label).flatMap { $0 + 1 < words.count ? Int(words[$0 + 1]) : nil }
        }
        return Dumped(nid: after("NID:"), links: after("Links:"), xattrSize: after("size:").flatMap { _ in
            words.indices.first { words[$0] == "Xattr" }.flatMap { Int(words[$0 + 2]) }
        }, inodeSize: words.indices.first { words[$0] == "Inode" }.flatMap { Int(words[$0 + 2]) })
    }
}

func resolvedNode(_ node: FileTree.Node, in tree: FileTree) throws -> FileTree.Node {
    if case let .hardlink(target) = node.kind { return try #require(tree[target]) }
    return node
}

func typeBits(_ kind: FileTree.Node.Kind) -> UInt16 {
    switch kind {
    case .directory: return 0o040000
    case .regular, .hardlink: return 0o100000
    case .symlink: return 0o120000
    case .characterDevice: return 0o020000
    case .blockDevice: return 0o060000
    case .fifo: return 0o010000
    case .socket: return 0o140000
    }
}

/// glibc's `gnu_dev_major`/`gnu_dev_minor`.
func deviceNumbers(_ dev: UInt64) -> (UInt32, UInt32) {
    (UInt32(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfff)), UInt32((dev & 0xff) | ((dev >> 12) & ~0xff)))
}

func lstatOrThrow(_ path: String) throws -> stat {
    var info = stat()
    try #require(lstat(path, &info) == 0, "lstat \(path)")
    return info
}

/// Every path under `root` as an absolute tree path ("/" for root itself).
func listTree(_ root: String) throws -> Set<String> {
    var result: Set<String> = ["/"]
    var pending = [""]
    while let relative = pending.popLast() {
        for name in try FileManager.default.contentsOfDirectory(atPath: root + relative) {
            let path = relative + "/" + name
            result.insert(path)
            if try lstatOrThrow(root + path).st_mode & S_IFMT == S_IFDIR { pending.append(path) }
        }
    }
    return result
}

/// readlink(2) with room for the longest target (Foundation's helper truncates near PATH_MAX).
func readLink(_ path: String) -> String? {
    var buffer = [UInt8](repeating: 0, count: 8192)
    let count = readlink(path, &buffer, buffer.count)
    return count < 0 ? nil : String(decoding: buffer[0..<count], as: UTF8.self)
}
