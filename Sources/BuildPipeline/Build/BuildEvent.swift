import Manifests
/// What the build reports while it runs. The library reports; the CLI draws (a progress line
/// on a terminal, plain lines in CI).
public enum BuildEvent: Sendable {
    case stageStarted(StageName)
    /// `summary` is one line: "142 packages, 98.1 MiB".
    case stageFinished(StageName, seconds: Double, summary: String)
    /// Work within a stage: bytes or items done of a total.
    case progress(stage: StageName, done: UInt64, total: UInt64, unit: ProgressUnit)
    /// Something the user should know that does not stop the build.
    case warning(String)

    public enum ProgressUnit: Sendable { case bytes, items }
}

public typealias BuildObserver = @Sendable (BuildEvent) -> Void
