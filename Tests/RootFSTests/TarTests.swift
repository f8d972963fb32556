import Archive
import ContentStore
import FileTree
import Foundation
import RootFS
import Testing
import TestSupport

@Suite struct TarTests {
    let scratch: ScratchDirectory
    let store: ContentStore

    init() throws {
        scratch = try ScratchDirectory()
        store = try ContentStore(root: scratch.path("store"))
    }

    /// A tree with one of everything a root file system holds.
    func sampleTree(devices: Bool = true) throws -> FileTree {
        var tree = MergedUsr.baseTree()
        func file(_ text: String) throws -> FileTree.Node.Kind { .regular(try store.put(Array(text.utf8))) }
        try tree.insert(FileTree.Node(try file("#!/bin/sh\n"), mode: 0o755, mtime: 12345), at: "/usr/bin/sh")
        try tree.insert(FileTree.Node(try file("suid"), mode: 0o4755), at: "/usr/bin/passwd")
        try tree.insert(FileTree.Node(try file("ping"), mode: 0o755, xattrs: ["security.capability": netRawCapability]),
                        at: "/usr/bin/ping")
        try tree.insert(FileTree.Node(try file("root:*:1::::::\n"), mode: 0o640, gid: 42), at: "/etc/shadow")
        try tree.insert(FileTree.Node(.directory, mode: 0o2775, uid: 1000, gid: 1001), at: "/home/user")
        try tree.insert(FileTree.Node(.symlink("/proc/self/mounts"), mode: 0o777), at: "/etc/mtab")
        try tree.insert(FileTree.Node(.symlink("sh"), mode: 0o777), at: "/usr/bin/bash")
        // The original sorts after its link: the writer must still emit the file first.
        try tree.insert(FileTree.Node(try file("shared"), mode: 0o644), at: "/usr/share/z-original")
        try tree.insert(FileTree.Node(.hardlink("/usr/share/z-original"), mode: 0o644), at: "/usr/share/a-link")
        try tree.insert(FileTree.Node(.directory, mode: 0o1777), at: "/tmp")
        try tree.insert(FileTree.Node(try file(""), mode: 0o600), at: "/var/empty-file")
        if devices {
            try tree.insert(FileTree.Node(.characterDevice(major: 1, minor: 3), mode: 0o666), at: "/dev/null")
            try tree.insert(FileTree.Node(.blockDevice(major: 7, minor: 0), mode: 0o660, gid: 6), at: "/dev/loop0")
            try tree.insert(FileTree.Node(.fifo, mode: 0o600), at: "/run/initctl")
        }
        try tree.insert(FileTree.Node(.socket, mode: 0o666), at: "/run/socket")
        return tree
    }

