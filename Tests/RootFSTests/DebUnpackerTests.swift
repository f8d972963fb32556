import Archive
import ContentStore
import Debian
import FileTree
import Foundation
import RootFS
import Testing
import TestSupport

@Suite struct DebUnpackerTests {
    @Test(.enabled(if: DebFixtures.hasDpkgDeb, "dpkg-deb is not installed"),
          arguments: ["xz", "gzip", "zstd", "none"])
    func unpacksWhatDpkgDebBuilt(compression: String) throws {
        let fixtures = try DebFixtures()
        let deb = try fixtures.dpkgDeb("hello", files: [
            ("bin/hello", .file("#!/bin/sh\necho hello\n", mode: 0o755)),
            ("usr/bin/su-helper", .file("setuid\n", mode: 0o4755)),
            ("usr/bin/hello-link", .symlink("/bin/hello")),
            ("usr/share/hello/a", .file("shared inode\n")),
            ("usr/share/hello/b", .hardlink(to: "usr/share/hello/a")),
            ("etc/hello.conf", .file("greeting=hi\n")),
            ("lib/x86_64-linux-gnu/libhello.so.1", .file("ELF?\n")),
        ], scripts: ["postinst": "#!/bin/sh\nexit 0\n", "prerm": "#!/bin/sh\n"],
           conffiles: "/etc/hello.conf\n", md5sums: "0123456789abcdef0123456789abcdef  usr/bin/su-helper\n",
           compression: compression)

        var tree = MergedUsr.baseTree()
        let (package, conflicts) = try DebUnpacker(store: fixtures.store).unpack(deb, into: &tree)
        #expect(conflicts.isEmpty)
        #expect(package.name == "hello")
        #expect(package.version == "1.0")
        #expect(package.architecture == "amd64")
        #expect(package.control.fields.first?.raw == "Package: hello")
        #expect(package.control.fields.last?.raw == "Description: test package hello\n A second description line.")
        #expect(package.control["Description"] == "test package hello\nA second description line.")
        #expect(package.conffiles == "/etc/hello.conf\n")
        #expect(package.scripts == ["postinst": "#!/bin/sh\nexit 0\n", "prerm": "#!/bin/sh\n"])
        #expect(package.md5sums == "0123456789abcdef0123456789abcdef  usr/bin/su-helper\n")

        // Merged /usr: /bin/hello is stored as /usr/bin/hello, /bin stays a link.
        #expect(tree["/bin"]?.symlinkTarget == "usr/bin")
        #expect(tree["/lib"]?.symlinkTarget == "usr/lib")
        #expect(tree["/bin/hello"] == nil)
        let hello = try #require(tree["/usr/bin/hello"])
        #expect(hello.mode == 0o755)
        #expect(try fixtures.read(hello.content) == "#!/bin/sh\necho hello\n")
        #expect(hello.origin == "hello")
        #expect(tree["/usr/lib/x86_64-linux-gnu/libhello.so.1"]?.content != nil)
        #expect(package.files.contains("/usr/bin/hello"))
        #expect(package.files.contains("/usr/lib/x86_64-linux-gnu"))
        #expect(!package.files.contains { $0.hasPrefix("/bin") || $0.hasPrefix("/lib/") })
        #expect(package.files == package.files.sorted())

        #expect(tree["/usr/bin/su-helper"]?.mode == 0o4755)
        #expect(tree["/usr/bin/su-helper"]?.uid == 0)
        #expect(tree["/usr/bin/hello-link"]?.symlinkTarget == "/bin/hello")
        #expect(tree.resolve("/usr/bin/hello-link")?.path == "/usr/bin/hello")
        let a = try #require(tree["/usr/share/hello/a"])
        let b = try #require(tree["/usr/share/hello/b"])
        // dpkg-deb writes the first path it meets as the file, the other as a link to it.
        switch (a.kind, b.kind) {
        case (.regular, .hardlink("/usr/share/hello/a")), (.hardlink("/usr/share/hello/b"), .regular): break
        default: Issue.record("expected a hard link pair, got \(a.kind) and \(b.kind)")
        }
        #expect(tree["/etc/hello.conf"]?.mode == 0o644)
    }

