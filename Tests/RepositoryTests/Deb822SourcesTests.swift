import Foundation
@testable import Repository
import Testing
import TestSupport

/// What the repository client's own deb822 reader did, checked on the Debian module's parser
/// that replaced it: comments, CRLF, indentation of inline keys, lines in error messages.
@Suite struct Deb822SourcesTests {
    static let fallback = AptSource.Keyring.files(["/etc/apt/trusted.gpg"])

    func sources(_ text: String) throws -> [AptSource] {
        let scratch = try ScratchDirectory()
        let path = scratch.path("test.sources")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try AptConfiguration.deb822File(path, defaultKeyring: Self.fallback)
    }

    func failure(_ text: String) -> String {
        do {
            _ = try sources(text)
            return "no error"
        } catch {
            // Drop the scratch path: "<path>:LINE: reason" → "LINE: reason".
            return "\(error)".split(separator: ":", maxSplits: 1).last.map(String.init) ?? ""
        }
    }

    @Test func commentsAndCRLFAreRead() throws {
        let text = "# generated\r\nTypes: deb\r\n# between fields\r\nURIs: http://deb.example/debian\r\n"
            + "Suites: bookworm\r\nComponents: main\r\nSigned-By: /k/a.gpg\r\n# between lines\r\n\t\t/k/b.gpg\r\n"
        let found = try sources(text)
        #expect(found.map(\.origin) == ["http://deb.example/debian bookworm"])
        #expect(found.first?.components == ["main"])
        #expect(found.first?.keyring == .files(["/k/a.gpg", "/k/b.gpg"]))
        #expect(found.first?.declaredAt?.hasSuffix(":2") == true)
    }

    /// The inline block may be indented by more than the one space deb822 removes, and its
    /// empty line written as " ." at that indentation: APT reads it all the same.
    @Test func inlineKeyBlocksAtAnyIndentation() throws {
        let key = AptConfigurationTests.armoredKey.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? "   ." : "   " + $0 }.joined(separator: "\n")
        let found = try sources("Types: deb\nURIs: http://x.example/\nSuites: s\nComponents: main\nSigned-By:\n\(key)\n")
        guard case let .inline(armored) = found.first?.keyring else {
            Issue.record("expected an inline key, got \(String(describing: found.first?.keyring))")
            return
        }
        #expect(armored == AptConfigurationTests.armoredKey)
        #expect(Armor.decode(armored)?.isEmpty == false)
    }

    @Test func errorsNameTheLineOfTheFieldOrStanza() {
        let stanza = "Types: deb\nURIs: http://x.example/\nSuites: s\nComponents: main\n"
        #expect(failure("\n" + stanza + "Enabled: maybe\n") == "6: Enabled must be yes or no")
        #expect(failure("\n\nTypes: deb\nSuites: s\n") == "3: stanza has no URIs field")
        #expect(failure(stanza + "types: deb-src\n") == "5: field \"types\" appears twice in one paragraph (first on line 1)")
        #expect(failure(stanza + " continued\n\n indented\n") == "7: a continuation line (starting with a space) must follow a field, not begin a paragraph")
        #expect(failure(stanza + "no colon\n").hasPrefix("5: \"no colon\" is not a field"))
    }

    @Test func releaseFilesWithCRLF() throws {
        let text = ReleaseFileTests.text.replacingOccurrences(of: "\n", with: "\r\n")
        let release = try ReleaseFile(Array(text.utf8), url: "t")
        #expect(release.codename == "bookworm")
        #expect(release.sha256.count == 4)
        #expect(release.packagesIndex(component: "main", architecture: "amd64")?.download.size == 8_786_092)
    }
}
