import Manifests

/// The build's stages, in pipeline order (ARCHITECTURE.md, "The build pipeline"), plus the
/// steps around them that can fail on their own (reading the manifest, opening the cache,
/// planning the disk layout, writing the report). Every progress event, timing and error
/// names one of these: no stage is a free-form string.
public enum StageName: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case manifest, cache
    case resolve, fetch, unpack, configure, overlays, prune, drivers
    /// `tuning`: the manifest's tuning section rendered into the tree (TUNING.md).
    case tuning
    /// `--stage rootfs`: the tree as a deterministic tar instead of an image.
    case rootfs
    /// `host`: hostimg's own files in the tree (agent, health gate, ESP mount); `uki`: one
    /// unified kernel image per filled slot; `esp`: the FAT file system of the ESP.
    case layout, host, erofs, verity, sign, boot, uki, esp, disk, bundle
    /// `sbom`: NAME.spdx.json (SPDX 2.3) beside the outputs; `provenance`: NAME.provenance.json
    /// (SLSA provenance v1 in a DSSE envelope signed with the image key).
    case sbom, provenance
    case report

    public var description: String { rawValue }
}

/// One stage of the build: a named type that works on the build's state and says in one
/// line what it did ("142 packages, 98.1 MiB").
protocol BuildStage {
    associatedtype State
    static var name: StageName { get }
    func run(_ state: inout State) async throws -> String
}

/// The one stage runner: times each stage, tells the observer, and turns a failure into a
/// `BuildError` that names the stage and keeps the cause.
struct StageRunner {
    let observer: BuildObserver
    private(set) var timings: [BuildReport.Stage] = []

    init(observer: @escaping BuildObserver) { self.observer = observer }

    mutating func run<S: BuildStage>(_ stage: S, on state: inout S.State) async throws {
        let name = S.name
        observer(.stageStarted(name))
        let clock = ContinuousClock()
        let start = clock.now
        let summary: String
        do {
            summary = try await stage.run(&state)
        } catch let error as BuildError {
            throw error
        } catch {
            throw BuildError(stage: name, cause: error)
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        timings.append(BuildReport.Stage(name: name.rawValue, seconds: (seconds * 1000).rounded() / 1000, summary: summary))
        observer(.stageFinished(name, seconds: seconds, summary: summary))
    }
}

/// A build that cannot go on: the stage it stopped in and the cause, kept as the typed error
/// the stage's module threw (so a caller can still match on it), with the context the build
/// adds ("--locked: manifests/x.lock"); lint findings when the manifest itself is wrong.
public struct BuildError: Error, Sendable, CustomStringConvertible {
    public var stage: StageName
    public var cause: any Error
    /// Words the build puts before the cause's own message.
    public var context: String?
    public var diagnostics: [Diagnostic]

    public init(stage: StageName, cause: any Error, context: String? = nil, diagnostics: [Diagnostic] = []) {
        self.stage = stage
        self.cause = cause
        self.context = context
        self.diagnostics = diagnostics
    }

    /// A failure the build itself finds (no lower module threw): the message is the cause.
    public init(stage: StageName, _ message: String, diagnostics: [Diagnostic] = []) {
        self.init(stage: stage, cause: BuildProblem(message), diagnostics: diagnostics)
    }

    public var message: String {
        context.map { "\($0): \(cause)" } ?? "\(cause)"
    }

    public var description: String { "\(stage): \(message)" }
}

/// A problem the build describes in its own words.
public struct BuildProblem: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
