import Debian
import Foundation

/// The license a Debian package declares, from its `/usr/share/doc/PACKAGE/copyright` when that
/// file is machine-readable (DEP-5, copyright-format 1.0): every `Files` paragraph's `License`
/// short name mapped to SPDX (`SPDXLicenses`) and joined with AND; a name SPDX has no
/// identifier for (`public-domain`, an exception, a package's own) becomes a
/// `LicenseRef-` with the text the file gives it. A free-text file or one that does not parse
/// gives no expression: the SBOM then says NOASSERTION and why.
public enum DebianCopyright {
    public struct Declared: Equatable, Sendable {
        /// The SPDX license expression; nil when the file does not allow one.
        public var expression: String?
        /// Why there is no expression, or the Debian names it came from.
        public var comment: String
        /// The `LicenseRef-` identifiers the expression uses, with their text.
        public var references: [String: String] = [:]
    }

    static let spaces = CharacterSet(charactersIn: " ")

    /// The copyright-format 1.0 URL's stable part (http or https, with or without the trailing slash).
    static let formatMarker = "copyright-format/1.0"

    public static func declared(_ text: String) -> Declared {
        guard let paragraphs = try? Deb822.parse(text), let header = paragraphs.first,
              header["Format"]?.contains(formatMarker) == true
        else {
            return Declared(expression: nil, comment: "the copyright file is not machine-readable (copyright-format 1.0)")
        }
        var names: [String] = []
        for paragraph in paragraphs.dropFirst() where paragraph["Files"] != nil {
            guard let license = paragraph["License"], let first = license.split(separator: "\n").first else { continue }
            let name = first.trimmingCharacters(in: .whitespaces)
            if !name.isEmpty, !names.contains(name) { names.append(name) }
        }
        guard !names.isEmpty else { return Declared(expression: nil, comment: "no Files paragraph names a License") }
        var expressions: [String] = []
        var references: [String: String] = [:]
        for name in names {
            var expression = SPDXLicenses.expression(debian: name)
            if expression == nil {
                let reference = licenseReference(name)
                references[reference] = Self.text(of: name, in: paragraphs)
                expression = reference
            }
            if let expression, !expressions.contains(expression) { expressions.append(expression) }
        }
        let joined = expressions.count == 1 ? expressions[0]
            : expressions.map { $0.contains(" ") ? "(\($0))" : $0 }.joined(separator: " AND ")
        return Declared(expression: joined, comment: "Debian license names: \(names.joined(separator: "; "))", references: references)
    }

    /// `LicenseRef-` and the name with every character SPDX does not allow in an identifier
    /// replaced by `-`.
    static func licenseReference(_ name: String) -> String {
        "LicenseRef-" + SPDXIdentifiers.cleaned(name)
    }

    /// The text a stand-alone `License: NAME` paragraph gives the name, or a sentence saying
    /// there is none.
    static func text(of name: String, in paragraphs: [Deb822.Paragraph]) -> String {
        for paragraph in paragraphs where paragraph["Files"] == nil {
            guard let license = paragraph["License"] else { continue }
            let lines = license.split(separator: "\n", omittingEmptySubsequences: false)
            guard let first = lines.first, first.trimmingCharacters(in: .whitespaces) == name, lines.count > 1 else { continue }
            return lines.dropFirst().map { $0.trimmingCharacters(in: .whitespaces) == "." ? "" : $0.trimmingCharacters(in: Self.spaces) }
                .joined(separator: "\n")
        }
        return "The license named \"\(name)\" in the package's Debian copyright file, which gives no text for it."
    }
}
