import Debian
import FileTree
import Foundation
import Testing
import TestSupport
@testable import Configure

@Suite struct AlternativesTests {
    static func packages() throws -> [InstalledPackage] {[
        try InstalledPackage(control: Real.mawkControl, scripts: ["postinst": Real.mawkPostinst]),
        try .fixture("gawk", version: "5", scripts: ["postinst": "update-alternatives --install /usr/bin/awk awk /usr/bin/gawk 10 \\\n  --slave /usr/bin/nawk nawk /usr/bin/gawk\nupdate-alternatives --install /usr/bin/x x \"$X\" 5\n"]),
    ]}

    static func fixture(withGawk: Bool) throws -> Fixture {
        var f = try Fixture()
        try f.hostFile("/usr/bin/mawk", at: "/usr/bin/mawk")
        try f.file("/usr/share/man/man1/mawk.1.gz", "man")
        if withGawk { try f.file("/usr/bin/gawk", "#!/bin/sh\n", mode: 0o755) }
        return f
    }

    @Test func highestPriorityPresentWins() throws {
        var f = try Self.fixture(withGawk: false)
        var io = Configure.TreeIO(store: f.store)
        let parsed = Configure.Alternatives.parse(packages: try Self.packages())
        #expect(parsed.registrations.count == 2)
        #expect(parsed.skipped.count == 1 && parsed.skipped[0].hasPrefix("gawk/postinst:3:"))
        #expect(try parsed.apply(to: &f.tree, io: &io) == ["awk": "/usr/bin/mawk"])
        #expect(f.tree["/usr/bin/awk"]?.symlinkTarget == "/etc/alternatives/awk")
        #expect(f.tree["/etc/alternatives/awk"]?.symlinkTarget == "/usr/bin/mawk")
        #expect(f.tree["/etc/alternatives/nawk.1.gz"]?.symlinkTarget == "/usr/share/man/man1/mawk.1.gz")
        // The same admin file update-alternatives wrote on the machine the snippet came from.
        #expect(try f.text("/var/lib/dpkg/alternatives/awk") == """
            auto
            /usr/bin/awk
            awk.1.gz
            /usr/share/man/man1/awk.1.gz
            nawk
            /usr/bin/nawk
            nawk.1.gz
            /usr/share/man/man1/nawk.1.gz

            /usr/bin/mawk
            5
            /usr/share/man/man1/mawk.1.gz
            /usr/bin/mawk
            /usr/share/man/man1/mawk.1.gz


            """)
        var g = try Self.fixture(withGawk: true)
        var gio = Configure.TreeIO(store: g.store)
        #expect(try parsed.apply(to: &g.tree, io: &gio) == ["awk": "/usr/bin/gawk"])
        #expect(g.tree["/etc/alternatives/awk.1.gz"] == nil)
    }

    @Test(.enabled(if: Tools.find("update-alternatives") != nil, "needs update-alternatives (dpkg)"))
    func updateAlternativesDisplaysIt() throws {
        var f = try Self.fixture(withGawk: true)
        var io = Configure.TreeIO(store: f.store)
        _ = try Configure.Alternatives.parse(packages: try Self.packages()).apply(to: &f.tree, io: &io)
        let root = f.scratch.path("root")
        try f.materialize(f.tree, at: root)
        let tool = try #require(Tools.find("update-alternatives"))
        let display = try Tools.run(tool, ["--root", root, "--altdir", root + "/etc/alternatives", "--admindir", root + "/var/lib/dpkg/alternatives",
                                           "--display", "awk"])
        #expect(display.status == 0, "\(display.stderr)")
        #expect(display.stdoutText.contains("awk - auto mode"))
        #expect(display.stdoutText.contains("link currently points to /usr/bin/gawk"))
        #expect(display.stdoutText.contains("/usr/bin/mawk - priority 5"))
        #expect(display.stdoutText.contains("/usr/bin/gawk - priority 10"))
        #expect(display.stderr.isEmpty, "\(display.stderr)")
    }
}
