import ContentStore
import Foundation
@testable import Repository
import Testing
import TestSupport

@Suite(repositoryTools) struct DownloaderTests {
    @Test func downloadsVerifiesAndReportsProgress() async throws {
        let repo = try LocalRepository()
        let store = try TestStore()
        let log = EventLog()
        let refs = try await store.downloader().fetch(files: repo.requests(), progress: log.record)
        #expect(refs.map(\.sha256) == repo.debs.map(\.sha256))
        for (ref, deb) in zip(refs, repo.debs) {
            #expect(try store.store.read(ref) == [UInt8](Data(contentsOf: URL(fileURLWithPath: deb.path))))
        }
        let total = repo.debs.reduce(0) { $0 + $1.size }
        #expect(log.events.contains(.progress(bytesDone: total, bytesTotal: total)))
        #expect(log.events.filter { if case .finished(_, _, false) = $0 { true } else { false } }.count == 3)

        // Everything cached: nothing transferred, each file reported as cached.
        let again = EventLog()
        _ = try await store.downloader().fetch(files: repo.requests(), progress: again.record)
        #expect(again.events.count == 3)
        #expect(again.events.allSatisfy { if case .finished(_, _, true) = $0 { true } else { false } })
    }

    @Test(loopbackPython) func downloadsOverHTTPWithBoundedParallelism() async throws {
        let repo = try LocalRepository()
        let server = try LoopbackServer.files(repo.root)
        defer { server.stop() }
        let store = try TestStore()
        var downloader = store.downloader()
        downloader.parallelism = 1
        let tuples = repo.requests(baseURL: server.baseURL).map { (url: $0.url, sha256: $0.sha256, size: $0.size, name: $0.name) }
        let refs = try await downloader.fetch(files: tuples)
        #expect(refs.count == 3)
        #expect(store.objects.count == 3)
        #expect(store.temporaries.isEmpty)
    }

    @Test func refusesADebWithTheWrongHashAndStoresNothing() async throws {
        let repo = try LocalRepository()
        let store = try TestStore()
        var requests = repo.requests()
        requests[0].sha256 = String(repeating: "0", count: 64)
        let error = await repositoryError { _ = try await store.downloader().fetch(files: [requests[0]]) }
        guard case .integrity(let url, let name, _)? = error else {
            Issue.record("expected .integrity, got \(String(describing: error))")
            return
        }
        #expect(name == "hello_1.0-1_amd64.deb")
        #expect(url == requests[0].url.absoluteString)
        #expect(error?.description.contains("hello_1.0-1_amd64.deb") == true)
        #expect(store.objects.isEmpty)
        #expect(store.temporaries.isEmpty)
    }

    @Test func refusesAFileLargerThanListed() async throws {
        let repo = try LocalRepository()
        let store = try TestStore()
        var request = repo.requests()[1]
        request.size -= 1
        let error = await repositoryError { _ = try await store.downloader().fetch(files: [request]) }
        #expect(error?.description.contains("hostimg-data") == true)
        #expect(store.objects.isEmpty && store.temporaries.isEmpty)
    }

    @Test(loopbackPython) func anInterruptedDownloadLeavesNothingBehind() async throws {
        let server = try LoopbackServer.truncating(declared: 200_000, sent: 50_000)
        defer { server.stop() }
        let store = try TestStore()
        let request = DownloadRequest(url: server.baseURL.appendingPathComponent("pool/big.deb"),
                                      sha256: String(repeating: "a", count: 64), size: 200_000, name: "big.deb")
        let error = await repositoryError { _ = try await store.downloader(retries: 1).fetch(files: [request]) }
        #expect(error?.description.contains("big.deb") == true)
        #expect(error?.description.contains(request.url.absoluteString) == true)
        #expect(store.objects.isEmpty)
        #expect(store.temporaries.isEmpty)
    }

    @Test(loopbackPython) func aMissingFileIsAnHTTPError() async throws {
        let repo = try LocalRepository()
        let server = try LoopbackServer.files(repo.root)
        defer { server.stop() }
        let store = try TestStore()
        let request = DownloadRequest(url: server.baseURL.appendingPathComponent("pool/absent.deb"),
                                      sha256: String(repeating: "a", count: 64), size: 1, name: "absent.deb")
        let error = await repositoryError { _ = try await store.downloader().fetch(files: [request]) }
        guard case .httpStatus(_, 404, "absent.deb")? = error else {
            Issue.record("expected HTTP 404, got \(String(describing: error))")
            return
        }
    }
}

@Suite struct MirrorTests {
    static let enabled = ProcessInfo.processInfo.environment["HOSTIMG_NETWORK_TESTS"] == "1"
    static let keyring = "/usr/share/keyrings/debian-archive-keyring.gpg"

    @Test(.enabled(if: enabled, "set HOSTIMG_NETWORK_TESTS=1 to test against deb.debian.org (make e2e does)"),
          .enabled(if: FileManager.default.fileExists(atPath: keyring), "needs debian-archive-keyring"))
    func debianBookworm() async throws {
        let store = try TestStore()
        let fetcher = store.fetcher()
        let bookworm = try AptSource(url: "http://deb.debian.org/debian", suite: "bookworm",
                                     components: ["main"], keyring: Self.keyring)
        let release = try await fetcher.verifiedRelease(bookworm)
        #expect(release.codename == "bookworm")
        #expect(release.packagesIndex(component: "main", architecture: "amd64") != nil)

        let updates = try AptSource(url: "http://deb.debian.org/debian", suite: "bookworm-updates",
                                    components: ["main"], keyring: Self.keyring)
        let index = try await fetcher.fetch(updates)
        #expect(index.packages.map(\.origin) == ["http://deb.debian.org/debian bookworm-updates/main"])
        let text = String(decoding: try index.packages[0].contents(in: store.store), as: UTF8.self)
        #expect(text.hasPrefix("Package: "))
    }
}
