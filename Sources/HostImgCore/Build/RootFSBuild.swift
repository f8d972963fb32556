import ContentStore
import Configure
import Debian
import Drivers
import FileTree
import Foundation
import Prune
import Repository
import RootFS

/// The rootfs stage (ARCHITECTURE.md, "The build pipeline"): manifest → resolve → lock →
/// fetch → unpack → configure → overlays → prune → a deterministic tar and a report.
/// Nothing runs as root, nothing from the packages is executed, nothing is extracted onto the
/// builder's file system: the tree lives in memory, file contents in the content store.
public struct RootFSBuild {
    public struct Options: Sendable {
        public var manifest: String
        /// Where `rootfs.tar` and `report.json` go (created if missing).
        public var output: String
        public var cache: String
        /// Use `hostimg.lock` as it is; fail if the manifest no longer matches it.
        public var locked: Bool
        /// The builder's apt configuration, for manifests that name no repository.
        public var aptDirectory: String
        /// File times in the tar; default: SOURCE_DATE_EPOCH, else the newest file time the
        /// locked packages carry (so the same lock always gives the same bytes).
        public var sourceDateEpoch: Int64?
        public var downloadParallelism: Int
        /// Stop after pinning (`resolve`) or after downloading (`fetch`); nil runs to the tar.
        public var stopAfter: StopPoint?
        /// The lock file; default `NAME.lock` beside the manifest `NAME.yaml`.
        public var lockPath: String?

        public enum StopPoint: Sendable { case resolve, fetch }

        /// Go on past the tree to the disk image and bundle (issue 4) instead of writing
        /// `rootfs.tar`.
        public var image: ImageRequest?
        /// Stop after the driver stage and write only report.json (`hostimg explain`).
        public var treeOnly = false

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

    let options: Options
    let observer: BuildObserver

    public init(_ options: Options, observer: @escaping BuildObserver = { _ in }) {
        self.options = options
        self.observer = observer
    }

