import Foundation
import Testing
@testable import Debian

/// Raw field text and field lines: what the dpkg status file and the sources-file errors
/// need from the one deb822 parser.
@Suite struct Deb822RawTextTests {
    /// A control paragraph as real packages ship them: a trailing space after a value
    /// (libgdbm6's Description), a tab-indented and a doubly indented continuation line.
    static let control = "Package: libgdbm6\nVersion: 1.23-3\nDescription: GNU dbm database routines (runtime version) \n"
        + " GNU dbm is a library.\n .\n\tTab-indented line  \n   three spaces\nHomepage: https://gnu.org/\n"

    @Test func keepsEachFieldsBytesWithContinuationLines() throws {
        let paragraph = try #require(try Deb822.parse(Self.control, keepRawText: true).first)
        #expect(paragraph.fields.map(\.raw) == [
            "Package: libgdbm6",
            "Version: 1.23-3",
            "Description: GNU dbm database routines (runtime version) \n GNU dbm is a library.\n .\n\tTab-indented line  \n   three spaces",
            "Homepage: https://gnu.org/",
        ])
        // The logical value is unchanged by keeping the raw text.
        #expect(paragraph["Description"] == "GNU dbm database routines (runtime version)\nGNU dbm is a library.\n\nTab-indented line\n  three spaces")
        #expect(paragraph.fields.map(\.line) == [1, 2, 3, 8])
        #expect(Deb822.serialize(paragraph) == Self.control)
    }

    @Test func rawTextIsOffByDefault() throws {
        let paragraphs = try Deb822.parse(Self.control)
        #expect(paragraphs.first?.fields.allSatisfy { $0.raw == nil } == true)
        #expect(paragraphs.first?.field("homepage")?.line == 8)
    }

    @Test func crlfStaysInTheRawTextButNotInValues() throws {
        let paragraphs = try Deb822.parse("A: 1\r\nB: two\r\n more\r\n\r\nC: 3", keepRawText: true)
        #expect(paragraphs.count == 2)
        #expect(paragraphs.first?.fields.map(\.raw) == ["A: 1\r", "B: two\r\n more\r"])
        #expect(paragraphs.first?["B"] == "two\nmore")
        #expect(paragraphs.last?.fields.first?.raw == "C: 3")
    }

    @Test func aCommentBetweenContinuationLinesIsPartOfTheRawText() throws {
        let text = "Signed-By:\n /a.gpg\n# the second keyring\n /b.gpg\n# after the field\nTypes: deb\n"
        let paragraph = try #require(try Deb822.parse(text, keepRawText: true).first)
        #expect(paragraph["Signed-By"] == "\n/a.gpg\n/b.gpg")
        #expect(paragraph.field("Signed-By")?.raw == "Signed-By:\n /a.gpg\n# the second keyring\n /b.gpg")
        #expect(paragraph.field("Types")?.line == 6)
    }

    @Test func settingAValueDropsItsRawText() throws {
        var paragraph = try #require(try Deb822.parse("A:  spaced  \nB: 2\n", keepRawText: true).first)
        paragraph["b"] = "3"
        #expect(paragraph.fields.map(\.raw) == ["A:  spaced  ", nil])
        #expect(Deb822.serialize(paragraph) == "A:  spaced  \nB: 3\n")
    }

    @Test func fieldsSurviveCodingWithTheirRawText() throws {
        let paragraph = try #require(try Deb822.parse(Self.control, keepRawText: true).first)
        let data = try PropertyListEncoder().encode(paragraph)
        #expect(try PropertyListDecoder().decode(Deb822.Paragraph.self, from: data) == paragraph)
    }

    @Test func errorsSplitIntoLineAndReason() {
        let error = Deb822.Error.duplicateField(line: 3, name: "a", firstLine: 1)
        #expect(error.line == 3)
        #expect(error.reason == "field \"a\" appears twice in one paragraph (first on line 1)")
        #expect(error.description == "line 3: " + error.reason)
    }
}
