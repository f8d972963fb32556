import Archive
import ContentStore
import FileTree
import Foundation
import RootFS
import Testing
import TestSupport

/// Packages that try to write outside the tree, or are broken: each is refused with an error
/// naming the package and the entry, and the tree is exactly as before.
@Suite(.enabled(if: DebFixtures.hasAr, "ar (binutils) is not installed"))
struct HostileDebTests {
    let fixtures: DebFixtures
    /// A tree that already holds a package, so "unchanged" means something.
    let base: FileTree

    init() throws {
        fixtures = try DebFixtures()
        var tree = MergedUsr.baseTree()
        let deb = try fixtures.craft("base", entries: [
            .directory("./etc"), .file("./etc/passwd", size: 0), .symlink("./etc/mtab", target: "/proc/self/mounts"),
            .directory("./var"), .symlink("./var/run", target: "/run"),
        ], contents: ["./etc/passwd": Array("root:x:0:0::/root:/bin/sh\n".utf8)])
        _ = try DebUnpacker(store: fixtures.store).unpack(deb, into: &tree)
        base = tree
    }

    private func refused(_ deb: String) -> RootFSError? {
        var tree = base
        let error = rootFSError { _ = try DebUnpacker(store: fixtures.store).unpack(deb, into: &tree) }
        #expect(snapshot(tree) == snapshot(base), "the tree changed although the package was refused")
        return error
    }

    @Test func dotDotPathIsRefused() throws {
        let deb = try fixtures.craft("libfoo", entries: [.file("../../etc/passwd", size: 0)])
        let error = try #require(refused(deb))
        #expect(error.description == "libfoo_1.0_amd64.deb: data.tar entry '../../etc/passwd' escapes the tree (a '..' component); refusing the whole archive")
    }

