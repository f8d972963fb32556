import ContentStore
import Debian
import Drivers
import FileTree
import Foundation
import Manifests
import RootFS

/// The whole build (ARCHITECTURE.md, "The build pipeline"): manifest → resolve → fetch →
/// unpack → configure → overlays → prune → drivers → tuning → either the root tree as a tar
/// (`rootfs`) or the image (erofs → verity → sign → boot → disk → bundle).
///
/// Each stage is a named type (`BuildStage`) run by one `StageRunner`; how far the build goes
/// is one value, `Options.target`, the last stage to run. Nothing runs as root, nothing from
/// the packages is executed, nothing is extracted onto the builder's file system: the tree
/// lives in memory, file contents in the content store.
public struct Pipeline {
    public struct Options: Sendable {
        public var manifest: String
        /// Where the outputs and `report.json` go (created if missing).
        public var output: String
        public var cache: String
        /// Use the lock as it is; fail if the manifest no longer matches it.
        public var locked: Bool
        /// The builder's apt configuration, for manifests that name no repository.
        public var aptDirectory: String
        /// File times in the tar; default: SOURCE_DATE_EPOCH, else the newest file time the
        /// locked packages carry (so the same lock always gives the same bytes).
        public var sourceDateEpoch: Int64?
        public var downloadParallelism: Int
        /// The lock file; default `NAME.lock` beside the manifest `NAME.yaml`.
        public var lockPath: String?
        /// The last stage to run: `resolve`, `fetch`, `drivers` (the tree and report only, for
        /// `hostimg explain`), `rootfs` (the tree as a tar) or `bundle` (the whole image).
        public var target: StageName = .rootfs
        /// What the image stages need beyond the manifest; used when `target` is an image stage.
        public var image = ImageRequest()
        /// The project folder every path of the manifest must stay inside (`--root`); default:
        /// `ProjectRoot.enclosing(manifest)`.
        public var root: String?

        public init(manifest: String, output: String, cache: String = ContentStore.defaultRoot, locked: Bool = false,
                    aptDirectory: String = "/etc/apt", sourceDateEpoch: Int64? = nil, downloadParallelism: Int = 6) {
            self.manifest = manifest
            self.output = output
            self.cache = cache
            self.locked = locked
            self.aptDirectory = aptDirectory
            self.sourceDateEpoch = sourceDateEpoch
            self.downloadParallelism = downloadParallelism
        }
    }

    public struct Result: Sendable {
        public var tree: FileTree
        public var packages: [InstalledPackage]
        public var report: BuildReport
        /// nil when the build stopped before the tree was written.
        public var tarPath: String?
        public var reportPath: String?
        public var lockPath: String?
        public var imagePath: String?
        public var bundlePath: String?
    }

    /// The stages in order. `rootfs` and the image stages are two ends after `drivers`.
    public static let treeStages: [StageName] = [.resolve, .fetch, .unpack, .configure, .overlays, .prune, .drivers, .tuning]
    public static let imageStages: [StageName] = [.host, .erofs, .verity, .sign, .boot, .uki, .esp, .disk, .bundle]

    /// The stages a build for `target` runs, in order (a stage that has nothing to do, such as
    /// `drivers` for a tree without a kernel, is skipped when it comes).
    public static func stages(to target: StageName) -> [StageName] {
        if let index = treeStages.firstIndex(of: target) { return Array(treeStages[...index]) }
        if target == .rootfs { return treeStages + [.rootfs] }
        if let index = imageStages.firstIndex(of: target) { return treeStages + imageStages[...index] }
        return treeStages + imageStages
    }

    let options: Options
    let observer: BuildObserver

    public init(_ options: Options, observer: @escaping BuildObserver = { _ in }) {
        self.options = options
        self.observer = observer
    }

    var buildsImage: Bool { Self.imageStages.contains(options.target) }
    /// Whether the build writes into `options.output` (the tar or the image, and the report).
    var writesOutputs: Bool { buildsImage || options.target == .rootfs }

