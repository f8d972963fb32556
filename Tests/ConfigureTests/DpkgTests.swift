import Debian
import FileTree
import Foundation
import Testing
import TestSupport
@testable import Configure

@Suite struct DpkgTests {
    static func packages() throws -> [InstalledPackage] {
        [
            try InstalledPackage(control: Real.zlibControl,
                                 files: ["/", "/usr", "/usr/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu/libz.so.1.2.13"],
                             md5sums: "0123456789abcdef0123456789abcdef  usr/lib/x86_64-linux-gnu/libz.so.1.2.13\n"),
            try InstalledPackage(control: Real.mawkControl,
                                 files: ["/", "/usr", "/usr/bin", "/usr/bin/mawk"], scripts: ["postinst": Real.mawkPostinst]),
            try InstalledPackage(control: Real.dpkgControl,
                                 files: ["/", "/etc", "/etc/dpkg", "/etc/dpkg/dpkg.cfg"], conffiles: "/etc/dpkg/dpkg.cfg\n"),
        ]
    }

    static func fixture() throws -> Fixture {
        var f = try Fixture()
        try f.file("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13", "z")
        try f.file("/usr/bin/mawk", "m", mode: 0o755)
        try f.file("/etc/dpkg/dpkg.cfg", "no-debsig\n")
        return f
    }

    @Test func statusParagraphsInDpkgOrder() throws {
        var f = try Self.fixture()
        var io = Configure.TreeIO(store: f.store)
        let sorted = try Self.packages().sorted { $0.name < $1.name }
        try Configure.Dpkg.write(packages: sorted, to: &f.tree, io: &io)
        let status = try #require(try f.text("/var/lib/dpkg/status"))
        #expect(status.hasPrefix("Package: dpkg\nEssential: yes\nStatus: install ok installed\nPriority: required\n"))
        #expect(status.contains("Conffiles:\n /etc/dpkg/dpkg.cfg ae1cd06e546625dd83dd84307cb59246\nDescription:"))
        #expect(f.tree["/var/lib/dpkg/info/zlib1g:amd64.list"] != nil)
        #expect(f.tree["/var/lib/dpkg/info/mawk.list"] != nil)
        #expect(try f.text("/var/lib/dpkg/info/mawk.postinst") == Real.mawkPostinst)
        for dir in ["updates", "triggers", "alternatives", "info"] { #expect(f.tree["/var/lib/dpkg/\(dir)"]?.isDirectory == true) }
    }

    /// The status paragraph repeats the control fields' bytes (a value's trailing space, tab
    /// and deeper indentation of continuation lines), only reordered the way dpkg orders them.
    @Test func statusKeepsTheControlFieldsBytes() throws {
        let control = "Package: libgdbm6\nX-Custom:  kept \nVersion: 1.23-3\nmulti-arch: same\nArchitecture: amd64\n"
            + "Description: GNU dbm database routines (runtime version) \n\tTab line\n   deeper\n .\nBuilt-Using: x\n"
        let package = try InstalledPackage(control: control, conffiles: "/etc/gdbm.conf\nremove-on-upgrade /etc/old\n")
        var f = try Fixture()
        try f.file("/etc/gdbm.conf", "no-debsig\n")
        let conffiles = try Configure.Dpkg.conffileLines(package, tree: f.tree, io: Configure.TreeIO(store: f.store))
        let paragraph = Configure.Dpkg.statusParagraph(package, conffiles: conffiles)
        #expect(paragraph == """
            Package: libgdbm6
            Status: install ok installed
            Architecture: amd64
            multi-arch: same
            Version: 1.23-3
            Conffiles:
             /etc/gdbm.conf ae1cd06e546625dd83dd84307cb59246
             /etc/old newconffile remove-on-upgrade
            Description: GNU dbm database routines (runtime version) \n\tTab line\n   deeper\n .
            X-Custom:  kept \nBuilt-Using: x

            """)
        #expect(Configure.Dpkg.infoName(package) == "libgdbm6:amd64")
    }

    @Test(.enabled(if: Tools.find("dpkg-query") != nil && Tools.find("dpkg") != nil, "needs dpkg"))
    func dpkgQueryReadsTheDatabase() throws {
        var f = try Self.fixture()
        var io = Configure.TreeIO(store: f.store)
        try Configure.Dpkg.write(packages: try Self.packages().sorted { $0.name < $1.name }, to: &f.tree, io: &io)
        let root = f.scratch.path("root")
        try f.materialize(f.tree, at: root)
        let admin = root + "/var/lib/dpkg"
        let query = try Tools.run(try #require(Tools.find("dpkg-query")),
                                  ["--admindir=" + admin, "-W", "-f=${Package} ${Version} ${Status}\n"])
        #expect(query.status == 0, "\(query.stderr)")
        #expect(query.stdoutText == """
            dpkg 1.21.22 install ok installed
            mawk 1.3.4.20200120-3.1 install ok installed
            zlib1g:amd64 1:1.2.13.dfsg-1 install ok installed

            """ || query.stdoutText == """
            dpkg 1.21.22 install ok installed
            mawk 1.3.4.20200120-3.1 install ok installed
            zlib1g 1:1.2.13.dfsg-1 install ok installed

            """)
        let dpkg = try #require(Tools.find("dpkg"))
        let list = try Tools.run(dpkg, ["--root=" + root, "-l"])
        #expect(list.status == 0 && list.stdoutText.contains("ii  mawk"), "\(list.stderr)")
        let files = try Tools.run(dpkg, ["--admindir=" + admin, "-L", "zlib1g"])
        #expect(files.stdoutText.contains("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13"), "\(files.stderr)")
        let verify = try Tools.run(dpkg, ["--root=" + root, "--verify", "dpkg"])
        #expect(verify.status == 0, "\(verify.stdoutText) \(verify.stderr)")
        #expect(query.stderr.isEmpty && list.stderr.isEmpty, "\(query.stderr) \(list.stderr)")
    }
}
