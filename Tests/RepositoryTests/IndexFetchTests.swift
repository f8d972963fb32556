import ContentStore
import Foundation
@testable import Repository
import Testing
import TestSupport

@Suite(repositoryTools) struct IndexFetchTests {
    @Test func fetchesVerifiedIndicesFromAFileURL() async throws {
        let repo = try LocalRepository()
        let store = try TestStore()
        let index = try await store.fetcher().fetch(repo.source())
        #expect(index.release.suite == "testing")
        #expect(index.release.needsBinaryAll)
        #expect(index.packages.map(\.architecture) == ["amd64", "all"])
        let origin = "\(repo.rootURL.absoluteString.dropLast()) testing/main"
        #expect(index.packages.allSatisfy { $0.origin == origin })

        let amd64 = String(decoding: try index.packages[0].contents(in: store.store), as: UTF8.self)
        let expected = try String(contentsOfFile: repo.dists + "/main/binary-amd64/Packages", encoding: .utf8)
        #expect(amd64 == expected)
        #expect(amd64.contains("Package: hello") && !amd64.contains("Package: hostimg-data"))
        let all = String(decoding: try index.packages[1].contents(in: store.store), as: UTF8.self)
        #expect(all.contains("Package: hostimg-data"))

        // Warm cache: with the index files gone from the mirror, only InRelease is needed.
        try FileManager.default.removeItem(atPath: repo.dists + "/main/binary-amd64/Packages.xz")
        try FileManager.default.removeItem(atPath: repo.dists + "/main/binary-all/Packages.gz")
        let log = EventLog()
        let again = try await store.fetcher().fetch(repo.source(), progress: log.record)
        #expect(again.packages.map(\.ref) == index.packages.map(\.ref))
        #expect(log.events.isEmpty)
    }

    @Test(loopbackPython) func fetchesOverHTTP() async throws {
        let repo = try LocalRepository(noSupportForArchitectureAll: true)
        let server = try LoopbackServer.files(repo.root)
        defer { server.stop() }
        let store = try TestStore()
        let index = try await store.fetcher().fetch(repo.source(baseURL: server.baseURL))
        // No-Support-for-Architecture-all: binary-all is not fetched; arch-all packages are in amd64.
        #expect(index.packages.map(\.architecture) == ["amd64"])
        #expect(index.packages[0].origin == "http://127.0.0.1:\(server.port) testing/main")
        let text = String(decoding: try index.packages[0].contents(in: store.store), as: UTF8.self)
        #expect(text.contains("Package: hostimg-data"))
    }

    @Test func refusesAnUnsignedInRelease() async throws {
        let repo = try LocalRepository()
        try repo.replaceInReleaseWithUnsignedRelease()
        let store = try TestStore()
        let error = await repositoryError { _ = try await store.fetcher().fetch(repo.source()) }
        guard case .unsigned(let url)? = error else {
            Issue.record("expected .unsigned, got \(String(describing: error))")
            return
        }
        #expect(url.hasSuffix("/dists/testing/InRelease"))
        #expect(store.objects.isEmpty)
    }

    @Test func refusesASignatureByAnotherKey() async throws {
        let repo = try LocalRepository()
        let other = try ForeignKey()
        try repo.sign(home: other.home)
        let store = try TestStore()
        let error = await repositoryError { _ = try await store.fetcher().fetch(repo.source()) }
        guard case .unknownSigner(_, let keyring, _)? = error else {
            Issue.record("expected .unknownSigner, got \(String(describing: error))")
            return
        }
        #expect(keyring == repo.keyring)
        #expect(error?.description.contains("not in \(repo.keyring)") == true)
    }

    @Test func refusesATamperedSignedText() async throws {
        let repo = try LocalRepository()
        let path = repo.dists + "/InRelease"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "Suite: testing", with: "Suite: testinG")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let store = try TestStore()
        let error = await repositoryError { _ = try await store.fetcher().fetch(repo.source()) }
        guard case .badSignature? = error else {
            Issue.record("expected .badSignature, got \(String(describing: error))")
            return
        }
    }

    @Test func refusesAMissingKeyring() async throws {
        let repo = try LocalRepository()
        let store = try TestStore()
        let error = await repositoryError {
            _ = try await store.fetcher().fetch(repo.source(keyring: repo.scratch.path("absent.gpg")))
        }
        guard case .keyringMissing(let keyring, let url)? = error else {
            Issue.record("expected .keyringMissing, got \(String(describing: error))")
            return
        }
        #expect(keyring.hasSuffix("absent.gpg") && url.hasSuffix("InRelease"))
    }

    @Test func acceptsAnArmoredInlineKey() async throws {
        let repo = try LocalRepository()
        let armored = try LocalRepository.gpg(home: repo.gnupgHome, ["--armor", "--export"]).stdoutText
        var source = repo.source()
        source.keyring = .inline(armored: armored)
        let store = try TestStore()
        let index = try await store.fetcher().fetch(source)
        #expect(index.packages.count == 2)
    }

    @Test func refusesAnExpiredRelease() async throws {
        let repo = try LocalRepository(validUntil: Date().addingTimeInterval(-86400))
        let store = try TestStore()
        let error = await repositoryError { _ = try await store.fetcher().fetch(repo.source()) }
        guard case .expired(let url, _)? = error else {
            Issue.record("expected .expired, got \(String(describing: error))")
            return
        }
        #expect(url.hasSuffix("/dists/testing/InRelease"))
    }

    @Test func refusesATamperedPackagesIndexAndStoresNothingOfIt() async throws {
        let repo = try LocalRepository()
        let xz = repo.dists + "/main/binary-amd64/Packages.xz"
        // Same size, different bytes: only the hash can tell.
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: xz)))
        bytes[bytes.count / 2] ^= 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: xz))
        let (tamperedHash, _) = try LocalRepository.digest(xz)
        let store = try TestStore()
        let error = await repositoryError { _ = try await store.fetcher().fetch(repo.source()) }
        guard case .integrity(let url, _, let detail)? = error else {
            Issue.record("expected .integrity, got \(String(describing: error))")
            return
        }
        #expect(url.hasSuffix("/dists/testing/main/binary-amd64/Packages.xz"))
        #expect(detail.contains(tamperedHash))
        #expect(!store.objects.contains(tamperedHash))
        #expect(!store.objects.contains { $0.hasSuffix(tamperedHash) })
        #expect(store.temporaries.isEmpty)
    }

    @Test func refusesAComponentTheReleaseDoesNotList() async throws {
        let repo = try LocalRepository()
        var source = repo.source()
        source.components = ["contrib"]
        let store = try TestStore()
        let error = await repositoryError { _ = try await store.fetcher().fetch(source) }
        #expect(error?.description.contains("lists no Packages index for contrib/binary-amd64") == true)
    }
}
