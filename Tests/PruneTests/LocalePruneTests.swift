import ContentStore
import FileTree
import Foundation
import Testing
@testable import Prune

@Suite("Prune: locales")
struct LocalePruneTests {
    static func tree() throws -> Fixture {
        let f = try Fixture()
        for locale in ["en", "en_US", "en_GB", "en@quot", "de", "de_DE", "fr", "pt_BR", "sr@latin"] {
            try f.text("/usr/share/locale/\(locale)/LC_MESSAGES/coreutils.mo", "catalogue \(locale)", origin: "coreutils")
        }
        try f.text("/usr/share/locale/locale.alias", "english en_US.ISO-8859-1\n", origin: "locales")
        for locale in ["C.utf8", "en_US.utf8", "de_DE.utf8", "fr_FR.utf8"] {
            try f.text("/usr/lib/locale/\(locale)/LC_CTYPE", "compiled \(locale)", origin: "locales")
        }
        try f.text("/usr/lib/locale/locale-archive", "archive", origin: "locales")
        let sources: [String: String] = [
            "en_US": "LC_CTYPE\ncopy \"i18n\"\ntranslit_start\ninclude \"translit_combining\";\"\"\ntranslit_end\n",
            "en_GB": "LC_CTYPE\ncopy \"en_US\"\n",
            "de_AT": "LC_TIME\ncopy \"de_DE\"\n% copyright \"not_a_locale\"\n",
            "de_DE": "LC_CTYPE\ncopy \"i18n\"\n",
            "fr_FR": "LC_CTYPE\ncopy \"i18n\"\n",
            "i18n": "LC_CTYPE\ncopy \"i18n_ctype\"\n", "i18n_ctype": "x", "translit_combining": "x",
            "iso14651_t1": "x", "iso14651_t1_common": "x", "POSIX": "x", "C": "x",
        ]
        for (name, text) in sources { try f.text("/usr/share/i18n/locales/\(name)", text, origin: "locales") }
        try f.text("/usr/share/man/man1/ls.1.gz", "ls", origin: "coreutils")
        try f.text("/usr/share/man/de/man1/ls.1.gz", "ls de", origin: "manpages-de")
        try f.text("/usr/share/man/fr/man1/ls.1.gz", "ls fr", origin: "manpages-fr")
        try f.text("/usr/share/man/pt_BR/man1/ls.1.gz", "ls pt", origin: "manpages-pt")
        return f
    }

