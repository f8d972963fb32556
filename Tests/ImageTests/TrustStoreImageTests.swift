import ContentStore
import Crypto
import EROFS
import FileTree
import Foundation
import BuildPipeline
import Synchronization
import Testing
import TestSupport

/// The trust store the `host` stage bakes into the root: a signed build trusts its own
/// certificate, an unsigned one trusts nothing (its agent refuses every bundle), read back
/// from the EROFS image in slot A.
@Suite struct TrustStoreImageTests {
    static let trust = "/usr/lib/hostimg/trust"

    let fixture: ImageFixture
    /// Any file stands in for the agent program: the stage copies it.
    let agent: String

    init() throws {
        fixture = try ImageFixture(files: 20)
        agent = fixture.scratch.path("hostimg-agent")
        try Data("#!/bin/sh\nexit 0\n".utf8).write(to: URL(fileURLWithPath: agent))
    }

    struct Built {
        var result: ImageBuild.Result
        var options: ImageBuild.Options
        /// Slot A's root as the EROFS reader finds it in the image, its files in `store`.
        var root: FileTree
        var store: ContentStore
        var warnings: [String]

        var hostSummary: String { result.stages.first { $0.name == "host" }?.summary ?? "" }

        func bytes(_ path: String) throws -> [UInt8] {
            let ref = try #require(root[path]?.content, "\(path) is a regular file of the root")
            return try store.read(ref)
        }
    }

    func build(_ name: String, signer: SigningIdentity?,
               configure: (inout ImageBuild.Options) -> Void = { _ in }) async throws -> Built {
        var options = fixture.options(output: fixture.scratch.path(name), signer: signer)
        options.agentProgram = agent
        configure(&options)
        try FileManager.default.createDirectory(atPath: options.output, withIntermediateDirectories: true)
        let warnings = Mutex<[String]>([])
        let result = try await ImageBuild(options) { event in
            if case let .warning(text) = event { warnings.withLock { $0.append(text) } }
        }.run(tree: fixture.tree, store: fixture.store)
        let store = try ContentStore(root: fixture.scratch.path(name + "-read"))
        let root = try EROFS.Reader(path: options.imagePath, offset: result.report.partitions[1].offset).fileTree(store: store)
        return Built(result: result, options: options, root: root, store: store, warnings: warnings.withLock { $0 })
    }

    @Test func aSignedImageTrustsItsSigningCertificate() async throws {
        let (identity, generated) = ImageFixture.identity
        let built = try await build("signed", signer: identity)
        let fingerprint = identity.certificate.sha256Fingerprint
        let path = Self.trust + "/" + fingerprint + ".pem"
        #expect(built.root.children(of: Self.trust) == [path])
        let file = try #require(built.root[path])
        let directory = try #require(built.root[Self.trust])
        #expect(file.mode == 0o644 && file.uid == 0 && file.gid == 0)
        #expect(directory.isDirectory && directory.mode == 0o755)
        #expect(file.mtime == built.options.sourceDateEpoch)
        let bytes = try built.bytes(path)
        #expect(bytes == Array(generated.certificatePEM.utf8))
        #expect(try Certificate(pem: bytes).derBytes == identity.certificate.derBytes)
        #expect(built.hostSummary.contains("trust store \(Self.trust): \(fingerprint.prefix(16))….pem ("), "\(built.hostSummary)")
        #expect(!built.warnings.contains { $0.contains("trust store") }, "\(built.warnings)")
    }

    @Test func anUnsignedImageHasNoTrustStoreAndSaysSo() async throws {
        let built = try await build("unsigned", signer: nil)
        #expect(built.root["/usr/bin/hostimg-agent"] != nil, "the host stage ran")
        #expect(built.root[Self.trust] == nil)
        #expect(built.root.descendants(of: "/usr/lib/hostimg").isEmpty)
        #expect(built.hostSummary.contains("no trust store"), "\(built.hostSummary)")
        #expect(built.warnings.contains { $0.hasPrefix("no trust store") && $0.contains("hostimg sign") }, "\(built.warnings)")
    }

    /// Two-phase signing cannot add the trust store (it is inside the hashed root): an image
    /// built unsigned and signed later differs from one signed in the build. Built unsigned
    /// with the certificate to trust (`trustedCertificates`), signing it later gives the
    /// one-step bytes.
    @Test func signingLaterGivesTheOneStepBytesOnlyWhenTheBuildHadTheCertificate() async throws {
        let identity = ImageFixture.identity.0
        let signed = try await build("one-step", signer: identity)
        let bare = try await build("bare", signer: nil)
        let certified = try await build("certified", signer: nil) { $0.trustedCertificates = [identity.certificate] }
        #expect(certified.root[Self.trust + "/" + identity.certificate.sha256Fingerprint + ".pem"] != nil)
        for later in [bare, certified] {
            _ = try ArtifactSigner.signImage(later.options.imagePath, identity: identity, force: false)
            _ = try ArtifactSigner.signBundle(later.options.bundlePath, identity: identity, force: false)
        }
        #expect(!FileManager.default.contentsEqual(atPath: signed.options.imagePath, andPath: bare.options.imagePath))
        #expect(FileManager.default.contentsEqual(atPath: signed.options.imagePath, andPath: certified.options.imagePath))
        #expect(FileManager.default.contentsEqual(atPath: signed.options.bundlePath, andPath: certified.options.bundlePath))
    }

    @Test func trustedCertificatesReplaceTheSignersOnceEach() async throws {
        let identity = ImageFixture.identity.0
        let other = try ImageFixture.otherCertificate()
        let built = try await build("both", signer: identity) {
            $0.trustedCertificates = [other, identity.certificate, other]
        }
        let paths = [other, identity.certificate].map { Self.trust + "/" + $0.sha256Fingerprint + ".pem" }
        #expect(built.root.children(of: Self.trust) == paths.sorted())
        #expect(try Certificate(pem: built.bytes(paths[0])).derBytes == other.derBytes)
    }

    /// The trust store decides what a host installs: a file a package or overlay put there
    /// fails the build, naming it and where it came from.
    @Test func aForeignFileInTheTrustStoreFailsTheBuild() async throws {
        var tree = fixture.tree
        let foreign = Self.trust + "/extra.pem"
        try tree.insert(FileTree.Node(.regular(try fixture.store.put(Array("x".utf8))), mode: 0o644, origin: "overlay keys"), at: foreign)
        var options = fixture.options(output: fixture.scratch.path("foreign"), signer: ImageFixture.identity.0)
        options.agentProgram = agent
        try FileManager.default.createDirectory(atPath: options.output, withIntermediateDirectories: true)
        let error = await #expect(throws: BuildError.self) { try await ImageBuild(options).run(tree: tree, store: fixture.store) }
        let message = error.map { "\($0)" } ?? "no error"
        #expect(message.contains("\(foreign) (from overlay keys) is in the image's trust store"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: options.imagePath), "nothing was written")
    }
}
