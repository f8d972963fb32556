import ContentStore
import FileTree
import Foundation
import Testing
@testable import Prune

@Suite("Prune: docs and man")
struct DocsPruneTests {
    static func tree() throws -> Fixture {
        let f = try Fixture()
        try f.text("/usr/share/doc/coreutils/copyright", "GPL-3+", origin: "coreutils")
        try f.text("/usr/share/doc/coreutils/changelog.Debian.gz", "0123456789", origin: "coreutils")
        try f.text("/usr/share/doc/coreutils/README", "read me", origin: "coreutils")
        try f.hardlink("/usr/share/doc/coreutils/README.hardlink", to: "/usr/share/doc/coreutils/README", origin: "coreutils")
        try f.text("/usr/share/doc/coreutils/examples/sample.conf", "x=1", origin: "coreutils")
        try f.symlink("/usr/share/doc/libfoo-dev", to: "libfoo1", origin: "libfoo-dev")
        try f.text("/usr/share/doc/libfoo1/copyright", "MIT", origin: "libfoo1")
        try f.text("/usr/share/doc/libfoo1/NEWS.gz", "news", origin: "libfoo1")
        try f.symlink("/usr/share/doc/libbar1/copyright", to: "../libfoo1/copyright", origin: "libbar1")
        try f.text("/usr/share/doc/stray.txt", "stray", origin: "stray")
        try f.text("/usr/share/doc-base/coreutils", "Document: coreutils", origin: "coreutils")
        try f.text("/usr/share/lintian/overrides/coreutils", "coreutils: some-tag", origin: "coreutils")
        // A kept path that shares an inode with a doc file keeps its bytes in the image.
        try f.text("/usr/share/doc/libfoo1/TEMPLATE", "template", origin: "libfoo1")
        try f.hardlink("/usr/lib/libfoo/template", to: "/usr/share/doc/libfoo1/TEMPLATE", origin: "libfoo1")
        // A symlink elsewhere that points into the docs dangles after the pass and goes too.
        try f.symlink("/etc/foo/README", to: "/usr/share/doc/coreutils/README", origin: "foo")
        try f.text("/usr/share/man/man1/ls.1.gz", "ls(1)", origin: "coreutils")
        try f.text("/usr/share/man/de/man1/ls.1.gz", "ls(1) de", origin: "manpages-de")
        try f.symlink("/usr/share/man/man1/dir.1.gz", to: "ls.1.gz", origin: "coreutils")
        try f.text("/usr/share/info/coreutils.info.gz", "info", origin: "coreutils")
        try f.text("/usr/share/groff/current/tmac/an.tmac", "groff data", origin: "groff-base")
        try f.text("/usr/bin/ls", "not really", origin: "coreutils")
        return f
    }

    @Test("docs: only copyright files (and links to them) stay")
    func docs() throws {
        let f = try Self.tree()
        let report = Pruner(store: f.store).docs(in: &f.tree)
        #expect(report.entries.map(\.path) == [
            "/etc/foo/README",
            "/usr/share/doc/coreutils/README",
            "/usr/share/doc/coreutils/README.hardlink",
            "/usr/share/doc/coreutils/changelog.Debian.gz",
            "/usr/share/doc/coreutils/examples/sample.conf",
            "/usr/share/doc/libfoo1/NEWS.gz",
            "/usr/share/doc/libfoo1/TEMPLATE",
            "/usr/share/doc/stray.txt",
            "/usr/share/doc-base/coreutils",
            "/usr/share/lintian/overrides/coreutils",
        ])
        for kept in ["/usr/share/doc/coreutils/copyright", "/usr/share/doc/libfoo1/copyright",
                     "/usr/share/doc/libfoo-dev", "/usr/share/doc/libbar1/copyright", "/usr/lib/libfoo/template",
                     "/usr/share/man/man1/ls.1.gz", "/usr/bin/ls"] {
            #expect(f.tree.contains(kept), "\(kept) should stay")
        }
        #expect(f.tree.resolve("/usr/share/doc/libbar1/copyright")?.path == "/usr/share/doc/libfoo1/copyright")
        #expect(f.tree.resolve("/usr/lib/libfoo/template")?.node.content != nil)
        #expect(!f.tree.contains("/usr/share/doc/coreutils/examples"))
        #expect(!f.tree.contains("/usr/share/doc-base"))
        #expect(!f.tree.contains("/usr/share/lintian"))

        func bytes(_ path: String) -> UInt64? { report.entries.first { $0.path == path }?.bytes }
        // README and its hard link are one inode: its bytes are counted once.
        #expect(bytes("/usr/share/doc/coreutils/README") == 7)
        #expect(bytes("/usr/share/doc/coreutils/README.hardlink") == 0)
        // TEMPLATE's content lives on at /usr/lib/libfoo/template: nothing is freed.
        #expect(bytes("/usr/share/doc/libfoo1/TEMPLATE") == 0)
        #expect(bytes("/etc/foo/README") == 0)
        #expect(report.entries.first { $0.path == "/etc/foo/README" }?.reason.contains("symlink to") == true)
        let total = report.total(.doc)
        #expect(total.files == 10)
        let docBase = "Document: coreutils".utf8.count
        let lintian = "coreutils: some-tag".utf8.count
        let expectedBytes: Int = 7 + 10 + 3 + 4 + 5 + docBase + lintian
        #expect(total.bytes == UInt64(expectedBytes))
        #expect(total.directories == 4)  // examples, doc-base, lintian, lintian/overrides

        let again = Pruner(store: f.store).docs(in: &f.tree)
        #expect(again.isEmpty)
    }

    @Test("man: /usr/share/man and /usr/share/info go, groff's data stays")
    func man() throws {
        let f = try Self.tree()
        let report = Pruner(store: f.store).man(in: &f.tree)
        #expect(report.entries.map(\.path) == [
            "/usr/share/info/coreutils.info.gz",
            "/usr/share/man/de/man1/ls.1.gz",
            "/usr/share/man/man1/dir.1.gz",
            "/usr/share/man/man1/ls.1.gz",
        ])
        #expect(report.entries.allSatisfy { $0.category == .man })
        #expect(report.entries.first?.reason == "info manual")
        #expect(!f.tree.contains("/usr/share/man"))
        #expect(!f.tree.contains("/usr/share/info"))
        #expect(f.tree.contains("/usr/share/groff/current/tmac/an.tmac"))
        let manBytes: Int = "info".utf8.count + "ls(1) de".utf8.count + "ls(1)".utf8.count
        #expect(report.total(.man).bytes == UInt64(manBytes))
        #expect(Pruner(store: f.store).man(in: &f.tree).isEmpty)
    }

    @Test("the report is JSON with entries and totals, and decodes back")
    func codable() throws {
        let f = try Self.tree()
        let pruner = Pruner(store: f.store)
        let report = try pruner.run(.init(keepLocales: ["en_US"], docs: true, man: true, foreignArch: true), on: &f.tree)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(report)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains("\"totals\""))
        #expect(json.contains("\"category\":\"doc\""))
        #expect(json.contains("\"category\":\"man\""))
        let decoded = try JSONDecoder().decode(PruneReport.self, from: data)
        #expect(decoded == report)
        #expect(decoded.totals == report.totals)
        // Deterministic: the same input gives the same bytes.
        let g = try Self.tree()
        let second = try Pruner(store: g.store).run(.init(keepLocales: ["en_US"]), on: &g.tree)
        #expect(try encoder.encode(second) == data)
    }
}
