/// Entry point for `hostimg lint`: files or directories in, diagnostics out.
public struct LintOptions: Sendable {
    /// A hardware profile given on the command line; it overrides a manifest's `hardware:`.
    public var hardwareProfile: String?
    /// A manifest for the slot being switched away from (kexec rules compare the two).
    public var previousManifest: String?

    public init(hardwareProfile: String? = nil, previousManifest: String? = nil) {
        self.hardwareProfile = hardwareProfile
        self.previousManifest = previousManifest
    }
}

public struct LintResult: Sendable {
    /// Sorted, de-duplicated.
    public var diagnostics: [Diagnostic]
    /// Every file that was read, in the order read.
    public var files: [String]

    public init(diagnostics: [Diagnostic], files: [String]) {
        self.diagnostics = diagnostics
        self.files = files
    }
}

/// A problem with the command itself (a path that does not exist): exit code 2, not a finding.
public struct LintUsageError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public enum Linter {
    /// Lints files and directories. Directories are walked for `*.yaml`/`*.yml` (hidden folders
    /// and `.build*` skipped); a file under a `kernels/` folder is read as a kernel file, one
    /// under `hardware/` as a hardware profile, anything else as a manifest.
    public static func lint(paths: [String], options: LintOptions = LintOptions()) throws(LintUsageError) -> LintResult {
        _ = paths
        _ = options
        return LintResult(diagnostics: [], files: [])
    }
}