    @Test func fileThroughASymlinkToTheRootIsRefused() throws {
        let deb = try fixtures.craft("evil", entries: [
            .directory("./usr"), .file("./usr/ok", size: 0), .symlink("./etcx", target: "/"), .file("./etcx/passwd", size: 0),
        ])
        let error = try #require(refused(deb))
        #expect(error == .throughSymlink(SourceLocation(source: "evil_1.0_amd64.deb", member: "data.tar"),
                                         entry: "./etcx/passwd", symlink: "/etcx"))
    }

    @Test func relativeSymlinkClimbingAboveTheRootIsRefused() throws {
        let deb = try fixtures.craft("climb", entries: [.directory("./usr"), .symlink("./usr/x", target: "../../..")])
        let error = try #require(refused(deb))
        #expect(error == .symlinkEscapes(SourceLocation(source: "climb_1.0_amd64.deb", member: "data.tar"),
                                         entry: "./usr/x", target: "../../.."))
        #expect(error.description.contains("climbs above the root"))
    }

    @Test func fileThroughAnAbsoluteSymlinkOfAnotherPackageIsRefused() throws {
        // /var/run -> /run came with the base package; writing /var/run/x would follow it.
        let deb = try fixtures.craft("runner", entries: [.directory("./var"), .directory("./var/run"), .file("./var/run/x.pid", size: 0)])
        let error = try #require(refused(deb))
        #expect(error == .throughSymlink(SourceLocation(source: "runner_1.0_amd64.deb", member: "data.tar"),
                                         entry: "./var/run/x.pid", symlink: "/var/run"))
    }

    @Test func fileThroughARelativeSymlinkIsRefused() throws {
        let deb = try fixtures.craft("rel", entries: [
            .directory("./usr"), .symlink("./usr/up", target: ".."), .file("./usr/up/etc/shadow", size: 0),
        ])
        let error = try #require(refused(deb))
        #expect(error.description.contains("goes through the symlink /usr/up"))
    }

    @Test func hardlinkToAPathOutsideTheArchiveIsRefused() throws {
        let deb = try fixtures.craft("links", entries: [.hardlink("./usr/passwd", target: "./etc/passwd")])
        let error = try #require(refused(deb))
        #expect(error.description.contains("hard link to '/etc/passwd', which is not an earlier entry"))
    }

    @Test func fileOverADirectoryIsRefused() throws {
        let deb = try fixtures.craft("clobber", entries: [.file("./etc", size: 0)])
        let error = try #require(refused(deb))
        #expect(error.description.contains("would replace the directory /etc (from base)"))
    }

    @Test(arguments: [100, 1000, 3000])
    func truncatedDebIsRefused(keep: Int) throws {
        var entries: [ArchiveEntry] = [.directory("./usr"), .directory("./usr/share")]
        var contents: [String: [UInt8]] = [:]
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for index in 0..<8 {
            entries.append(.file("./usr/share/f\(index)", size: 0))
            // xorshift noise, so xz cannot shrink the package below the cut.
            contents["./usr/share/f\(index)"] = (0..<4096).map { _ in
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                return UInt8(truncatingIfNeeded: state)
            }
        }
        let deb = try fixtures.craft("trunc", entries: entries, contents: contents, dataFilter: .xz)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: deb)))
        try #require(bytes.count > keep)
        try Data(bytes[..<(bytes.count - keep)]).write(to: URL(fileURLWithPath: deb))
        let error = try #require(refused(deb))
        #expect(error.description.hasPrefix("trunc_1.0_amd64.deb"))
        #expect(error.description.contains("cannot read"))
        #expect(error.description.contains("data.tar.xz"), "\(error)")
    }

    @Test func etcLinkToTheRootThenAFileUnderItIsRefused() throws {
        var tree = FileTree()
        let deb = try fixtures.craft("etclink", entries: [.symlink("./etc", target: "/"), .file("./etc/passwd", size: 0)])
        let error = rootFSError { _ = try DebUnpacker(store: fixtures.store).unpack(deb, into: &tree) }
        #expect(error == .throughSymlink(SourceLocation(source: "etclink_1.0_amd64.deb", member: "data.tar"),
                                         entry: "./etc/passwd", symlink: "/etc"))
        #expect(tree.count == 1)
    }

    @Test func arMembersWithoutFileTypeBits() throws {
        // GNU ar in deterministic mode (the Debian default) writes member modes as "644",
        // without S_IFREG; dpkg-deb writes "100644". The Archive module refuses type 0.
        let deb = try fixtures.craft("detar", entries: [.file("./x", size: 0)])
        let plain = fixtures.scratch.path("detar-plain.deb")
        let directory = fixtures.scratch.path("detar-members")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ar = Tools.find("ar") ?? "ar"
        for member in ["debian-binary", "control.tar.gz", "data.tar"] {
            let result = try Tools.run(ar, ["p", deb, member])
            try Data(result.stdout).write(to: URL(fileURLWithPath: directory + "/" + member))
        }
        _ = try Tools.run(ar, ["rcD", plain] + ["debian-binary", "control.tar.gz", "data.tar"].map { directory + "/" + $0 })
        var tree = FileTree()
        _ = try DebUnpacker(store: fixtures.store).unpack(plain, into: &tree)
        #expect(tree["/x"] != nil)
    }

    @Test func notADebIsRefused() throws {
        let path = fixtures.scratch.path("junk.deb")
        try Data("this is not an ar archive\n".utf8).write(to: URL(fileURLWithPath: path))
        let error = try #require(refused(path))
        #expect(error.description.hasPrefix("junk.deb"))
    }

    @Test func wrongFormatVersionIsRefused() throws {
        let deb = try fixtures.craft("future", entries: [.file("./x", size: 0)], debianBinary: "3.0\n")
        let error = try #require(refused(deb))
        #expect(error == .notADebianPackage(source: "future_1.0_amd64.deb", reason: "debian-binary says '3.0', expected a 2.x format version"))
    }

    @Test func controlWithoutVersionIsRefused() throws {
        let deb = try fixtures.craft("nover", entries: [.file("./x", size: 0)],
                                     control: "Package: nover\nArchitecture: amd64\n")
        #expect(refused(deb) == .missingControlField(source: "nover_1.0_amd64.deb", field: "Version"))
    }

    /// The deb822 parser reads `control`: what dpkg refuses (a second paragraph, a line that
    /// is not a field) is refused with the line, where the old reader skipped it.
    @Test(arguments: [
        ("Package: two\nVersion: 1\n\nArchitecture: amd64\n",
         "its control file cannot be read: it has 2 paragraphs separated by blank lines; a binary package's control file has one"),
        ("Package: junk\nVersion: 1\nArchitecture: amd64\njunk\n",
         "its control file cannot be read: line 4: \"junk\" is not a field: a field is \"Name: value\" and a continuation line starts with a space"),
    ])
    func malformedControlIsRefused(control: String, reason: String) throws {
        let deb = try fixtures.craft("bad", entries: [.file("./x", size: 0)], control: control)
        #expect(refused(deb) == .notADebianPackage(source: "bad_1.0_amd64.deb", reason: reason))
    }
}