    @Test("exactly the locales outside the keep list go")
    func keepList() throws {
        let f = try Self.tree()
        let pruner = Pruner(store: f.store)
        let report = try pruner.locales(keep: ["en_US.UTF-8", "de_AT"], in: &f.tree)
        let removed = report.entries.map(\.path)
        #expect(removed == [
            "/usr/lib/locale/de_DE.utf8/LC_CTYPE",
            "/usr/lib/locale/fr_FR.utf8/LC_CTYPE",
            "/usr/share/i18n/locales/en_GB",
            "/usr/share/i18n/locales/fr_FR",
            "/usr/share/locale/de_DE/LC_MESSAGES/coreutils.mo",
            "/usr/share/locale/en_GB/LC_MESSAGES/coreutils.mo",
            "/usr/share/locale/fr/LC_MESSAGES/coreutils.mo",
            "/usr/share/locale/pt_BR/LC_MESSAGES/coreutils.mo",
            "/usr/share/locale/sr@latin/LC_MESSAGES/coreutils.mo",
            "/usr/share/man/fr/man1/ls.1.gz",
            "/usr/share/man/pt_BR/man1/ls.1.gz",
        ])
        // de_DE's compiled locale goes (not kept), but its source stays: de_AT copies it.
        #expect(!removed.contains("/usr/share/i18n/locales/de_DE"))
        for kept in ["/usr/share/locale/en/LC_MESSAGES/coreutils.mo", "/usr/share/locale/en_US",
                     "/usr/share/locale/en@quot", "/usr/share/locale/de", "/usr/share/locale/locale.alias",
                     "/usr/lib/locale/C.utf8/LC_CTYPE", "/usr/lib/locale/en_US.utf8", "/usr/lib/locale/locale-archive",
                     "/usr/share/i18n/locales/en_US", "/usr/share/i18n/locales/de_AT", "/usr/share/i18n/locales/i18n",
                     "/usr/share/i18n/locales/i18n_ctype", "/usr/share/i18n/locales/translit_combining",
                     "/usr/share/i18n/locales/iso14651_t1_common", "/usr/share/i18n/locales/POSIX",
                     "/usr/share/man/man1/ls.1.gz", "/usr/share/man/de/man1/ls.1.gz"] {
            #expect(f.tree.contains(kept), "\(kept) should stay")
        }
        for gone in ["/usr/share/locale/fr", "/usr/share/locale/fr/LC_MESSAGES", "/usr/share/man/fr"] {
            #expect(!f.tree.contains(gone), "\(gone) should go with its files")
        }
        let fr = try #require(report.entries.first { $0.path == "/usr/share/locale/fr/LC_MESSAGES/coreutils.mo" })
        #expect(fr.reason == "locale fr not in locales.keep")
        #expect(fr.origin == "coreutils")
        #expect(fr.bytes == UInt64("catalogue fr".utf8.count))
        #expect(fr.category == .locale)
    }

    @Test("de_DE compiled locale is not kept by de_AT")
    func compiledLocales() throws {
        let f = try Self.tree()
        let report = try Pruner(store: f.store).locales(keep: ["en_US", "de_AT"], in: &f.tree)
        #expect(report.entries.contains { $0.path == "/usr/lib/locale/de_DE.utf8/LC_CTYPE" })
        #expect(!f.tree.contains("/usr/lib/locale/de_DE.utf8"))
    }

    @Test("totals count files, bytes and directories; a second run removes nothing")
    func totalsAndIdempotence() throws {
        let f = try Self.tree()
        let pruner = Pruner(store: f.store)
        let report = try pruner.locales(keep: ["en_US"], in: &f.tree)
        let total = report.total(.locale)
        #expect(total.files == report.entries.count)
        #expect(total.bytes == report.entries.reduce(0) { $0 + $1.bytes })
        #expect(total.bytes > 0)
        #expect(total.directories > 0)
        let before = f.tree.paths
        let again = try pruner.locales(keep: ["en_US"], in: &f.tree)
        #expect(again.isEmpty)
        #expect(f.tree.paths == before)
    }

    @Test("a language-only keep entry keeps every territory of it")
    func wholeLanguage() throws {
        let f = try Self.tree()
        _ = try Pruner(store: f.store).locales(keep: ["en"], in: &f.tree)
        #expect(f.tree.contains("/usr/share/locale/en_GB"))
        #expect(f.tree.contains("/usr/share/locale/en_US"))
        #expect(!f.tree.contains("/usr/share/locale/de"))
    }

    @Test("keep entries that are not locale names are errors that say how to write one",
          arguments: ["", "en US", "_US", "en_", "en_US.", "12"])
    func invalidEntries(entry: String) throws {
        let f = try Self.tree()
        let before = f.tree.paths
        #expect(throws: PruneError.self) { try Pruner(store: f.store).locales(keep: [entry], in: &f.tree) }
        #expect(f.tree.paths == before)
        do {
            _ = try Pruner(store: f.store).locales(keep: [entry], in: &f.tree)
        } catch let error {
            #expect(error.description.contains("en_US.UTF-8"))
        }
    }

    @Test("C and POSIX keep entries are accepted and keep nothing else")
    func portable() throws {
        let f = try Self.tree()
        _ = try Pruner(store: f.store).locales(keep: ["C.UTF-8", "POSIX"], in: &f.tree)
        #expect(f.tree.contains("/usr/lib/locale/C.utf8/LC_CTYPE"))
        #expect(!f.tree.contains("/usr/share/locale/en"))
        #expect(f.tree.contains("/usr/share/locale/locale.alias"))
    }
}