    public func run() async throws -> Result {
        let loaded = try loadManifest()
        let manifest = loaded.manifest
        let kernelPackage = loaded.kernel?.package?.value
        let signer = try options.image.flatMap { try resolveSigner($0, manifest: manifest) }
        // A kernel means a boot stage, which needs the init program: fail now, not after unpacking.
        let initProgram = try options.image.flatMap { request in
            try kernelPackage.map { _ in try locateInit(request) }
        }
        let store: ContentStore
        do {
            store = try ContentStore(root: options.cache)
        } catch {
            throw BuildError(stage: "cache", "\(error)")
        }
        let name = manifest.image.name?.value ?? "image"
        var timings: [BuildReport.Stage] = []
        var tree = FileTree()
        var installed: [InstalledPackage] = []
        var lockPath: String?
        var lockedEntries: [LockFile.Entry] = []
        var conflicts: [PathConflict] = []

        if let tarball = manifest.base?.tarball {
            let path = ManifestLoader.resolve(tarball.value, relativeTo: tarball.location.file)
            tree = try await stage("unpack", &timings) {
                do {
                    return (try TarballSource.read(path, store: store), "base tarball \(path)")
                } catch {
                    throw BuildError(stage: "unpack", "\(error)")
                }
            }
        } else if let packages = manifest.packages {
            let packageStage = PackageStage(options: options, store: store, observer: observer)
            let lock = try await stage("resolve", &timings) {
                let (lock, path) = try await packageStage.lock(for: packages, manifest: manifest, kernelPackage: kernelPackage)
                return ((lock, path), "\(lock.entries.count) packages locked in \(path)")
            }
            lockPath = lock.1
            lockedEntries = lock.0.entries
            if options.stopAfter == .resolve { return stopped(tree, lockPath: lockPath) }
            let debs = try await stage("fetch", &timings) {
                let debs = try await packageStage.fetch(lock.0.entries)
                let bytes = lock.0.entries.reduce(UInt64(0)) { $0 + UInt64($1.size) }
                return (debs, "\(debs.count) packages, \(Size.describe(bytes))")
            }
            if options.stopAfter == .fetch { return stopped(tree, lockPath: lockPath) }
            (installed, conflicts) = try await stage("unpack", &timings) {
                var unpacked = MergedUsr.baseTree()
                do {
                    let result = try await unpackAll(debs: debs, into: &unpacked, store: store)
                    tree = unpacked
                    return (result, "\(result.packages.count) packages, \(unpacked.count) paths, \(result.conflicts.count) shared paths")
                } catch {
                    throw BuildError(stage: "unpack", "\(error)")
                }
            }
            for conflict in conflicts {
                observer(.warning("\(conflict.path) is shipped by \(conflict.packages.joined(separator: " and ")); the last one's file is kept"))
            }
        }

        let epoch = options.sourceDateEpoch ?? Self.environmentEpoch ?? Self.newestTime(in: tree)
        var report = BuildReport(image: name, version: manifest.image.version?.value ?? "", sourceDateEpoch: epoch)
        let reasons = Dictionary(lockedEntries.map { ($0.package, $0.selectedBy) }, uniquingKeysWith: { a, _ in a })
        report.packages = installed.map {
            BuildReport.Package(name: $0.name, version: $0.version, architecture: $0.architecture, selectedBy: reasons[$0.name] ?? "")
        }
        report.conflicts = conflicts.map { BuildReport.Conflict(path: $0.path, packages: $0.packages) }

        let configureReport = try await stage("configure", &timings) {
            let options = Configure.Options(
                enableUnits: manifest.services.enable.map(\.value),
                defaultTarget: manifest.services.defaultTarget?.value ?? Manifest.Services.defaultTargetName,
                imageID: name, imageVersion: manifest.image.version?.value,
                enablePackageUnits: !installed.isEmpty)
            do {
                let result = try Configure.run(tree: &tree, store: store, packages: installed, options: options)
                return (result, "\(result.usersCreated.count) users, \(result.libraries) libraries in ld.so.cache, \(result.unitLinks.count) unit links, \(result.alternatives.count) alternatives")
            } catch {
                throw BuildError(stage: "configure", "\(error)")
            }
        }
        report.record(configureReport)

        try await stage("overlays", &timings) {
            var paths = 0
            for overlay in manifest.overlays {
                let directory = ManifestLoader.resolve(overlay.value, relativeTo: overlay.location.file)
                do {
                    paths += try Overlay.apply(directory: directory, to: &tree, store: store).count
                } catch {
                    throw BuildError(stage: "overlays", "\(error)")
                }
            }
            return ((), "\(manifest.overlays.count) overlays, \(paths) paths")
        }

        report.pruned = try await stage("prune", &timings) {
            let options = Pruner.Options(keepLocales: manifest.locales.keep.map(\.value), docs: manifest.strip.docs,
                                         man: manifest.strip.man, foreignArch: manifest.strip.foreignArch)
            do {
                let pruned = try Pruner(store: store).run(options, on: &tree)
                return (pruned, "\(pruned.entries.count) paths, \(Size.describe(pruned.totalBytes)) removed")
            } catch {
                throw BuildError(stage: "prune", "\(error)")
            }
        }

        var kernel: Drivers.Kernel?
        if Self.hasKernel(tree) {
            let work = options.output + "/.hostimg-drivers-\(getpid())"
            let request = Self.driverRequest(manifest, kernel: loaded.kernel)
            let (drivers, handle) = try await stage("drivers", &timings) {
                defer { try? FileManager.default.removeItem(atPath: work) }
                do {
                    try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
                    let (drivers, handle) = try Drivers.prune(tree: &tree, store: store, request: request, workDirectory: work)
                    return ((drivers, handle), "kernel \(drivers.kernelVersion): \(drivers.modulesAfter) of \(drivers.modulesBefore) modules kept, \(Size.describe(drivers.bytesBefore - drivers.bytesAfter)) removed")
                } catch let error as BuildError {
                    throw error
                } catch {
                    throw BuildError(stage: "drivers", "\(error)")
                }
            }
            report.drivers = drivers
            kernel = handle
        }

        if options.treeOnly {
            report.files = tree.count
            report.stages = timings
            return Result(tree: tree, packages: installed, report: report, tarPath: nil, reportPath: nil, lockPath: lockPath)
        }

        if let request = options.image {
            report.files = tree.count
            let boot = try kernel.map { kernel in
                try Self.bootInput(kernel: kernel, kernelFile: loaded.kernel, manifest: manifest,
                                   initProgram: try initProgram ?? locateInit(request))
            }
            let image = try buildImage(request, signer: signer, boot: boot, tree: tree, store: store, manifest: manifest, epoch: epoch)
            report.disk = image.report
            report.boot = image.boot
            report.stages = timings + image.stages
            let reportPath = options.output + "/report.json"
            try Self.writeJSON(report, to: reportPath)
            return Result(tree: tree, packages: installed, report: report, tarPath: nil, reportPath: reportPath,
                          lockPath: lockPath, imagePath: image.report.path, bundlePath: image.report.bundlePath)
        }

        let tarPath = options.output + "/rootfs.tar"
        let summary = try await stage("rootfs", &timings) {
            do {
                try FileManager.default.createDirectory(atPath: options.output, withIntermediateDirectories: true)
            } catch {
                throw BuildError(stage: "rootfs", "cannot create \(options.output): \(error.localizedDescription)")
            }
            do {
                let summary = try DeterministicTar.write(tree, store: store, to: tarPath, sourceDateEpoch: epoch)
                return (summary, "\(tarPath): \(summary.entries) entries, \(Size.describe(summary.bytes))")
            } catch {
                throw BuildError(stage: "rootfs", "\(error)")
            }
        }
        report.files = summary.entries
        report.rootfsBytes = summary.bytes
        report.stages = timings
        let reportPath = options.output + "/report.json"
        try Self.writeJSON(report, to: reportPath)
        return Result(tree: tree, packages: installed, report: report, tarPath: tarPath, reportPath: reportPath, lockPath: lockPath)
    }

