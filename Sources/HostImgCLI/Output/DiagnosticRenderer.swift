import BuildPipeline
import Manifests

/// Turns diagnostics into the bytes a reader wants: a person at a terminal, a script, GitHub
/// code scanning, or a GitHub Actions log.
///
/// Renderers are pure: the same diagnostics give the same string, and nothing is written
/// anywhere. They print diagnostics in the order given (`Linter` hands them over sorted) and
/// end every line they write with `\n`; no diagnostics may give an empty string (text, github)
/// or a complete document with empty lists (json, sarif).
public protocol DiagnosticRenderer: Sendable {
    /// - Parameters:
    ///   - diagnostics: what to report, already promoted by `--strict` if it applies.
    ///   - files: every file that was read, including those without findings.
    func render(_ diagnostics: [Diagnostic], files: [String]) -> String
}

/// `--format`: the renderer a run uses.
public enum DiagnosticFormat: String, CaseIterable, Sendable {
    /// `path:line:col: severity: [rule] message`, as swift-format and compilers print.
    case text
    /// One JSON document (``JSONRenderer``).
    case json
    /// SARIF 2.1.0 for code-scanning tools (``SARIFRenderer``).
    case sarif
    /// GitHub Actions workflow commands that annotate a pull request (``GitHubRenderer``).
    case github

    /// The renderer for this format.
    /// - Parameters:
    ///   - color: ANSI colour in text output (other formats never colour).
    ///   - paths: the source root, for the formats a code host reads (sarif, github); text
    ///     and json print paths as the linter reported them.
    public func renderer(color: Bool, paths: SourcePaths?) -> any DiagnosticRenderer {
        switch self {
        case .text: return TextRenderer(color: color)
        case .json: return JSONRenderer()
        case .sarif: return SARIFRenderer(paths: paths)
        case .github: return GitHubRenderer(paths: paths)
        }
    }
}

extension Diagnostic {
    /// The message with the hint, when there is one, on its own line: for formats that have
    /// no separate place for a hint (SARIF, GitHub annotations).
    var messageWithHint: String {
        guard let hint, !hint.isEmpty else { return message }
        return "\(message)\nhint: \(hint)"
    }
}