    @Test func twoWritesAreByteIdenticalAndTheReaderGetsTheTreeBack() throws {
        let tree = try sampleTree()
        let first = scratch.path("one.tar")
        let second = scratch.path("two.tar")
        let summary = try DeterministicTar.write(tree, store: store, to: first, sourceDateEpoch: 1_700_000_000)
        _ = try DeterministicTar.write(tree, store: store, to: second, sourceDateEpoch: 1_700_000_000)
        #expect(try Data(contentsOf: URL(fileURLWithPath: first)) == Data(contentsOf: URL(fileURLWithPath: second)))
        #expect(summary.skipped == ["/run/socket"])
        #expect(summary.entries == tree.count - 1)
        // No stray temporary files beside the output.
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).sorted() == ["one.tar", "store", "two.tar"])

        // Our own reader, as a second opinion: every node comes back, mtimes at the epoch.
        let back = try TarballSource.read(first, store: store)
        for (path, node) in tree.entries where path != "/run/socket" {
            let read = try #require(back[path], "\(path) is missing")
            #expect(read.mode == node.mode, "\(path)")
            #expect(read.uid == node.uid && read.gid == node.gid, "\(path)")
            #expect(read.xattrs == node.xattrs, "\(path)")
            #expect(read.mtime == 1_700_000_000, "\(path)")
            switch (path, read.kind) {
            case ("/usr/share/z-original", .hardlink("/usr/share/a-link")): break
            case ("/usr/share/a-link", .regular(let ref)): #expect(ref == tree["/usr/share/z-original"]?.content)
            default: #expect(read.kind == node.kind, "\(path)")
            }
        }

        // A different epoch changes the bytes; the same one did not.
        let third = scratch.path("three.tar")
        _ = try DeterministicTar.write(tree, store: store, to: third, sourceDateEpoch: 1)
        #expect(try Data(contentsOf: URL(fileURLWithPath: first)) != Data(contentsOf: URL(fileURLWithPath: third)))
    }

    @Test(.enabled(if: Tools.find("bsdtar") != nil, "bsdtar is not installed"))
    func bsdtarListsIt() throws {
        let path = scratch.path("rootfs.tar")
        _ = try DeterministicTar.write(try sampleTree(), store: store, to: path, sourceDateEpoch: 0)
        let result = try Tools.run(Tools.find("bsdtar") ?? "bsdtar", ["-tvf", path])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("drwxr-xr-x") == true)
        #expect(lines.first?.hasSuffix(" ./") == true)
        #expect(lines.contains { $0.hasPrefix("-rwsr-xr-x  0 0      0") && $0.hasSuffix("./usr/bin/passwd") })
        #expect(lines.contains { $0.hasPrefix("lrwxrwxrwx") && $0.hasSuffix("./bin -> usr/bin") })
        #expect(lines.contains { $0.hasPrefix("crw-rw-rw-") && $0.contains("./dev/null") })
        #expect(lines.contains { $0.hasPrefix("brw-rw----") && $0.contains("./dev/loop0") })
        #expect(lines.contains { $0.hasPrefix("prw-------") && $0.hasSuffix("./run/initctl") })
        #expect(lines.contains { $0.hasSuffix("./usr/share/z-original link to ./usr/share/a-link") })
        // Sorted bytewise, and no owner names.
        let names = lines.map { String($0.split(separator: " ", omittingEmptySubsequences: true).last ?? "") }
        #expect(!result.stdoutText.contains("root"))
        #expect(names.count == lines.count)
    }

    @Test(.enabled(if: Tools.find("tar") != nil, "GNU tar is not installed"))
    func gnuTarExtractsModesOwnersLinksAndContents() throws {
        let tree = try sampleTree(devices: getuid() == 0)
        let archive = scratch.path("rootfs.tar")
        _ = try DeterministicTar.write(tree, store: store, to: archive, sourceDateEpoch: 1_600_000_000)
        let target = scratch.path("extracted")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let result = try Tools.run(Tools.find("tar") ?? "tar",
                                   ["--xattrs", "--xattrs-include=*", "--numeric-owner", "-xpf", archive, "-C", target])
        #expect(result.status == 0, "\(result.stderr)")
        let isRoot = getuid() == 0
        for (path, node) in tree.entries where path != "/run/socket" {
            let full = target + (path == "/" ? "" : path)
            var status = stat()
            guard lstat(full, &status) == 0 else {
                Issue.record("\(path) was not extracted")
                continue
            }
            if node.symlinkTarget == nil {
                #expect(UInt16(status.st_mode & 0o7777) == node.mode, "mode of \(path)")
            }
            if isRoot {
                #expect(status.st_uid == node.uid && status.st_gid == node.gid, "owner of \(path)")
            }
            if path != "/" && node.symlinkTarget == nil { #expect(status.st_mtim.tv_sec == 1_600_000_000, "mtime of \(path)") }
            switch node.kind {
            case let .symlink(target):
                #expect(try FileManager.default.destinationOfSymbolicLink(atPath: full) == target)
            case let .regular(ref):
                #expect(try Data(contentsOf: URL(fileURLWithPath: full)) == Data(try store.read(ref)), "content of \(path)")
            case .hardlink:
                var original = stat()
                lstat(target + "/usr/share/z-original", &original)
                #expect(status.st_ino == original.st_ino && status.st_nlink == 2)
            case let .characterDevice(major, minor):
                #expect(status.st_mode & 0o170000 == 0o020000 && status.st_rdev == (UInt64(major) << 8 | UInt64(minor)))
            default:
                break
            }
        }
        if isRoot, let getcap = Tools.find("getcap") {
            let caps = try Tools.run(getcap, [target + "/usr/bin/ping"])
            #expect(caps.stdoutText.contains("cap_net_raw=ep"), "getcap: \(caps.stdoutText) \(caps.stderr)")
        }
    }

    @Test(.enabled(if: Tools.find("tar") != nil, "GNU tar is not installed"))
    func tarballSourceTakesARootfsAsItIs() throws {
        // A small rootfs made by GNU tar, zstd-compressed, with the merged-/usr links in it.
        let root = scratch.path("rootfs")
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/usr/bin", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try "busybox".write(toFile: root + "/usr/bin/busybox", atomically: true, encoding: .utf8)
        chmod(root + "/usr/bin/busybox", 0o4755)
        try fm.linkItem(atPath: root + "/usr/bin/busybox", toPath: root + "/usr/bin/sh")
        try fm.createSymbolicLink(atPath: root + "/bin", withDestinationPath: "usr/bin")
        try "host\n".write(toFile: root + "/etc/hostname", atomically: true, encoding: .utf8)
        chmod(root, 0o700)
        let archive = scratch.path("rootfs.tar.zst")
        let made = try Tools.run(Tools.find("tar") ?? "tar", ["--zstd", "--numeric-owner", "-cf", archive, "-C", root, "."])
        try #require(made.status == 0, "\(made.stderr)")

        let tree = try TarballSource.read(archive, store: store)
        #expect(tree["/"]?.mode == 0o700)
        #expect(tree["/bin"]?.symlinkTarget == "usr/bin")
        #expect(tree["/usr/bin/busybox"]?.mode == 0o4755 || tree["/usr/bin/sh"]?.mode == 0o4755)
        let pair = [tree["/usr/bin/busybox"]?.kind, tree["/usr/bin/sh"]?.kind]
        #expect(pair.contains(.hardlink("/usr/bin/busybox")) || pair.contains(.hardlink("/usr/bin/sh")))
        #expect(tree["/etc/hostname"]?.content?.size == 5)
        #expect(tree["/etc/hostname"]?.origin == "base.tarball")
    }

    @Test func tarballSourceRefusesEscapes() throws {
        for (name, entries) in [
            ("dotdot.tar", [ArchiveEntry.file("./../x", size: 0)]),
            ("through.tar", [.symlink("./etc", target: "/"), .file("./etc/passwd", size: 0)]),
            ("climb.tar", [.directory("./a"), .symlink("./a/up", target: "../../x")]),
        ] {
            let path = scratch.path(name)
            let writer = try ArchiveWriter(path: path, format: .paxRestricted, filter: .gzip)
            for entry in entries { try writer.writeHeader(entry) }
            try writer.finish()
            var tree = FileTree()
            let error = rootFSError { try TarballSource.read(path, store: store, into: &tree) }
            #expect(error?.description.hasPrefix(name + " entry") == true, "\(String(describing: error))")
            #expect(tree.count == 1)
        }
    }
}
