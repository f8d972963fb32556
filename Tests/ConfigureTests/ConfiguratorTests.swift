import Debian
import FileTree
import Foundation
import Testing
import TestSupport
@testable import Configure

@Suite struct ConfiguratorTests {
    static func fixture() throws -> Fixture {
        var f = try LdCacheTests.libraryTree()
        try f.hostFile("/usr/share/base-passwd/passwd.master", at: "/usr/share/base-passwd/passwd.master", mode: 0o644)
        try f.hostFile("/usr/share/base-passwd/group.master", at: "/usr/share/base-passwd/group.master", mode: 0o644)
        try f.hostFile("/usr/bin/mawk", at: "/usr/bin/mawk")
        try f.file("/usr/lib/sysusers.d/systemd-network.conf", "u systemd-network - \"systemd Network Management\"\n")
        try f.file("/usr/lib/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n")
        try f.symlink("/etc/os-release", "../usr/lib/os-release")
        try f.file("/usr/lib/systemd/system/apt-daily-upgrade.timer", "[Install]\nWantedBy=timers.target\n")
        try f.file("/usr/lib/systemd/system/multi-user.target", "[Unit]\n")
        try f.file("/usr/lib/systemd/system/ssh.service", "[Install]\nWantedBy=multi-user.target\n")
        return f
    }

    static func packages() throws -> [InstalledPackage] {[
        try InstalledPackage(control: Real.mawkControl, files: ["/", "/usr", "/usr/bin", "/usr/bin/mawk"],
                             scripts: ["postinst": Real.mawkPostinst]),
        try InstalledPackage(control: "Package: apt\nVersion: 2.6.1\nArchitecture: amd64\nDescription: x\n",
                             scripts: ["postinst": Real.aptPostinst]),
    ]}

    static let options = Configure.Options(enableUnits: ["ssh.service"], defaultTarget: "multi-user.target",
                                           imageID: "hvhost", imageVersion: "2025.1")

    @Test func osReleaseExtrasFollowTheImageFieldsInKeyOrderAndReplaceOldValues() {
        let original = "ID=debian\nHOSTIMG_QEMU_VERSION=\"old\"\n"
        let text = Configure.Identity.rewrite(original, imageID: "hv", imageVersion: "1",
                                              extras: ["HOSTIMG_QEMU_VERSION": "1:7.2+dfsg-7+deb12u7", "HOSTIMG_A": "a\"b"])
        #expect(text == "ID=debian\nIMAGE_ID=\"hv\"\nIMAGE_VERSION=\"1\"\nHOSTIMG_A=\"a\\\"b\"\nHOSTIMG_QEMU_VERSION=\"1:7.2+dfsg-7+deb12u7\"\n")
    }

    @Test func runsEveryStepAndIsDeterministic() throws {
        var f = try Self.fixture()
        let report = try Configure.run(tree: &f.tree, store: f.store, packages: try Self.packages(), options: Self.options)
        #expect(report.usersCreated == ["systemd-network"])
        #expect(report.alternatives == ["awk": "/usr/bin/mawk"])
        #expect(report.libraries == 7)
        #expect(report.packagesRecorded == 2)
        #expect(report.unitLinks.contains("/etc/systemd/system/timers.target.wants/apt-daily-upgrade.timer"))
        #expect(f.tree["/etc/systemd/system/default.target"] != nil)
        #expect(f.tree["/etc/machine-id"]?.mode == 0o444)
        #expect(try f.bytes("/etc/machine-id") == [])
        let osRelease = try #require(try f.text("/etc/os-release"))
        #expect(osRelease.hasSuffix("ID=debian\nIMAGE_ID=\"hvhost\"\nIMAGE_VERSION=\"2025.1\"\n"))
        #expect(f.tree["/etc/os-release"]?.symlinkTarget == "../usr/lib/os-release")
        #expect(f.tree["/etc/ld.so.cache"]?.origin == "configure")

        var g = try Self.fixture()
        _ = try Configure.run(tree: &g.tree, store: g.store, packages: try Self.packages().reversed(), options: Self.options)
        #expect(f.tree.paths == g.tree.paths)
        for (path, node) in f.tree.entries { #expect(g.tree[path] == node, "\(path) differs between runs") }
    }

    @Test func rejectsBadImageID() throws {
        var f = try Self.fixture()
        let options = Configure.Options(imageID: "My Image")
        #expect(throws: Configure.ConfigureError.self) {
            _ = try Configure.run(tree: &f.tree, store: f.store, packages: [], options: options)
        }
    }
}
