import Foundation
import Testing
@testable import Debian

@Suite struct Deb822Tests {
    @Test func parsesFieldsContinuationsAndComments() throws {
        let text = """
            # a comment before the first paragraph
            Package: busybox
            version:  1:1.35.0-4 \t
            Description: tiny utilities
             second line
             .
              indented third
            # a comment inside

            Package: b
            """
        let paragraphs = try Deb822.parse(text)
        #expect(paragraphs.count == 2)
        let first = try #require(paragraphs.first)
        #expect(first.line == 2)
        #expect(first["PACKAGE"] == "busybox")
        #expect(first["Version"] == "1:1.35.0-4")
        #expect(first["description"] == "tiny utilities\nsecond line\n\n indented third")
        #expect(first.fields.map(\.name) == ["Package", "version", "Description"])
        #expect(paragraphs.last?["Package"] == "b")
        #expect(paragraphs.last?.line == 10)
    }

    @Test func blankLinesWithWhitespaceSeparateParagraphs() throws {
        let paragraphs = try Deb822.parse("A: 1\n \t\nB: 2\n\n\n\nC: 3\n")
        #expect(paragraphs.map { $0.fields.count } == [1, 1, 1])
    }

    @Test(arguments: [
        ("A: 1\nnot a field\n", Deb822.Error.missingColon(line: 2, text: "not a field")),
        (" leading: x\n", Deb822.Error.continuationWithoutField(line: 1)),
        ("A: 1\n\n continued\n", Deb822.Error.continuationWithoutField(line: 3)),
        (": value\n", Deb822.Error.emptyFieldName(line: 1)),
        ("A: 1\nB: 2\na: 3\n", Deb822.Error.duplicateField(line: 3, name: "a", firstLine: 1)),
        ("Bad Name: 1\n", Deb822.Error.invalidFieldName(line: 1, name: "Bad Name")),
    ])
    func reportsMalformedInputWithLineNumbers(text: String, expected: Deb822.Error) {
        #expect(throws: expected) { try Deb822.parse(text) }
    }

    @Test func errorMessagesNameTheLine() {
        #expect(Deb822.Error.missingColon(line: 7, text: "oops").description.hasPrefix("line 7:"))
        #expect(Deb822.Error.duplicateField(line: 3, name: "a", firstLine: 1).description.contains("first on line 1"))
    }

    @Test func commentsCanBeRefused() {
        #expect(throws: Deb822.Error.invalidFieldName(line: 1, name: "#x")) {
            try Deb822.parse("#x: 1\n", allowComments: false)
        }
    }

    @Test func serializerRoundTrips() throws {
        let text = "Package: a\nDescription: short\n line one\n .\n line three\nEmpty:\n\nPackage: b\nZ-Last: 1\n"
        let paragraphs = try Deb822.parse(text)
        #expect(Deb822.serialize(paragraphs) == text)
        #expect(try Deb822.parse(Deb822.serialize(paragraphs)) == paragraphs)
    }

    @Test func subscriptSetKeepsOrder() {
        var paragraph = Deb822.Paragraph(["A": "1", "B": "2"])
        paragraph["a"] = "3"
        paragraph["C"] = "4"
        paragraph["b"] = nil
        #expect(Deb822.serialize(paragraph) == "A: 3\nC: 4\n")
    }

    @Test func crlfAndMissingFinalNewline() throws {
        let paragraphs = try Deb822.parse("A: 1\r\nB: two\r\n\r\nC: 3")
        #expect(paragraphs.count == 2)
        #expect(paragraphs.first?["B"] == "two")
        #expect(paragraphs.last?["C"] == "3")
    }
}
