import ArgumentParser
import BuildPipeline
import Manifests

/// How many diagnostics of each severity.
public struct SeverityCounts: Hashable, Sendable {
    public var errors: Int
    public var warnings: Int
    public var notes: Int

    public init(errors: Int = 0, warnings: Int = 0, notes: Int = 0) {
        self.errors = errors
        self.warnings = warnings
        self.notes = notes
    }

    public init(_ diagnostics: [Diagnostic]) {
        self.init()
        for diagnostic in diagnostics {
            switch diagnostic.severity {
            case .error: errors += 1
            case .warning: warnings += 1
            case .note: notes += 1
            }
        }
    }
}

/// What `hostimg lint` reports: the linter's result with `--strict` applied, its counts, the
/// exit code and the summary line. A pure value, so every decision here is testable without
/// running the linter.
public struct LintReport: Sendable {
    /// The diagnostics as printed: with `--strict`, warnings have become errors.
    public let diagnostics: [Diagnostic]
    /// Every file the linter read.
    public let files: [String]
    public let counts: SeverityCounts

    public init(_ result: LintResult, strict: Bool) {
        self.init(diagnostics: result.diagnostics, files: result.files, strict: strict)
    }

    public init(diagnostics: [Diagnostic], files: [String], strict: Bool) {
        let promoted = strict ? diagnostics.map { $0.promotingWarnings() } : diagnostics
        self.diagnostics = promoted
        self.files = files
        self.counts = SeverityCounts(promoted)
    }

    /// `.success` unless an error remains; see ``exitCode(for:strict:)``.
    public var exitCode: ExitCode { counts.errors > 0 ? .findings : .success }

    /// The exit code of `hostimg lint` for a set of diagnostics: 1 if any is an error (with
    /// `strict`, any warning too), otherwise 0. Notes never fail a run.
    public static func exitCode(for diagnostics: [Diagnostic], strict: Bool) -> ExitCode {
        LintReport(diagnostics: diagnostics, files: [], strict: strict).exitCode
    }

    /// "2 errors, 1 warning in 3 files", or "no problems in 3 files". Zero counts are left
    /// out; singular and plural are English.
    public var summary: String {
        var parts: [String] = []
        if counts.errors > 0 { parts.append(Self.count(counts.errors, "error")) }
        if counts.warnings > 0 { parts.append(Self.count(counts.warnings, "warning")) }
        if counts.notes > 0 { parts.append(Self.count(counts.notes, "note")) }
        let found = parts.isEmpty ? "no problems" : parts.joined(separator: ", ")
        return "\(found) in \(Self.count(files.count, "file"))"
    }

    private static func count(_ n: Int, _ noun: String) -> String {
        "\(n) \(noun)\(n == 1 ? "" : "s")"
    }
}
