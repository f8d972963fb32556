import ContentStore
import Foundation
@testable import Repository
import Testing
import TestSupport

/// Skips a test that needs the repository-building tools, naming the missing ones.
let repositoryTools = ConditionTrait.enabled(
    if: LocalRepository.missingTools.isEmpty,
    "needs \(LocalRepository.missingTools.joined(separator: ", ")) to build a signed test repository")

let loopbackPython = ConditionTrait.enabled(
    if: LoopbackServer.python != nil, "needs python3 for a loopback HTTP server")

/// A fresh content store in its own scratch directory.
struct TestStore {
    let scratch: ScratchDirectory
    let store: ContentStore

    init() throws {
        scratch = try ScratchDirectory()
        store = try ContentStore(root: scratch.path("store"))
    }

    /// Every object file in the store.
    var objects: [String] {
        let base = store.root + "/objects/sha256"
        let enumerator = FileManager.default.enumerator(atPath: base)
        var files: [String] = []
        while let item = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: base + "/" + item, isDirectory: &isDirectory), !isDirectory.boolValue {
                files.append(item)
            }
        }
        return files
    }

    /// Files left in the store's temporary directory.
    var temporaries: [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: store.root + "/tmp")) ?? []
    }

    func downloader(retries: Int = 2) -> Downloader {
        Downloader(store: store, parallelism: 3, retries: retries, retryDelay: .milliseconds(20), timeout: 10)
    }

    func fetcher(now: Date = Date()) -> IndexFetcher {
        IndexFetcher(downloader: downloader(), now: { now })
    }
}

extension LocalRepository {
    func source(baseURL: URL? = nil, keyring: String? = nil) -> AptSource {
        AptSource(baseURL: baseURL ?? rootURL, suite: Self.suite, components: ["main"],
                  keyring: .files([keyring ?? self.keyring]))
    }

    func requests(baseURL: URL? = nil) -> [DownloadRequest] {
        debs.map { deb in
            DownloadRequest(url: (baseURL ?? rootURL).appendingPathComponent(deb.filename),
                            sha256: deb.sha256, size: deb.size, name: "\(deb.name)_1.0-1_\(deb.architecture).deb")
        }
    }
}

/// Collects progress events from any thread.
final class EventLog: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [DownloadEvent] = []
    var events: [DownloadEvent] { lock.withLock { storage } }
    func record(_ event: DownloadEvent) { lock.withLock { storage.append(event) } }
}

/// Runs `body` and returns the RepositoryError it throws (failing the test otherwise).
func repositoryError(_ body: () async throws -> Void,
                     sourceLocation: SourceLocation = #_sourceLocation) async -> RepositoryError? {
    do {
        try await body()
        Issue.record("expected a RepositoryError, but the call succeeded", sourceLocation: sourceLocation)
    } catch let error as RepositoryError {
        return error
    } catch {
        Issue.record("expected a RepositoryError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}
