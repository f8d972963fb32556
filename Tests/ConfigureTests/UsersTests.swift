import Debian
import FileTree
import Foundation
import Testing
import TestSupport
@testable import Configure

@Suite struct UsersTests {
    static func fixture() throws -> Fixture {
        var f = try Fixture()
        try f.hostFile("/usr/share/base-passwd/passwd.master", at: "/usr/share/base-passwd/passwd.master", mode: 0o644)
        try f.hostFile("/usr/share/base-passwd/group.master", at: "/usr/share/base-passwd/group.master", mode: 0o644)
        // systemd's own files, as bookworm ships them.
        try f.file("/usr/lib/sysusers.d/systemd-network.conf", "u systemd-network - \"systemd Network Management\"\n")
        try f.file("/usr/lib/sysusers.d/systemd-timesync.conf", "u systemd-timesync - \"systemd Time Synchronization\"\n")
        try f.file("/usr/lib/sysusers.d/fixed.conf", "g kvm 994 -\nu vmm 900:kvm \"VMM\" /var/lib/vmm\nm vmm disk\n")
        return f
    }

    static func packages() throws -> [InstalledPackage] {[
        try .fixture("apt", version: "2.6.1", scripts: ["postinst": Real.aptPostinst]),
        try .fixture("qemu", scripts: ["postinst": "useradd -r -d /var/lib/qemu -s /usr/sbin/nologin -G kvm qemu\ngroupadd -r libvirt\nadduser --system --ingroup $GROUP qemu2\n"]),
    ]}

    @Test func createsUsersDeterministically() throws {
        var f = try Self.fixture()
        var io = Configure.TreeIO(store: f.store)
        var skipped: [String] = []
        var users = try Configure.Users.load(tree: f.tree, io: io)
        try users.addSysusers(tree: f.tree, io: io)
        users.addScriptRequests(packages: try Self.packages(), skipped: &skipped)
        try users.allocate()
        try users.write(to: &f.tree, io: &io, lastChange: nil)
        let passwd = try #require(try f.text("/etc/passwd"))
        let group = try #require(try f.text("/etc/group"))
        #expect(passwd.hasPrefix("root:x:0:0:root:/root:/bin/bash\n"))
        // base-passwd (bookworm) already has _apt (42): apt's adduser call changes nothing.
        #expect(passwd.contains("_apt:x:42:65534::/nonexistent:/usr/sbin/nologin\n"))
        // Dynamic IDs: sorted by name from 999 down (qemu, systemd-network, systemd-timesync).
        #expect(passwd.contains("qemu:x:999:999::/var/lib/qemu:/usr/sbin/nologin\n"))
        #expect(passwd.contains("systemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin\n"))
        #expect(passwd.contains("systemd-timesync:x:997:997:systemd Time Synchronization:/:/usr/sbin/nologin\n"))
        #expect(passwd.contains("vmm:x:900:994:VMM:/var/lib/vmm:/usr/sbin/nologin\n"))
        #expect(group.contains("kvm:x:994:qemu\n"))
        #expect(group.contains("libvirt:x:996:\n"))
        #expect(group.contains("\ndisk:x:6:vmm\n"))
        #expect(skipped.count == 1 && skipped[0].hasPrefix("qemu/postinst:3: adduser with a shell variable"))
        let shadow = try #require(f.tree["/etc/shadow"])
        #expect(shadow.mode == 0o640 && shadow.gid == 42 && shadow.origin == "configure")
        #expect(try f.text("/etc/shadow")?.contains("root:*::0:99999:7:::\n") == true)
        #expect(try f.text("/etc/shadow")?.contains("qemu:!::0:99999:7:::\n") == true)
        #expect(try f.text("/etc/gshadow")?.contains("kvm:!::qemu\n") == true)
    }

    @Test(.enabled(if: Tools.find("pwck") != nil && Tools.find("grpck") != nil, "needs pwck/grpck (passwd)"))
    func pwckAcceptsTheFiles() throws {
        var f = try Self.fixture()
        var io = Configure.TreeIO(store: f.store)
        var users = try Configure.Users.load(tree: f.tree, io: io)
        var skipped: [String] = []
        users.addScriptRequests(packages: try Self.packages(), skipped: &skipped)
        try users.allocate()
        try users.write(to: &f.tree, io: &io, lastChange: 19000)
        let root = f.scratch.path("root")
        try f.materialize(f.tree, at: root)
        let pwck = try Tools.run(try #require(Tools.find("pwck")), ["-r", "-q", root + "/etc/passwd", root + "/etc/shadow"])
        #expect(!pwck.stderr.contains("invalid"), "\(pwck.stderr)")
        let grpck = try Tools.run(try #require(Tools.find("grpck")), ["-r", root + "/etc/group", root + "/etc/gshadow"])
        #expect(!grpck.stderr.contains("invalid"), "\(grpck.stderr)")
    }

    @Test func commandWordsFollowShellQuoting() {
        let words = Configure.shellWords("adduser --gecos 'A B' \"c d\" e\\ f || true").words
        #expect(words == ["adduser", "--gecos", "A B", "c d", "e f"])
        #expect(Configure.command("adduser", in: "command -v adduser >/dev/null && adduser --system x")?.words == ["--system", "x"])
    }
}
