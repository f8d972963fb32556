import FileTree
import Foundation
import Testing
@testable import Configure

@Suite struct TmpfilesTests {
    @Test func linesForTheReadOnlyRootAreMadeAtBuildTime() throws {
        var f = try Fixture()
        try f.tree.insert(.directory(mode: 0o700), at: "/root")
        try f.file("/usr/lib/tmpfiles.d/debian.conf", "# comment\nL+ /etc/mtab   -    -    -    -  ../proc/self/mounts\nd /run/sshd 0755 root root -\n")
        try f.file("/usr/lib/tmpfiles.d/home.conf", "Q /home 0755 - - -\nq /srv 0755 - - -\nd /srv 0700 - - -\n")
        try f.file("/usr/lib/tmpfiles.d/x.conf", "d /opt/app 0750 0 4 -\nd /etc/%H - - - -\nd /etc/byname - agent agent -\nf /etc/file - - - - text\n")
        try f.file("/etc/tmpfiles.d/x.conf", "d- /root/.ssh :0700 root :root -\n")
        let read = try Configure.Tmpfiles.read(tree: f.tree, io: .init(store: f.store))
        // /etc/tmpfiles.d/x.conf replaces /usr/lib's; /run is the boot's; the first /srv line wins.
        #expect(read.entries.map(\.path) == ["/etc/mtab", "/home", "/srv", "/root/.ssh"])
        #expect(read.skipped.isEmpty)
        let created = try Configure.Tmpfiles.apply(read.entries, to: &f.tree, io: .init(store: f.store))
        #expect(created == ["/etc/mtab (tmpfiles.d /usr/lib/tmpfiles.d/debian.conf:2)", "/home (tmpfiles.d /usr/lib/tmpfiles.d/home.conf:1)",
                            "/srv (tmpfiles.d /usr/lib/tmpfiles.d/home.conf:2)", "/root/.ssh (tmpfiles.d /etc/tmpfiles.d/x.conf:1)"])
        #expect(f.tree["/etc/mtab"]?.symlinkTarget == "../proc/self/mounts")
        #expect(f.tree["/srv"]?.mode == 0o755)
        #expect(f.tree["/root/.ssh"]?.mode == 0o700)
        #expect(f.tree["/run/sshd"] == nil)
    }

    @Test func whatItCannotDoIsReported() throws {
        #expect(Configure.Tmpfiles.parse("d /etc/%H - - - -", location: "x:1") == .skip("specifiers depend on the running host"))
        #expect(Configure.Tmpfiles.parse("d /etc/a - agent - -", location: "x:1") == .skip("owner by name is not supported (use root or a number)"))
        #expect(Configure.Tmpfiles.parse("L /etc/b", location: "x:1") == .skip("a link to /usr/share/factory is not supported"))
        #expect(Configure.Tmpfiles.parse("f /etc/file - - - - text", location: "x:1") == .ignore)
        #expect(Configure.Tmpfiles.parse("d /var/lib/x 0755 - - -", location: "x:1") == .ignore)
        let entry = Configure.Tmpfiles.parse("d /opt/app 0750 0 4 -", location: "x:1")
        #expect(entry == .entry(.init(type: "d", path: "/opt/app", mode: 0o750, uid: 0, gid: 4, argument: nil, location: "x:1")))
    }
}