    @Test(.enabled(if: DebFixtures.hasAr, "ar (binutils) is not installed"))
    func keepsXattrsDevicesOwnersAndTimes() throws {
        let fixtures = try DebFixtures()
        var ping = ArchiveEntry.file("./usr/bin/ping", size: 0, mode: 0o755, mtime: .init(seconds: 1_700_000_000))
        ping.xattrs = [.init(name: "security.capability", value: netRawCapability)]
        var shadow = ArchiveEntry.file("./etc/shadow", size: 0, mode: 0o640)
        shadow.gid = 42
        var owned = ArchiveEntry.directory("./var/lib/thing", mode: 0o2770)
        owned.uid = 1234
        owned.gid = 5678
        let deb = try fixtures.craft("caps", entries: [
            .directory("./"), .directory("./usr"), .directory("./usr/bin"), ping,
            .directory("./etc"), shadow, .directory("./var"), .directory("./var/lib"), owned,
            .directory("./dev"), .characterDevice("./dev/null", major: 1, minor: 3, mode: 0o666),
            .blockDevice("./dev/loop0", major: 7, minor: 0, mode: 0o660),
            ArchiveEntry(path: "./dev/initctl", type: .fifo, mode: 0o600),
            .directory("./sbin"), .file("./sbin/tool", size: 0, mode: 0o755),
            .directory("./lib32"), .file("./lib32/libx.so", size: 0),
        ], contents: ["./usr/bin/ping": Array("ping".utf8), "./etc/shadow": Array("root:*:1::::::\n".utf8),
                      "./sbin/tool": Array("tool".utf8), "./lib32/libx.so": []],
           dataFilter: .zstd(level: 3))

        var tree = FileTree()
        let (package, _) = try DebUnpacker(store: fixtures.store).unpack(deb, into: &tree)
        let pingNode = try #require(tree["/usr/bin/ping"])
        #expect(pingNode.xattrs == ["security.capability": netRawCapability])
        #expect(pingNode.mtime == 1_700_000_000)
        #expect(tree["/etc/shadow"]?.gid == 42)
        #expect(tree["/etc/shadow"]?.mode == 0o640)
        #expect(tree["/var/lib/thing"]?.uid == 1234)
        #expect(tree["/var/lib/thing"]?.gid == 5678)
        #expect(tree["/var/lib/thing"]?.mode == 0o2770)
        #expect(tree["/dev/null"]?.kind == .characterDevice(major: 1, minor: 3))
        #expect(tree["/dev/null"]?.mode == 0o666)
        #expect(tree["/dev/loop0"]?.kind == .blockDevice(major: 7, minor: 0))
        #expect(tree["/dev/initctl"]?.kind == .fifo)
        #expect(tree["/usr/sbin/tool"]?.content != nil)
        // lib32 is only linked because the package used it; an empty tree got the usual links too.
        #expect(tree["/lib32"]?.symlinkTarget == "usr/lib32")
        #expect(tree["/usr/lib32/libx.so"]?.content?.size == 0)
        #expect(tree["/libx32"] == nil)
        #expect(tree["/sbin"]?.symlinkTarget == "usr/sbin")
        #expect(tree["/lib64"]?.symlinkTarget == "usr/lib64")
        #expect(package.files.first == "/dev")
        #expect(!package.files.contains("/"))
    }

