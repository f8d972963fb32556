import BuildPipeline
import Manifests

/// `--format github`: GitHub Actions workflow commands, which the runner turns into
/// annotations on the pull request's changed lines:
///
///     ::error file=manifests/hv.yaml,line=12,col=5,title=hugepages.duplicate-size::two 1G pools%0Ahint: merge them
///
/// `error` → `::error`, `warning` → `::warning`, `note` → `::notice`. The hint follows the
/// message on a second line (GitHub shows multi-line annotation messages).
///
/// Escaping follows the runner's parser (actions/toolkit `command.ts`): in the message
/// `%` → `%25`, CR → `%0D`, LF → `%0A`; in property values (`file`, `title`) also
/// `:` → `%3A` and `,` → `%2C`. Without it a file name holding `,` would cut the property list,
/// and a message holding a newline would end the command.
///
/// Paths are made relative to the source root (``SourcePaths``; `GITHUB_WORKSPACE` in
/// Actions), the form GitHub matches against the repository; a path outside it stays absolute.
///
/// GitHub shows at most 10 annotations of each kind per step and 50 per job; the rest are in
/// the log only. Use `--format sarif` with code scanning to see every finding.
public struct GitHubRenderer: DiagnosticRenderer {
    /// The source root; without it, paths are printed as reported.
    public var paths: SourcePaths?

    public init(paths: SourcePaths? = nil) {
        self.paths = paths
    }

    public func render(_ diagnostics: [Diagnostic], files: [String]) -> String {
        var out = ""
        for diagnostic in diagnostics {
            out += command(for: diagnostic)
            out += "\n"
        }
        return out
    }

    /// The workflow command for one diagnostic, without its newline.
    public func command(for diagnostic: Diagnostic) -> String {
        let properties = [
            "file=\(Self.escapeProperty(paths?.display(diagnostic.location.file) ?? diagnostic.location.file))",
            "line=\(diagnostic.location.line)",
            "col=\(diagnostic.location.column)",
            "title=\(Self.escapeProperty(diagnostic.rule))",
        ]
        return "::\(Self.command(for: diagnostic.severity)) \(properties.joined(separator: ","))::\(Self.escapeData(diagnostic.messageWithHint))"
    }

    public static func command(for severity: Diagnostic.Severity) -> String {
        switch severity {
        case .error: return "error"
        case .warning: return "warning"
        case .note: return "notice"
        }
    }

    /// Escapes a command's message: `%`, CR, LF.
    public static func escapeData(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "%": out += "%25"
            case "\r": out += "%0D"
            case "\n": out += "%0A"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// Escapes a property value: `%`, CR, LF, `:` and `,`.
    public static func escapeProperty(_ text: String) -> String {
        var out = ""
        for scalar in escapeData(text).unicodeScalars {
            switch scalar {
            case ":": out += "%3A"
            case ",": out += "%2C"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
