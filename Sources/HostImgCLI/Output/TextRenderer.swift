import BuildPipeline
import Manifests

/// The human format, the way swift-format and the Swift compiler print diagnostics:
///
///     manifests/hv.yaml:12:5: error: [hugepages.duplicate-size] two 1G pools on node 0
///       hint: merge them into one pool of 16 pages
///
/// One line per diagnostic, then a `  hint: ` line when the diagnostic has a hint. Editors and
/// terminals make `path:line:col:` clickable.
///
/// With colour, the location (including its trailing colon) is bold and the severity word
/// (including its colon, as clang does) is coloured: error bold red, warning bold yellow, note
/// cyan. Without colour the output holds no escape sequence at all.
///
/// Messages, hints and paths come from the manifest (a YAML string can hold any character),
/// so control characters are shown escaped (`\n`, `\u{1B}`): a diagnostic stays one line, and a
/// manifest cannot send escape sequences to the reader's terminal.
public struct TextRenderer: DiagnosticRenderer {
    public var color: Bool

    public init(color: Bool = false) {
        self.color = color
    }

    public func render(_ diagnostics: [Diagnostic], files: [String]) -> String {
        var out = ""
        for diagnostic in diagnostics {
            out += line(for: diagnostic)
            out += "\n"
            if let hint = diagnostic.hint, !hint.isEmpty {
                out += "  hint: \(Self.escapingControlCharacters(hint))\n"
            }
        }
        return out
    }

    /// The first line for one diagnostic, without its newline.
    public func line(for diagnostic: Diagnostic) -> String {
        let location = SourceLocation(
            file: Self.escapingControlCharacters(diagnostic.location.file),
            line: diagnostic.location.line,
            column: diagnostic.location.column
        )
        let severity = "\(diagnostic.severity.rawValue):"
        let rest = "[\(Self.escapingControlCharacters(diagnostic.rule))] \(Self.escapingControlCharacters(diagnostic.message))"
        guard color else {
            return "\(location): \(severity) \(rest)"
        }
        return "\(ANSI.bold)\(location):\(ANSI.reset) \(ANSI.style(for: diagnostic.severity))\(severity)\(ANSI.reset) \(rest)"
    }

    /// Replaces C0 and C1 control characters (other than tab) and DEL with Swift-style escapes.
    static func escapingControlCharacters(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isEscaped) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            guard isEscaped(scalar) else {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default: out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            }
        }
        return out
    }

    private static func isEscaped(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09: return false
        case 0x00...0x1F, 0x7F...0x9F: return true
        default: return false
        }
    }
}

/// SGR escape sequences (ECMA-48 §8.3.117) used by the text format.
public enum ANSI {
    public static let reset = "\u{1B}[0m"
    public static let bold = "\u{1B}[1m"
    public static let boldRed = "\u{1B}[1;31m"
    public static let boldYellow = "\u{1B}[1;33m"
    public static let cyan = "\u{1B}[36m"

    public static func style(for severity: Diagnostic.Severity) -> String {
        switch severity {
        case .error: return boldRed
        case .warning: return boldYellow
        case .note: return cyan
        }
    }
}