    // MARK: - Pieces

    private func stopped(_ tree: FileTree, lockPath: String?) -> Result {
        Result(tree: tree, packages: [], report: BuildReport(image: "", version: "", sourceDateEpoch: 0),
               tarPath: nil, reportPath: nil, lockPath: lockPath)
    }

    /// The manifest with its kernel file (whose package is resolved and locked with the rest).
    private func loadManifest() throws -> (manifest: Manifest, kernel: KernelFile?) {
        let loaded = ManifestLoader.load(path: options.manifest)
        let findings = (loaded.diagnostics + ManifestRules.check(loaded)).filter { $0.severity == .error }
        guard findings.isEmpty, let manifest = loaded.manifest else {
            throw BuildError(stage: "manifest", "\(options.manifest) has \(findings.count) error(s); `hostimg lint \(options.manifest)` lists them",
                             diagnostics: findings.sorted())
        }
        return (manifest, loaded.kernel)
    }

    /// Runs one stage, timing it and telling the observer.
    private func stage<T>(_ name: String, _ timings: inout [BuildReport.Stage],
                          _ body: () async throws -> (T, String)) async throws -> T {
        observer(.stageStarted(name))
        let clock = ContinuousClock()
        let start = clock.now
        let (value, summary) = try await body()
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        timings.append(BuildReport.Stage(name: name, seconds: (seconds * 1000).rounded() / 1000, summary: summary))
        observer(.stageFinished(name, seconds: seconds, summary: summary))
        return value
    }

    static var environmentEpoch: Int64? {
        ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"].flatMap { Int64($0) }
    }

    static func newestTime(in tree: FileTree) -> Int64 {
        tree.unorderedEntries.reduce(Int64(0)) { max($0, $1.node.mtime) }
    }

    static func writeJSON<T: Encodable>(_ value: T, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            var data = try encoder.encode(value)
            data.append(0x0A)
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw BuildError(stage: "report", "cannot write \(path): \(error.localizedDescription)")
        }
    }
}
