import Archive
import ContentStore
import Foundation

/// One decompressed `Packages` index, verified through the signed Release, in the store.
public struct PackagesIndex: Sendable, Hashable {
    public var component: String
    /// `amd64`, or `all` for a `binary-all` index.
    public var architecture: String
    /// "http://deb.debian.org/debian bookworm/main": where package stanzas came from, for the
    /// lock file and messages.
    public var origin: String
    /// The base URL `Filename:` fields in this index are relative to.
    public var baseURL: URL
    /// The decompressed Packages text.
    public var ref: ContentStore.Ref
    /// Where `ref` lives in the store.
    public var path: String
}

/// A source's verified Release plus the Packages indices fetched for it.
public struct RepositoryIndex: Sendable {
    public var source: AptSource
    public var release: ReleaseFile
    public var packages: [PackagesIndex]
}

/// Fetches and verifies the indices of APT sources: `InRelease` (always downloaded, checked
/// with gpgv, only the signed text used), then each component's Packages index, chosen and
/// checked against the Release's SHA256 list and cached in the content store — so a warm
/// cache costs one InRelease download per source.
public struct IndexFetcher: Sendable {
    public var downloader: Downloader
    public var verifier: SignatureVerifier
    public var architecture: String
    /// The clock `Valid-Until` is compared with (tests move it).
    public var now: @Sendable () -> Date

    public init(downloader: Downloader, verifier: SignatureVerifier = SignatureVerifier(),
                architecture: String = "amd64", now: @escaping @Sendable () -> Date = { Date() }) {
        self.downloader = downloader
        self.verifier = verifier
        self.architecture = architecture
        self.now = now
    }

    var store: ContentStore { downloader.store }

    public func fetch(_ sources: [AptSource],
                      progress: (@Sendable (DownloadEvent) -> Void)? = nil) async throws -> [RepositoryIndex] {
        var result: [RepositoryIndex] = []
        for source in sources { result.append(try await fetch(source, progress: progress)) }
        return result
    }

    /// Verified Release and Packages indices of one source. A source restricted to other
    /// architectures (`arch=arm64`) yields its Release and no indices.
    public func fetch(_ source: AptSource,
                      progress: (@Sendable (DownloadEvent) -> Void)? = nil) async throws -> RepositoryIndex {
        let release = try await verifiedRelease(source)
        guard source.architectures.isEmpty || source.architectures.contains(architecture) else {
            return RepositoryIndex(source: source, release: release, packages: [])
        }
        let releaseURL = source.inReleaseURL.absoluteString

        var architectures = [architecture]
        if release.needsBinaryAll { architectures.append("all") }
        var wanted: [(component: String, architecture: String, download: ReleaseFile.Entry,
                      uncompressed: ReleaseFile.Entry?)] = []
        for component in source.components {
            for arch in architectures {
                guard let index = release.packagesIndex(component: component, architecture: arch) else {
                    if arch == "all" { continue }  // a component may simply have no arch-all packages
                    let listed = release.sha256.keys.filter { $0.hasSuffix("/Packages.xz") || $0.hasSuffix("/Packages.gz") }
                    throw RepositoryError.indexNotListed(url: releaseURL, component: component,
                                                         architecture: arch, listed: listed.sorted())
                }
                wanted.append((component, arch, index.download, index.uncompressed))
            }
        }

        // Indices whose decompressed form is already stored need nothing at all.
        let missing = wanted.filter { item in !(item.uncompressed.map { store.contains(ref($0)) } ?? false) }
        let requests = missing.map { item in
            DownloadRequest(url: source.distsURL.appendingPathComponent(item.download.path),
                            sha256: item.download.sha256, size: item.download.size,
                            name: "\(source.origin)/\(item.download.path)")
        }
        _ = try await downloader.fetch(files: requests, progress: progress)

        var packages: [PackagesIndex] = []
        for item in wanted {
            let url = source.distsURL.appendingPathComponent(item.download.path).absoluteString
            let plain = try decompressed(item.download, uncompressed: item.uncompressed, url: url)
            packages.append(PackagesIndex(component: item.component, architecture: item.architecture,
                                          origin: source.origin(component: item.component), baseURL: source.baseURL,
                                          ref: plain, path: store.path(for: plain)))
        }
        return RepositoryIndex(source: source, release: release, packages: packages)
    }

    /// Downloads InRelease, verifies it and parses only the signed text.
    public func verifiedRelease(_ source: AptSource) async throws -> ReleaseFile {
        let url = source.inReleaseURL
        let signed = try await downloader.fetchUnverified(url, name: "InRelease of \(source.origin)")
        let text = try verifier.verify(signed, from: url.absoluteString, keyring: source.keyring)
        let release = try ReleaseFile(text, url: url.absoluteString)
        try release.checkValidity(now: now(), url: url.absoluteString)
        let names = [release.suite, release.codename].compactMap { $0 }
        if !names.isEmpty && !names.contains(source.suite) {
            throw RepositoryError.invalidRelease(
                url: url.absoluteString,
                reason: "it is for \(names.joined(separator: "/")), not \(source.suite); "
                    + "the mirror serves a different distribution than the source names")
        }
        return release
    }

    func ref(_ entry: ReleaseFile.Entry) -> ContentStore.Ref {
        ContentStore.Ref(sha256: entry.sha256, size: entry.size)
    }

    /// The stored, decompressed index: decompresses the downloaded file through libarchive
    /// (xz, gz) into the store, checked against the uncompressed entry when the Release lists
    /// one. Streams in 64 KiB chunks.
    func decompressed(_ download: ReleaseFile.Entry, uncompressed: ReleaseFile.Entry?,
                      url: String) throws -> ContentStore.Ref {
        if let uncompressed, store.contains(ref(uncompressed)) { return ref(uncompressed) }
        let compressed = ref(download)
        if !download.path.hasSuffix(".xz") && !download.path.hasSuffix(".gz") { return compressed }
        do {
            let reader = try ArchiveReader(path: store.path(for: compressed), formats: [.raw])
            guard try reader.nextEntry() != nil else {
                throw RepositoryError.decompression(url: url, detail: "no data in the compressed stream")
            }
            return try store.put(expecting: uncompressed.map(ref), what: "\(url) (decompressed)") { write in
                try reader.readData { chunk in try write([UInt8](chunk)) }
            }
        } catch let error as ArchiveError {
            throw RepositoryError.decompression(url: url, detail: error.description)
        } catch let error as ContentStore.StoreError {
            throw RepositoryError.integrity(url: url, name: "decompressed Packages", detail: error.description)
        }
    }
}

extension PackagesIndex {
    /// The whole decompressed index (tens of MB for Debian main; prefer `path` for streaming).
    public func contents(in store: ContentStore) throws -> [UInt8] {
        try store.read(ref)
    }
}
