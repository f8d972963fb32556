import Archive
import Foundation
import TestSupport
import Testing

@Suite(.enabled(if: Tools.find("bsdtar") != nil, "bsdtar is not installed (apt-get install libarchive-tools)"))
struct BsdtarTests {
    @Test func bsdtarListsOurTarZst() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("rootfs.tar.zst")
        try Fixture.write(Fixture.entries, to: try ArchiveWriter(path: path, format: .paxRestricted, filter: .zstd(level: 3)))
        let result = try Tools.run(try #require(Tools.find("bsdtar")), ["-tvf", path])
        #expect(result.status == 0, "bsdtar -tvf failed: \(result.stderr)")
        let lines = result.stdoutText.split(separator: "\n").map(String.init)
        #expect(lines.count == Fixture.entries.count, "\(lines)")
        func line(_ path: String) -> String { lines.first { $0.contains(" \(path)") } ?? "" }
        #expect(line("etc/").hasPrefix("drwxr-xr-x"))
        #expect(line("etc/hostname").hasPrefix("-rw-r--r--"))
        #expect(line("etc/hostname").contains("builder"))
        #expect(line("etc/localtime").hasPrefix("lrwxrwxrwx"))
        #expect(line("etc/localtime").hasSuffix("-> /usr/share/zoneinfo/UTC"))
        #expect(line("etc/hostname.bak").hasSuffix("link to etc/hostname"))
        #expect(line("dev/console").hasPrefix("crw-------"))
        #expect(line("usr/bin/ping").hasPrefix("-rwxr-xr-x"))
    }

}

@Suite(.enabled(if: Tools.find("bsdcpio") != nil, "bsdcpio is not installed (apt-get install libarchive-tools)"))
struct BsdcpioTests {
    @Test func bsdcpioListsOurInitrd() throws {
        let bsdcpio = try #require(Tools.find("bsdcpio"))
        let scratch = try ScratchDirectory()
        let path = scratch.path("initrd.cpio.zst")
        let entries = Fixture.entries.filter { $0.0.type != .hardlink && $0.0.xattrs.isEmpty }
        try Fixture.write(entries, to: try ArchiveWriter(path: path, format: .cpioNewc, filter: .zstd(level: 19)))
        let result = try Tools.run(bsdcpio, ["-itv", "-F", path])
        #expect(result.status == 0, "bsdcpio -it failed: \(result.stderr)")
        #expect(result.stdoutText.split(separator: "\n").count == entries.count, "\(result.stdoutText)")
    }
}

@Suite(.enabled(if: Tools.find("dpkg-deb") != nil, "dpkg-deb is not installed (apt-get install dpkg)"))
struct DebianPackageTests {
    /// A real .deb made by dpkg-deb: ar outer layer, data.tar.xz read through a nested reader.
    @Test func readsDataOfARealDeb() throws {
        let scratch = try ScratchDirectory()
        let root = scratch.url.appendingPathComponent("pkg")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("DEBIAN"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("usr/share/hostimg"), withIntermediateDirectories: true)
        try """
            Package: hostimg-test
            Version: 1.0
            Architecture: all
            Maintainer: hostimg tests <tests@example.invalid>
            Description: test package

            """.write(to: root.appendingPathComponent("DEBIAN/control"), atomically: true, encoding: .utf8)
        try Data(Fixture.bigFile).write(to: root.appendingPathComponent("usr/share/hostimg/big.bin"))
        let deb = scratch.path("test.deb")
        let build = try Tools.run(try #require(Tools.find("dpkg-deb")), ["--root-owner-group", "-Zxz", "--build", root.path, deb])
        #expect(build.status == 0, "dpkg-deb --build failed: \(build.stderr)")

        let outer = try ArchiveReader(path: deb, formats: [.ar])
        var members: [String] = []
        var found: [UInt8]?
        while let member = try outer.nextEntry() {
            members.append(member.path)
            guard member.path.hasPrefix("data.tar") else { continue }
            let data = try ArchiveReader(entryDataOf: outer, formats: [.tar])
            while let entry = try data.nextEntry() {
                if entry.path == "./usr/share/hostimg/big.bin" {
                    #expect(entry.uid == 0 && entry.gid == 0)
                    found = try data.readAllData()
                }
            }
        }
        #expect(members == ["debian-binary", "control.tar.xz", "data.tar.xz"])
        #expect(found == Fixture.bigFile)
    }
}
