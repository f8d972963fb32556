import Agent
import Crypto
import Foundation
import Testing
import TestSupport

/// The trust store the image's build baked in: every `*.pem` loads, in name order; anything
/// else (no directory, no certificate, a file that cannot be read or parsed) is its own error,
/// and one bad file fails the whole store: it fails closed.
@Suite struct TrustStoreTests {
    /// Two certificates per test process: generating keys is the slow part.
    static let pems: [String] = {
        do {
            return try ["trust store test A", "trust store test B"].map {
                try DevelopmentIdentity.generate(commonName: $0, validityDays: 1, keyType: .ecP256).certificatePEM
            }
        } catch {
            fatalError("cannot make a test certificate: \(error)")
        }
    }()

    /// Lives as long as the test (a suite instance per test).
    let scratch: ScratchDirectory
    let directory: String

    init() throws {
        scratch = try ScratchDirectory()
        directory = scratch.path("trust")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// `files` (name: contents) into the trust directory.
    func write(_ files: [String: String]) throws {
        for (name, text) in files {
            try text.write(toFile: directory + "/" + name, atomically: true, encoding: .utf8)
        }
    }

    static func failure(_ directory: String) throws -> TrustStoreError {
        try #require(throws: TrustStoreError.self) { try TrustStore.load(directory: directory) }
    }

    @Test func everyPemLoadsInNameOrder() throws {
        try write(["b.pem": Self.pems[1], "a.pem": Self.pems[0], "README": "not a certificate"])
        let store = try TrustStore.load(directory: directory)
        let expected = try Self.pems.map { try Certificate(pem: $0) }
        #expect(store.entries.map(\.file) == ["a.pem", "b.pem"])
        #expect(store.certificates.map(\.derBytes) == expected.map(\.derBytes))
        #expect(store.fingerprints == expected.map(\.sha256Fingerprint))
        #expect(store.fingerprints.allSatisfy { $0.count == 64 })
        #expect(store.description.hasPrefix("\(directory): 2 certificates: sha256 \(expected[0].sha256Fingerprint) ("), "\(store.description)")
        #expect(store.description.contains("trust store test B"), "\(store.description)")
    }

    @Test func aMissingDirectoryIsNoTrustStore() throws {
        let directory = scratch.path("usr/lib/hostimg/trust")
        let error = try Self.failure(directory)
        #expect(error == .missing(directory: directory))
        #expect("\(error)".contains("built unsigned"), "\(error)")
    }

    @Test func aDirectoryWithoutAPemIsNoTrustStore() throws {
        #expect(try Self.failure(directory) == .empty(directory: directory, others: []))
        try "x".write(toFile: directory + "/cert.crt", atomically: true, encoding: .utf8)
        let error = try Self.failure(directory)
        #expect(error == .empty(directory: directory, others: ["cert.crt"]))
        #expect("\(error)".contains("holds no *.pem certificate (it holds only cert.crt)"), "\(error)")
    }

    @Test func aFileInPlaceOfTheDirectoryIsRefused() throws {
        try write(["a.pem": Self.pems[0]])
        let error = try Self.failure(directory + "/a.pem")
        guard case let .unreadableDirectory(path, reason) = error else {
            Issue.record("expected an unreadable directory, got \(error)")
            return
        }
        #expect(path == directory + "/a.pem")
        #expect(reason.contains("Not a directory"), "\(reason)")
    }

    /// One bad file among good ones: the whole store is refused, naming the file.
    @Test func garbageBesideAGoodCertificateFailsTheWholeStore() throws {
        try write(["a.pem": Self.pems[0], "b.pem": "-----BEGIN CERTIFICATE-----\ngarbage\n"])
        let error = try Self.failure(directory)
        guard case let .notACertificate(path, reason) = error else {
            Issue.record("expected a parse failure, got \(error)")
            return
        }
        #expect(path == directory + "/b.pem")
        #expect(!reason.isEmpty)
    }

    @Test func aPemThatCannotBeReadIsRefused() throws {
        try write(["a.pem": Self.pems[0]])
        // A directory named like a certificate: listed, but not readable as a file (the tests
        // run as root, so a file without permissions would still be read).
        try FileManager.default.createDirectory(atPath: directory + "/b.pem", withIntermediateDirectories: false)
        let error = try Self.failure(directory)
        guard case let .unreadableFile(path, _) = error else {
            Issue.record("expected an unreadable file, got \(error)")
            return
        }
        #expect(path == directory + "/b.pem")
    }

    @Test func twoCertificatesInOneFileAreRefused() throws {
        try write(["both.pem": Self.pems[0] + Self.pems[1]])
        #expect(try Self.failure(directory) == .severalCertificates(path: directory + "/both.pem", count: 2))
    }

    /// Every refusal says the image has no usable trust store and that nothing is installed.
    @Test func everyErrorSaysItFailsClosed() {
        let errors: [TrustStoreError] = [
            .missing(directory: "/t"), .unreadableDirectory(directory: "/t", reason: "Permission denied"),
            .empty(directory: "/t", others: []), .unreadableFile(path: "/t/a.pem", reason: "Is a directory"),
            .notACertificate(path: "/t/a.pem", reason: "no start line"), .severalCertificates(path: "/t/a.pem", count: 3),
        ]
        for error in errors {
            let text = "\(error)"
            #expect(text.contains("/t"), "\(text)")
            #expect(text.contains("no usable trust store") && text.contains("nothing will be installed (fail closed)"), "\(text)")
        }
        #expect(Set(errors.map(\.problem)).count == errors.count, "each problem has its own message")
    }
}
