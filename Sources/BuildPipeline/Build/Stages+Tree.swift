import Configure
import ContentStore
import Debian
import Drivers
import FileTree
import Foundation
import Manifests
import Prune
import RootFS

/// `base.tarball`: a rootfs archive (mmdebstrap, docker export, buildroot) instead of packages.
struct TarballStage: BuildStage {
    static let name = StageName.unpack
    let tarball: Located<String>

    func run(_ state: inout TreeState) async throws -> String {
        let path = ManifestLoader.resolve(tarball.value, relativeTo: tarball.location.file)
        state.tree = try TarballSource.read(path, store: state.store)
        return "base tarball \(path)"
    }
}

/// Pins every package by version and SHA-256 into the lock (or checks the lock, `--locked`).
struct ResolveStage: BuildStage {
    static let name = StageName.resolve
    let packages: Manifest.Packages

    func run(_ state: inout TreeState) async throws -> String {
        let stage = PackageStage(options: state.options, store: state.store, observer: state.observer)
        let (lock, path) = try await stage.lock(for: packages, manifest: state.manifest,
                                                kernelPackage: state.kernelFile?.package?.value)
        state.lock = lock
        state.lockPath = path
        return "\(lock.entries.count) packages locked in \(path)"
    }
}

/// Downloads the locked packages into the content store, verified while they stream.
struct FetchStage: BuildStage {
    static let name = StageName.fetch

    func run(_ state: inout TreeState) async throws -> String {
        let entries = state.lock?.entries ?? []
        let stage = PackageStage(options: state.options, store: state.store, observer: state.observer)
        state.debs = try await stage.fetch(entries)
        let bytes = entries.reduce(UInt64(0)) { $0 + UInt64($1.size) }
        return "\(state.debs.count) packages, \(Size.describe(bytes))"
    }
}

/// Unpacks the .debs into the in-memory tree (merged /usr; nothing from them runs).
struct UnpackStage: BuildStage {
    static let name = StageName.unpack

    func run(_ state: inout TreeState) async throws -> String {
        var unpacked = MergedUsr.baseTree()
        let result = try await unpackAll(debs: state.debs, into: &unpacked, store: state.store)
        state.tree = unpacked
        state.installed = result.packages
        state.conflicts = result.conflicts
        state.recordLicenses()
        for conflict in result.conflicts {
            state.observer(.warning("\(conflict.path) is shipped by \(conflict.packages.joined(separator: " and ")); the last one's file is kept"))
        }
        return "\(result.packages.count) packages, \(unpacked.count) paths, \(result.conflicts.count) shared paths"
    }
}

/// Users and groups, ld.so.cache, units, os-release, alternatives, the dpkg database.
struct ConfigureStage: BuildStage {
    static let name = StageName.configure

    func run(_ state: inout TreeState) async throws -> String {
        let manifest = state.manifest
        var options = Configure.Options(
            enableUnits: manifest.services.enable.map(\.value),
            defaultTarget: manifest.services.defaultTarget?.value ?? Manifest.Services.defaultTargetName,
            imageID: state.name, imageVersion: manifest.image.version?.value,
            enablePackageUnits: !state.installed.isEmpty)
        // The agent reads it from the new slot's UKI (.osrel) before a VM-preserving switch:
        // a migration stream goes only from a QEMU to the same or a newer one.
        if let qemu = state.installed.first(where: { $0.name == "qemu-system-x86" }) {
            options.osReleaseExtras["HOSTIMG_QEMU_VERSION"] = qemu.version
        }
        let result = try Configure.run(tree: &state.tree, store: state.store, packages: state.installed, options: options)
        state.report.record(result)
        return "\(result.usersCreated.count) users, \(result.libraries) libraries in ld.so.cache, \(result.unitLinks.count) unit links, \(result.alternatives.count) alternatives"
    }
}

/// The manifest's overlay directories, on top of the configured tree.
struct OverlaysStage: BuildStage {
    static let name = StageName.overlays

    func run(_ state: inout TreeState) async throws -> String {
        var paths = 0
        for overlay in state.manifest.overlays {
            let directory = ManifestLoader.resolve(overlay.value, relativeTo: overlay.location.file)
            // Lint checked the path; the copier checks again where it reads (a link swapped in meanwhile).
            paths += try Overlay.apply(directory: directory, within: state.manifest.projectRoot, to: &state.tree,
                                       store: state.store).count
        }
        return "\(state.manifest.overlays.count) overlays, \(paths) paths"
    }
}

/// Locales outside the keep list, docs, man pages, foreign-architecture ELF objects.
struct PruneStage: BuildStage {
    static let name = StageName.prune

    func run(_ state: inout TreeState) async throws -> String {
        let strip = state.manifest.strip
        let options = Pruner.Options(keepLocales: state.manifest.locales.keep.map(\.value), docs: strip.docs,
                                     man: strip.man, foreignArch: strip.foreignArch)
        let pruned = try Pruner(store: state.store).run(options, on: &state.tree)
        state.report.pruned = pruned
        return "\(pruned.entries.count) paths, \(Size.describe(pruned.totalBytes)) removed"
    }
}

/// `--stage rootfs`: the tree as a deterministic tar (sorted, epoch times, numeric owners).
struct RootFSTarStage: BuildStage {
    static let name = StageName.rootfs

    func run(_ state: inout TreeState) async throws -> String {
        let output = state.options.output
        do {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        } catch {
            throw BuildError(stage: .rootfs, "cannot create \(output): \(error.localizedDescription)")
        }
        let tarPath = output + "/rootfs.tar"
        let summary = try DeterministicTar.write(state.tree, store: state.store, to: state.outputs.temporary(for: tarPath),
                                                 sourceDateEpoch: state.report.sourceDateEpoch)
        state.tarPath = tarPath
        state.report.files = summary.entries
        state.report.rootfsBytes = summary.bytes
        return "\(tarPath): \(summary.entries) entries, \(Size.describe(summary.bytes))"
    }
}
