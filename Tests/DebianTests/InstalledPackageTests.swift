import Foundation
import Testing
@testable import Debian

@Suite struct InstalledPackageTests {
    @Test func readsTheThreeFieldsDpkgRequires() throws {
        let package = try InstalledPackage(control: "package: hello\nVersion:  1.0 \nArchitecture: amd64\nMulti-Arch: same\n")
        #expect(package.name == "hello")
        #expect(package.version == "1.0")
        #expect(package.architecture == "amd64")
        #expect(package.control["multi-arch"] == "same")
        #expect(package.control.field("Version")?.raw == "Version:  1.0 ")
    }

    /// The status file gets the control file without what follows its last field; blanks
    /// inside the paragraph (a value's trailing space) stay.
    @Test func dropsOnlyTheBlanksAtTheVeryEnd() throws {
        let text = "Package: a\nVersion: 1\nArchitecture: all\nDescription: x \n more  \n\n\n"
        let package = try InstalledPackage(control: text)
        #expect(package.control.fields.last?.raw == "Description: x \n more")
        #expect(Deb822.serialize(package.control) == "Package: a\nVersion: 1\nArchitecture: all\nDescription: x \n more\n")
    }

    @Test(arguments: [
        ("Package: a\nArchitecture: all\n", InstalledPackage.ControlError.missingField("Version")),
        ("Package: a\nVersion:\nArchitecture: all\n", .missingField("Version")),
        ("", .missingField("Package")),
        ("Package: a\nVersion: 1\n\nArchitecture: all\n", .paragraphs(count: 2)),
        // dpkg reads a line of blanks inside a field as an error ("blank line in value");
        // Policy §5.1 lets parsers take it as a separator, after which " more" has no field.
        ("Package: a\nDescription: x\n \n more\n", .syntax(.continuationWithoutField(line: 4))),
        ("Package: a\nnot a field\n", .syntax(.missingColon(line: 2, text: "not a field"))),
        // Policy §5.1 allows comments only in debian/control and sources lists.
        ("# built by hand\nPackage: a\n", .syntax(.missingColon(line: 1, text: "# built by hand"))),
        ("#Origin: me\nPackage: a\n", .syntax(.invalidFieldName(line: 1, name: "#Origin"))),
        ("Package: a\npackage: b\n", .syntax(.duplicateField(line: 2, name: "package", firstLine: 1))),
    ])
    func refusesWhatDpkgRefuses(text: String, expected: InstalledPackage.ControlError) {
        #expect(throws: expected) { try InstalledPackage(control: text) }
    }

    @Test func errorsSayWhatAControlFileNeeds() {
        #expect("\(InstalledPackage.ControlError.missingField("Version"))" == "it has no Version field, which every binary package needs")
        #expect("\(InstalledPackage.ControlError.syntax(.emptyFieldName(line: 2)))" == "line 2: the field has no name before the ':'")
    }
}
