/// What the build reports while it runs. The library reports; the CLI draws (a progress line
/// on a terminal, plain lines in CI).
public enum BuildEvent: Sendable {
    case stageStarted(String)
    /// `summary` is one line: "142 packages, 98.1 MiB".
    case stageFinished(String, seconds: Double, summary: String)
    /// Work within a stage: bytes or items done of a total.
    case progress(stage: String, done: UInt64, total: UInt64, unit: ProgressUnit)
    /// Something the user should know that does not stop the build.
    case warning(String)

    public enum ProgressUnit: Sendable { case bytes, items }
}

public typealias BuildObserver = @Sendable (BuildEvent) -> Void

/// A build that cannot go on: the message names what failed and, where it can, how to fix it.
public struct BuildError: Error, Sendable, CustomStringConvertible {
    public var stage: String
    public var message: String
    /// Lint findings when the manifest itself is wrong.
    public var diagnostics: [Diagnostic]

    public init(stage: String, _ message: String, diagnostics: [Diagnostic] = []) {
        self.stage = stage
        self.message = message
        self.diagnostics = diagnostics
    }

    public var description: String { "\(stage): \(message)" }
}
