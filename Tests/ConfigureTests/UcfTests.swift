import Debian
import FileTree
import Foundation
import Testing
@testable import Configure

@Suite struct UcfTests {
    /// openssh-server.postinst (bookworm, 1:9.2p1-2+deb12u10), the parts configure reads.
    static let opensshPostinst = """
        #!/bin/sh
        set -e
        new_config=

        create_sshdconfig() {
        \tdb_get openssh-server/permit-root-login
        \tpermit_root_login="$RET"
        \ttrap cleanup EXIT
        \tnew_config="$(mktemp)"
        \tcp -aZ /usr/share/openssh/sshd_config "$new_config"
        \tif [ "$permit_root_login" != true ]; then
        \t\tsed -i 's/^#*PermitRootLogin .*/PermitRootLogin yes/' \\
        \t\t\t"$new_config"
        \tfi
        \tmkdir -pZ /etc/ssh
        \tucf --three-way --debconf-ok \\
        \t\t--sum-file /usr/share/openssh/sshd_config.md5sum \\
        \t\t"$new_config" /etc/ssh/sshd_config
        \tucfr openssh-server /etc/ssh/sshd_config
        }

        """

    static func packages() throws -> [InstalledPackage] {[
        try .fixture("openssh-server", scripts: ["postinst": opensshPostinst]),
        try .fixture("foo", scripts: ["postinst": "CONF=/etc/foo/foo.conf\nucf /usr/share/foo/foo.conf \"$CONF\"\nucf \"$SOMEWHERE\"/x /etc/x\nucf --purge /etc/old\n"]),
    ]}

    static func fixture() throws -> Fixture {
        var f = try Fixture()
        try f.file("/usr/share/openssh/sshd_config", "Include /etc/ssh/sshd_config.d/*.conf\nUsePAM yes\n")
        try f.file("/usr/share/foo/foo.conf", "answer=42\n", mode: 0o640)
        return f
    }

    @Test func templateCopiedToAnAbsentDestination() throws {
        var f = try Self.fixture()
        var io = Configure.TreeIO(store: f.store)
        let ucf = Configure.Ucf.parse(packages: try Self.packages())
        #expect(ucf.installs.map(\.destination) == ["/etc/ssh/sshd_config", "/etc/foo/foo.conf"])
        let result = try ucf.apply(to: &f.tree, io: &io)
        #expect(try f.text("/etc/ssh/sshd_config") == "Include /etc/ssh/sshd_config.d/*.conf\nUsePAM yes\n")
        #expect(try f.text("/etc/foo/foo.conf") == "answer=42\n")
        #expect(f.tree["/etc/foo/foo.conf"]?.mode == 0o640, "ucf copies with cp -p: the template's mode")
        #expect(f.tree["/etc/ssh/sshd_config"]?.origin == Configure.origin)
        #expect(result.done == ["/etc/ssh/sshd_config from /usr/share/openssh/sshd_config", "/etc/foo/foo.conf from /usr/share/foo/foo.conf"])
        #expect(try f.text("/var/lib/ucf/registry") == "openssh-server /etc/ssh/sshd_config\n")
    }

    @Test func existingDestinationIsKept() throws {
        var f = try Self.fixture()
        try f.file("/etc/ssh/sshd_config", "Port 2222\n")
        var io = Configure.TreeIO(store: f.store)
        let result = try Configure.Ucf.parse(packages: try Self.packages()).apply(to: &f.tree, io: &io)
        #expect(try f.text("/etc/ssh/sshd_config") == "Port 2222\n")
        #expect(result.done.first?.hasPrefix("/etc/ssh/sshd_config kept") == true, "\(result.done)")
    }

    @Test func unresolvedLinesAndTemplateEditsAreReported() throws {
        var f = try Self.fixture()
        var io = Configure.TreeIO(store: f.store)
        let ucf = Configure.Ucf.parse(packages: try Self.packages())
        #expect(ucf.skipped.count == 2, "\(ucf.skipped)")
        #expect(ucf.skipped.contains { $0.hasPrefix("openssh-server/postinst:12: edit of the copy of /usr/share/openssh/sshd_config") })
        #expect(ucf.skipped.contains { $0.hasPrefix("foo/postinst:3: ucf with a shell variable") })
        // A template the tree lacks is reported, not an error.
        _ = f.tree.remove("/usr/share/foo/foo.conf")
        let result = try ucf.apply(to: &f.tree, io: &io)
        #expect(result.skipped == ["foo/postinst:2: ucf template /usr/share/foo/foo.conf is not in the tree; /etc/foo/foo.conf not written"])
    }

    @Test func variablesResolveOnlyWhatIsKnown() {
        var variables = Configure.ScriptVariables()
        variables.observe("A=/etc/a")
        variables.observe("B=\"$(mktemp)\"")
        variables.observe("cp -a /usr/share/b \"$B\"")
        variables.observe("C=\"$RET\"")
        #expect(variables.resolve("$A/x") == "/etc/a/x")
        #expect(variables.resolve("${B}") == "/usr/share/b")
        #expect(variables.resolve("$DPKG_ROOT/etc/x") == "/etc/x")
        #expect(variables.resolve("$C") == nil)
        #expect(variables.resolve("$(pwd)") == nil)
        variables.observe("A=\"$OTHER\"")
        #expect(variables.resolve("$A") == nil, "a reassignment configure cannot follow forgets the value")
    }
}
