import ArgumentParser

/// The exit statuses of `hostimg`. Scripts and CI branch on them, so they are part of the
/// interface: change them only with a note in the changelog.
///
/// | code | meaning |
/// | --- | --- |
/// | 0 | success; for `lint`: no errors (warnings alone pass unless `--strict`; notes never fail) |
/// | 1 | `lint` found problems that fail the run; `verify` found a part that fails; `inspect` found the input corrupt |
/// | 2 | the command could not run: bad usage, a path that does not exist or cannot be read |
/// | 3 | the command exists but is not implemented yet |
///
/// swift-argument-parser reports a usage error as 64 (`EX_USAGE`); `HostImg.run(arguments:)`
/// maps it to 2 so that "the command could not run" has one code.
extension ExitCode {
    /// `lint` found errors (after `--strict` promotion).
    public static let findings = ExitCode(1)
    /// Bad usage or an I/O problem: no verdict was reached.
    public static let usage = ExitCode(2)
    /// The subcommand is documented and parses its arguments, but does nothing yet.
    public static let notImplemented = ExitCode(3)
}
