import ContentStore
import Debian
import Drivers
import FileTree
import Foundation
import Manifests
import RootFS
import SBOM

/// What the tree stages (resolve … drivers, rootfs) read and write as the build goes on.
struct TreeState {
    let options: Pipeline.Options
    let manifest: Manifest
    let kernelFile: KernelFile?
    let store: ContentStore
    let observer: BuildObserver
    /// The build's outputs, under temporary names until `finish` renames them into place.
    let outputs = StagedOutputs()

    var tree = FileTree()
    var lock: LockFile?
    var lockPath: String?
    var debs: [(name: String, path: String)] = []
    var installed: [InstalledPackage] = []
    var conflicts: [PathConflict] = []
    var report = BuildReport(image: "", version: "", sourceDateEpoch: 0)
    /// The staged kernel once the drivers stage ran.
    var kernel: Drivers.Kernel?
    var tarPath: String?
    /// Each package's declared license, read before the prune removes the copyright files.
    var licenses: [String: DebianCopyright.Declared] = [:]

    init(options: Pipeline.Options, manifest: Manifest, kernelFile: KernelFile?, store: ContentStore,
         observer: @escaping BuildObserver) {
        self.options = options
        self.manifest = manifest
        self.kernelFile = kernelFile
        self.store = store
        self.observer = observer
    }

    var name: String { manifest.image.name?.value ?? "image" }

    /// True when the tree carries a kernel's modules (the kernel file's package).
    var hasKernel: Bool { !tree.children(of: "/usr/lib/modules").isEmpty }

    /// The report's header once the tree's packages are in: its epoch comes from the tree.
    mutating func startReport() {
        let epoch = options.sourceDateEpoch ?? Pipeline.environmentEpoch ?? Pipeline.newestTime(in: tree)
        report = BuildReport(image: name, version: manifest.image.version?.value ?? "", sourceDateEpoch: epoch)
        let reasons = Dictionary((lock?.entries ?? []).map { ($0.package, $0.selectedBy) }, uniquingKeysWith: { a, _ in a })
        report.packages = installed.map {
            BuildReport.Package(name: $0.name, version: $0.version, architecture: $0.architecture, selectedBy: reasons[$0.name] ?? "")
        }
        report.conflicts = conflicts.map { BuildReport.Conflict(path: $0.path, packages: $0.packages) }
    }

    /// A build that stopped after `resolve` or `fetch`: only the lock was written.
    func stopped() -> Pipeline.Result {
        Pipeline.Result(tree: tree, packages: [], report: BuildReport(image: "", version: "", sourceDateEpoch: 0),
                        tarPath: nil, reportPath: nil, lockPath: lockPath)
    }

    /// The result without writing anything (`target: .drivers`).
    func result(reportPath: String? = nil) -> Pipeline.Result {
        Pipeline.Result(tree: tree, packages: installed, report: report, tarPath: tarPath, reportPath: reportPath,
                        lockPath: lockPath)
    }

    /// Writes the SBOM, the provenance (signed builds), `report.json`, renames every output
    /// into place and returns the result.
    func finish(signer: SigningIdentity? = nil) throws -> Pipeline.Result {
        let reportPath = options.output + "/report.json"
        do {
            try outputs.write(options.output + "/\(name).spdx.json", bytes: try sbomBytes())
        } catch {
            throw BuildError(stage: .sbom, cause: error)
        }
        if let signer {
            do {
                try outputs.write(options.output + "/\(name).provenance.json", bytes: try provenanceBytes(signer: signer))
            } catch {
                throw BuildError(stage: .provenance, cause: error)
            }
        }
        do {
            try outputs.write(reportPath, bytes: try Pipeline.encodeJSON(report, for: reportPath))
            try outputs.commit()
        } catch let error as BuildError {
            throw error
        } catch {
            throw BuildError(stage: .report, cause: error)
        }
        return result(reportPath: reportPath)
    }
}