    public func run() async throws -> Result {
        let plan = Self.stages(to: options.target)
        let (manifest, kernelFile) = try loadManifest()
        // Checked before the long stages run, as the output directory, the key and the init
        // are: a wrong one fails in the first second.
        if writesOutputs { try prepareOutput(manifest) }
        let signer = buildsImage ? try resolveSigner(options.image, manifest: manifest) : nil
        let initProgram = buildsImage && kernelFile?.package != nil ? try locateInit(options.image) : nil
        let agentProgram = buildsImage && kernelFile?.package != nil ? try locateAgent(options.image) : nil
        let store: ContentStore
        do {
            store = try ContentStore(root: options.cache)
        } catch {
            throw BuildError(stage: .cache, cause: error)
        }
        var state = TreeState(options: options, manifest: manifest, kernelFile: kernelFile, store: store, observer: observer)
        // Outputs are staged and renamed into place together at the end (`TreeState.finish`):
        // a build that fails leaves the previous outputs as they were.
        defer { state.outputs.discard() }
        var runner = StageRunner(observer: observer)

        if let tarball = manifest.base?.tarball {
            try await runner.run(TarballStage(tarball: tarball), on: &state)
        } else if let packages = manifest.packages {
            try await runner.run(ResolveStage(packages: packages), on: &state)
            guard plan.contains(.fetch) else { return state.stopped() }
            try await runner.run(FetchStage(), on: &state)
            guard plan.contains(.unpack) else { return state.stopped() }
            try await runner.run(UnpackStage(), on: &state)
        }
        state.startReport()
        try await runner.run(ConfigureStage(), on: &state)
        try await runner.run(OverlaysStage(), on: &state)
        try await runner.run(PruneStage(), on: &state)
        if state.hasKernel {
            try await runner.run(DriversStage(), on: &state)
        }
        if plan.contains(.tuning) {
            try await runner.run(TuningStage(), on: &state)
        }
        state.report.files = state.tree.count
        if plan.last == .drivers {
            state.report.stages = runner.timings
            return state.result()
        }
        if buildsImage {
            return try await buildImage(&state, runner: runner, signer: signer,
                                        programs: (initProgram, agentProgram))
        }
        try await runner.run(RootFSTarStage(), on: &state)
        state.report.stages = runner.timings
        return try state.finish()
    }

    private func buildImage(_ state: inout TreeState, runner: StageRunner, signer: SigningIdentity?,
                            programs: (initProgram: String?, agent: String?)) async throws -> Result {
        let boot = try state.kernel.map { kernel in
            try Self.bootInput(kernel: kernel, kernelFile: state.kernelFile, manifest: state.manifest,
                               initProgram: programs.initProgram ?? locateInit(options.image))
        }
        var image = try imageOptions(state, signer: signer)
        image.boot = boot
        if boot != nil { image.agentProgram = try programs.agent ?? locateAgent(options.image) }
        let built = try await ImageBuild(image, observer: observer)
            .run(tree: state.tree, store: state.store, runner: runner, outputs: state.outputs)
        state.report.disk = built.report
        state.tree = built.tree
        state.report.files = built.tree.count
        state.report.boot = built.boot
        // The root file system's size: the EROFS image, as the tar's size is for `rootfs`.
        state.report.rootfsBytes = built.report.fileSystem.bytes
        state.report.stages = built.stages
        var result = try state.finish(signer: signer)
        result.imagePath = built.report.path
        result.bundlePath = built.report.bundlePath
        return result
    }

    /// The manifest with its kernel file (whose package is resolved and locked with the rest).
    private func loadManifest() throws -> (manifest: Manifest, kernel: KernelFile?) {
        let root = try options.root.map { path in
            guard let root = ProjectRoot(directory: path) else {
                throw BuildError(stage: .manifest, "--root \(path) is not a directory; name the project folder (the one holding manifests/)")
            }
            return root
        }
        // Lint's rules, the path rules among them: nothing outside the project reaches the image.
        let loaded = ManifestLoader.load(path: options.manifest, root: root)
        let findings = (loaded.diagnostics + ManifestRules.check(loaded)).filter { $0.severity == .error }
        guard findings.isEmpty, let manifest = loaded.manifest else {
            throw BuildError(stage: .manifest, "\(options.manifest) has \(findings.count) error(s); `hostimg lint \(options.manifest)` lists them",
                             diagnostics: findings.sorted())
        }
        return (manifest, loaded.kernel)
    }

    static var environmentEpoch: Int64? {
        ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap { Int64($0) }
    }

    static func newestTime(in tree: FileTree) -> Int64 {
        tree.unorderedEntries.reduce(Int64(0)) { max($0, $1.node.mtime) }
    }

    /// `value` as report.json holds it: pretty-printed, sorted keys, a final newline.
    static func encodeJSON<T: Encodable>(_ value: T, for path: String) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            return Array(try encoder.encode(value)) + [0x0A]
        } catch {
            throw BuildError(stage: .report, "cannot encode \(path): \(error)")
        }
    }
}
