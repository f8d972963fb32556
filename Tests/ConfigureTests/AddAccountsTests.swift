import Debian
import FileTree
import Foundation
import Testing
import TestSupport
@testable import Configure

/// `Configure.addAccounts`, the tuning stage's DPDK group and user added after configure ran:
/// it starts from the tree's /etc files, not from base-passwd's masters. (A regression test:
/// an earlier version rebuilt the files from the masters and dropped systemd-network.)
@Suite struct AddAccountsTests {
    static let dpdk = "g dpdk -\nu dpdk -:dpdk \"x\" /nonexistent /usr/sbin/nologin\nm dpdk dpdk\n"

    /// A tree configure has run on: base-passwd's masters, systemd's sysusers.d files, a
    /// fixed-ID group with a member, apt's adduser call.
    static func configured() throws -> Fixture {
        var f = try ConfiguratorTests.fixture()
        try f.file("/usr/lib/sysusers.d/systemd-timesync.conf", "u systemd-timesync - \"systemd Time Synchronization\"\n")
        try f.file("/usr/lib/sysusers.d/fixed.conf", "g kvm 994 -\nu vmm 900:kvm \"VMM\" /var/lib/vmm\nm vmm disk\n")
        let report = try Configure.run(tree: &f.tree, store: f.store, packages: try ConfiguratorTests.packages(),
                                       options: Configure.Options(shadowLastChange: 19000))
        #expect(report.usersCreated == ["vmm", "systemd-network", "systemd-timesync"])
        return f
    }

    static func lines(_ f: Fixture, _ path: String) throws -> [String] {
        try #require(try f.text(path)).split(separator: "\n").map(String.init)
    }

    /// NAME → field `index` of each line of a ':'-separated file.
    static func fields(_ lines: [String], _ index: Int) -> [String: String] {
        Dictionary(lines.map { line in
            let f = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            return (f[0], f.count > index ? f[index] : "")
        }, uniquingKeysWith: { a, _ in a })
    }

    @Test func keepsEveryAccountAndAddsDpdkWithAnUnusedID() throws {
        var f = try Self.configured()
        // Passwords set after configure (an overlay's root hash, a group password) must survive.
        let hash = "$6$salt$0123456789abcdefghijklmnopqrstuvwxyz"
        let shadow = try Self.lines(f, "/etc/shadow").map { $0.hasPrefix("root:") ? "root:\(hash):19000:0:99999:7:::" : $0 }
        try f.file("/etc/shadow", shadow.joined(separator: "\n") + "\n", mode: 0o640)
        let gshadow = try Self.lines(f, "/etc/gshadow").map { $0.hasPrefix("kvm:") ? "kvm:$6$group$hash" + $0.dropFirst("kvm:!".count) : $0 }
        try f.file("/etc/gshadow", gshadow.joined(separator: "\n") + "\n", mode: 0o640)
        let before = (passwd: try Self.lines(f, "/etc/passwd"), group: try Self.lines(f, "/etc/group"),
                      shadow: try Self.lines(f, "/etc/shadow"), gshadow: try Self.lines(f, "/etc/gshadow"))
        #expect(before.passwd.contains { $0.hasPrefix("systemd-network:") })

        let created = try Configure.addAccounts(sysusers: Self.dpdk, file: "tuning.dpdk", tree: &f.tree, store: f.store,
                                                shadowLastChange: 19000)
        #expect(created.users == ["dpdk"])
        #expect(created.groups == ["dpdk"])

        let after = (passwd: try Self.lines(f, "/etc/passwd"), group: try Self.lines(f, "/etc/group"),
                     shadow: try Self.lines(f, "/etc/shadow"), gshadow: try Self.lines(f, "/etc/gshadow"))
        // Every earlier line is still there, unchanged and in order; dpdk comes last.
        #expect(Array(after.passwd.dropLast()) == before.passwd)
        #expect(Array(after.shadow.dropLast()) == before.shadow)
        #expect(Array(after.group.dropLast()) == before.group)
        #expect(Array(after.gshadow.dropLast()) == before.gshadow)
        #expect(Self.fields(after.shadow, 1)["root"] == hash)
        #expect(Self.fields(after.gshadow, 1)["kvm"] == "$6$group$hash")
        for name in ["root", "systemd-network", "systemd-timesync", "vmm", "_apt"] {
            #expect(Self.fields(after.passwd, 0)[name] != nil, "\(name) was dropped")
        }

        let user = try #require(after.passwd.last).split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        let group = try #require(after.group.last).split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        #expect(user[0] == "dpdk" && group[0] == "dpdk")
        #expect(user[4] == "x" && user[5] == "/nonexistent" && user[6] == "/usr/sbin/nologin")
        let uid = try #require(UInt32(user[2]))
        let gid = try #require(UInt32(group[2]))
        #expect(!Set(Self.fields(before.passwd, 2).values).contains(user[2]), "uid \(uid) was already in use")
        #expect(!Set(Self.fields(before.group, 2).values).contains(group[2]), "gid \(gid) was already in use")
        #expect((100...999).contains(uid) && (100...999).contains(gid))
        #expect(user[3] == group[2], "dpdk's primary group is dpdk")
        #expect(group[3] == "dpdk")
        #expect(after.shadow.last == "dpdk:!:19000:0:99999:7:::")
        #expect(after.gshadow.last == "dpdk:!::dpdk")
        let shadowNode = try #require(f.tree["/etc/shadow"])
        #expect(shadowNode.mode == 0o640 && shadowNode.gid == 42)
    }

    @Test func runningItAgainChangesNothing() throws {
        var f = try Self.configured()
        _ = try Configure.addAccounts(sysusers: Self.dpdk, file: "tuning.dpdk", tree: &f.tree, store: f.store, shadowLastChange: 19000)
        let once = try ["/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"].map { try f.text($0) }
        let again = try Configure.addAccounts(sysusers: Self.dpdk, file: "tuning.dpdk", tree: &f.tree, store: f.store, shadowLastChange: 19000)
        #expect(again.users.isEmpty && again.groups.isEmpty)
        #expect(try ["/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow"].map { try f.text($0) } == once)
    }

    @Test func anExistingGroupGainsTheMember() throws {
        var f = try Self.configured()
        let created = try Configure.addAccounts(sysusers: "g kvm -\nu ovs - \"OVS\"\nm ovs kvm\n", file: "tuning.dpdk", tree: &f.tree,
                                                store: f.store, shadowLastChange: nil)
        #expect(created.users == ["ovs"] && created.groups == ["ovs"])
        let group = try Self.lines(f, "/etc/group")
        #expect(group.contains("kvm:x:994:ovs"))
        #expect(group.filter { $0.hasPrefix("kvm:") }.count == 1)
    }

    @Test func aMalformedLineIsAnErrorNamingTheFile() throws {
        var f = try Self.configured()
        #expect(throws: Configure.ConfigureError.malformed(file: "tuning.dpdk", line: 2, message: "unknown sysusers type 'x' (expected u, g, m or r)")) {
            _ = try Configure.addAccounts(sysusers: "g dpdk -\nx dpdk\n", file: "tuning.dpdk", tree: &f.tree, store: f.store, shadowLastChange: nil)
        }
    }
}