    @Test(.enabled(if: DebFixtures.hasAr, "ar (binutils) is not installed"))
    func conflictsAreRecordedAndTheLaterPackageWins() async throws {
        let fixtures = try DebFixtures()
        let first = try fixtures.craft("first", entries: [
            .directory("./usr"), .directory("./usr/share", mode: 0o755), .file("./usr/share/same", size: 0),
            .file("./usr/share/only-first", size: 0),
        ], contents: ["./usr/share/same": Array("first".utf8)])
        let second = try fixtures.craft("second", entries: [
            .directory("./usr"), .directory("./usr/share", mode: 0o700), .file("./usr/share/same", size: 0),
        ], contents: ["./usr/share/same": Array("second".utf8)])
        let third = try fixtures.craft("third", entries: [
            .directory("./usr"), .directory("./usr/share"), .symlink("./usr/share/same", target: "only-first"),
        ])

        var tree = MergedUsr.baseTree()
        let (packages, conflicts) = try await unpackAll(
            debs: [("first.deb", first), ("second.deb", second), ("third.deb", third)], into: &tree, store: fixtures.store)
        #expect(packages.map(\.name) == ["first", "second", "third"])
        #expect(conflicts == [PathConflict(path: "/usr/share/same", packages: ["first", "second", "third"])])
        #expect(tree["/usr/share/same"]?.symlinkTarget == "only-first")
        #expect(tree["/usr/share/same"]?.origin == "third")
        // A shared directory keeps the first package's metadata.
        #expect(tree["/usr/share"]?.mode == 0o755)
        #expect(tree["/usr/share"]?.origin == "first")
        #expect(packages[1].files == ["/usr", "/usr/share", "/usr/share/same"])
    }

    @Test(.enabled(if: DebFixtures.hasAr, "ar (binutils) is not installed"))
    func parallelUnpackIsDeterministic() async throws {
        let fixtures = try DebFixtures()
        var debs: [(name: String, path: String)] = []
        for index in 0..<12 {
            var entries: [ArchiveEntry] = [.directory("./usr"), .directory("./usr/share"), .directory("./usr/share/p\(index)")]
            var contents: [String: [UInt8]] = [:]
            for file in 0..<20 {
                entries.append(.file("./usr/share/p\(index)/f\(file)", size: 0))
                contents["./usr/share/p\(index)/f\(file)"] = Array("\(index)-\(file)".utf8)
            }
            entries.append(.file("./usr/share/common", size: 0))
            contents["./usr/share/common"] = Array("from \(index)".utf8)
            debs.append(("p\(index).deb", try fixtures.craft("p\(index)", entries: entries, contents: contents, dataFilter: .gzip)))
        }
        let unpacker = DebUnpacker(store: fixtures.store)
        var serial = FileTree()
        let one = try await unpacker.unpackAll(debs: debs, into: &serial, maxConcurrency: 1)
        var parallel = FileTree()
        let many = try await unpacker.unpackAll(debs: debs, into: &parallel, maxConcurrency: 8)
        #expect(snapshot(serial) == snapshot(parallel))
        #expect(one.packages == many.packages)
        #expect(one.conflicts == many.conflicts)
        #expect(many.conflicts.first?.packages == (0..<12).map { "p\($0)" })
        #expect(try fixtures.read(parallel["/usr/share/common"]?.content) == "from 11")
    }

    @Test(.enabled(if: DebFixtures.hasAr, "ar (binutils) is not installed"))
    func parallelUnpackFailsWithTheFirstBadPackageAndLeavesTheTree() async throws {
        let fixtures = try DebFixtures()
        let good = try fixtures.craft("good", entries: [.file("./good", size: 0)])
        let bad1 = try fixtures.craft("bad1", entries: [.file("./../bad1", size: 0)])
        let bad2 = try fixtures.craft("bad2", entries: [.file("./../bad2", size: 0)])
        var tree = MergedUsr.baseTree()
        let before = snapshot(tree)
        await #expect(throws: RootFSError.escapesTree(SourceLocation(source: "bad1.deb", member: "data.tar"), entry: "./../bad1")) {
            _ = try await unpackAll(debs: [("good.deb", good), ("bad1.deb", bad1), ("bad2.deb", bad2)],
                                    into: &tree, store: fixtures.store)
        }
        #expect(snapshot(tree) == before)
    }
}
