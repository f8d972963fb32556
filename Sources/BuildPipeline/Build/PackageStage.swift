import Manifests
import ContentStore
import Debian
import Foundation
import Repository

/// Resolve and fetch: the repository client and resolver behind the rootfs stage.
struct PackageStage {
    let options: Pipeline.Options
    let store: ContentStore
    let observer: BuildObserver

    var downloader: Downloader { Downloader(store: store, parallelism: options.downloadParallelism) }

    /// The manifest's repository, or the builder's own apt sources.
    func sources(for packages: Manifest.Packages) throws -> [AptSource] {
        if let repository = packages.repository, let url = repository.url, let suite = repository.suite,
           let keyring = repository.keyring {
            let keyringPath = ManifestLoader.resolve(keyring.value, relativeTo: keyring.location.file)
            do {
                return [try AptSource(url: url.value, suite: suite.value, components: repository.components.map(\.value),
                                      keyring: keyringPath)]
            } catch {
                throw BuildError(stage: .resolve, cause: error, context: "\(url.location)")
            }
        }
        let sources: [AptSource]
        do {
            sources = try AptConfiguration.sources(aptDirectory: options.aptDirectory)
        } catch {
            throw BuildError(stage: .resolve, cause: error, context: "cannot read the builder's apt sources")
        }
        guard !sources.isEmpty else {
            throw BuildError(stage: .resolve, "\(options.aptDirectory) lists no deb sources; add `packages.repository` to the manifest")
        }
        return sources
    }

    /// The lock beside the manifest: `manifests/qemu-dev.yaml` → `manifests/qemu-dev.lock`.
    /// (One `hostimg.lock` per folder would make two manifests in one folder overwrite each
    /// other's pins.)
    static func lockPath(for manifestPath: String) -> String {
        let name = (manifestPath as NSString).lastPathComponent
        let stem = name.hasSuffix(".yaml") ? String(name.dropLast(5)) : name.hasSuffix(".yml") ? String(name.dropLast(4)) : name
        return ManifestLoader.resolve(stem + ".lock", relativeTo: manifestPath)
    }

    /// The lock beside the manifest: read it (`--locked`) or resolve and write it.
    /// The kernel file's package is one more `include`: resolved, pinned and fetched like any other.
    func lock(for packages: Manifest.Packages, manifest: Manifest, kernelPackage: String?) async throws -> (LockFile, String) {
        let lockPath = options.lockPath ?? Self.lockPath(for: manifest.file)
        let sources = try sources(for: packages)
        var include = packages.include.map(\.value)
        if let kernelPackage, !include.contains(kernelPackage) { include.append(kernelPackage) }
        let request = LockFile.Request(
            include: include, exclude: packages.exclude.map(\.value),
            essential: packages.essential?.value ?? true,
            repositories: sources.flatMap { source in source.components.map { source.origin(component: $0) } })
        if options.locked {
            guard let text = try? String(contentsOfFile: lockPath, encoding: .utf8) else {
                throw BuildError(stage: .resolve, "--locked: \(lockPath) does not exist; run once without --locked to create it")
            }
            do {
                let lock = try LockFile(parsing: text)
                try lock.check(matches: request)
                return (lock, lockPath)
            } catch {
                throw BuildError(stage: .resolve, cause: error, context: "--locked: \(lockPath)")
            }
        }
        let fetcher = IndexFetcher(downloader: downloader)
        let indices: [RepositoryIndex]
        do {
            indices = try await fetcher.fetch(sources) { event in self.report(event, stage: .resolve) }
        } catch {
            throw BuildError(stage: .resolve, cause: error)
        }
        var index = PackageIndex()
        do {
            for repository in indices {
                for packagesIndex in repository.packages {
                    let data = try Data(contentsOf: URL(fileURLWithPath: packagesIndex.path))
                    try index.add(packagesFile: data, origin: packagesIndex.origin)
                }
            }
        } catch {
            throw BuildError(stage: .resolve, cause: error, context: "reading the package indices")
        }
        let resolution: Resolver.Resolution
        do {
            resolution = try Resolver.resolve(
                Resolver.Request(include: request.include, exclude: request.exclude, essential: request.essential), in: index)
        } catch {
            throw BuildError(stage: .resolve, cause: error)
        }
        let lock = LockFile(request: request, resolution: resolution)
        do {
            let text = try lock.serialized()
            if (try? String(contentsOfFile: lockPath, encoding: .utf8)) != text {
                try Data(text.utf8).write(to: URL(fileURLWithPath: lockPath), options: .atomic)
            }
        } catch {
            throw BuildError(stage: .resolve, "cannot write \(lockPath): \(error.localizedDescription)")
        }
        return (lock, lockPath)
    }

    /// Every locked .deb in the content store, verified; returns (name, path) in lock order.
    func fetch(_ entries: [LockFile.Entry]) async throws -> [(name: String, path: String)] {
        var requests: [DownloadRequest] = []
        for entry in entries {
            let base = entry.origin.hasSuffix("/") ? entry.origin : entry.origin + "/"
            guard let url = URL(string: base + entry.filename) else {
                throw BuildError(stage: .fetch, "\(entry.package): '\(base + entry.filename)' is not a URL")
            }
            requests.append(DownloadRequest(url: url, sha256: entry.sha256, size: UInt64(entry.size),
                                            name: "\(entry.package)_\(entry.version)_\(entry.architecture).deb"))
        }
        let refs: [ContentStore.Ref]
        do {
            refs = try await downloader.fetch(files: requests) { event in self.report(event, stage: .fetch) }
        } catch {
            throw BuildError(stage: .fetch, cause: error)
        }
        return zip(requests, refs).map { (name: $0.name, path: store.path(for: $1)) }
    }

    private func report(_ event: DownloadEvent, stage: StageName) {
        if case let .progress(done, total) = event {
            observer(.progress(stage: stage, done: done, total: total, unit: .bytes))
        }
    }
}
