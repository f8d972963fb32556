import Crypto
import Foundation
import Provenance
import Testing
import TestSupport

/// The DSSE envelope and the provenance check: a signed statement over files verifies; a
/// flipped byte in any subject fails naming it; another key, an edited payload or a missing
/// signature fails the signature; and securesystemslib (PyPI, the in-toto project's) accepts
/// the envelope on its own.
@Suite struct ProvenanceTests {
    struct Build {
        let scratch: ScratchDirectory
        let identity: DevelopmentIdentity
        let envelope: String
        let names = ["qemu-dev.img", "qemu-dev.bundle", "qemu-dev_0.1.0.efi", "qemu-dev.spdx.json"]
    }

    static func build(keyType: DevelopmentIdentity.KeyType = .rsa2048) throws -> Build {
        let scratch = try ScratchDirectory()
        let identity = try DevelopmentIdentity.generate(commonName: "provenance test", validityDays: 1, keyType: keyType)
        var subjects: [ProvenanceStatement.Subject] = []
        for (index, name) in ["qemu-dev.img", "qemu-dev.bundle", "qemu-dev_0.1.0.efi", "qemu-dev.spdx.json"].enumerated() {
            let bytes = [UInt8]((0..<(4096 + index)).map { UInt8(truncatingIfNeeded: $0 * 7 + index) })
            try Data(bytes).write(to: URL(fileURLWithPath: scratch.path(name)))
            subjects.append(.init(name: name, sha256: try FileDigest.sha256(scratch.path(name))))
        }
        let statement = ProvenanceStatement(subjects: subjects, inputs: [("lock", "manifests/qemu-dev.lock", String(repeating: "a", count: 64))],
                                            externalParameters: ["manifest": "manifests/qemu-dev.yaml"],
                                            internalParameters: ["sourceDateEpoch": "1700000000"],
                                            builderVersion: "0.1.0")
        let envelope = try DSSEEnvelope.sign(try statement.encoded(), type: ProvenanceStatement.payloadType,
                                             key: try PrivateKey(pem: identity.privateKeyPEM),
                                             certificate: try Certificate(pem: identity.certificatePEM))
        let path = scratch.path("qemu-dev.provenance.json")
        try Data(try envelope.encoded()).write(to: URL(fileURLWithPath: path))
        return Build(scratch: scratch, identity: identity, envelope: path)
    }

    static func check(_ build: Build, certificate: DevelopmentIdentity? = nil) throws -> [ProvenanceCheck.Result] {
        try ProvenanceCheck.check(envelope: build.envelope, certificate: try Certificate(pem: (certificate ?? build.identity).certificatePEM))
    }

    @Test(arguments: [DevelopmentIdentity.KeyType.rsa2048, .ecP256])
    func aFreshBuildVerifies(keyType: DevelopmentIdentity.KeyType) throws {
        let build = try Self.build(keyType: keyType)
        let results = try Self.check(build)
        #expect(results.allSatisfy { $0.passed }, "\(results)")
        #expect(results.map(\.part) == ["signature", "statement"] + build.names.sorted().map { "subject \($0)" })
    }

    @Test func aFlippedByteInAnySubjectFailsNamingIt() throws {
        let build = try Self.build()
        for name in build.names {
            let path = build.scratch.path(name)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes[100] ^= 0x01
            try bytes.write(to: URL(fileURLWithPath: path))
            let failed = try Self.check(build).filter { !$0.passed }
            #expect(failed.map(\.part) == ["subject \(name)"], "\(failed)")
            bytes[100] ^= 0x01
            try bytes.write(to: URL(fileURLWithPath: path))
        }
        #expect(try Self.check(build).allSatisfy { $0.passed })
    }

    @Test func anotherKeyOrAnEditedPayloadFailsTheSignature() throws {
        let build = try Self.build()
        let other = try DevelopmentIdentity.generate(commonName: "someone else", validityDays: 1, keyType: .rsa2048)
        #expect(try Self.check(build, certificate: other).map(\.passed) == [false])
        var envelope = try JSONDecoder().decode(DSSEEnvelope.self, from: Data(contentsOf: URL(fileURLWithPath: build.envelope)))
        var payload = [UInt8](try #require(Data(base64Encoded: envelope.payload)))
        payload[payload.count / 2] ^= 0x20
        envelope.payload = Data(payload).base64EncodedString()
        try Data(try envelope.encoded()).write(to: URL(fileURLWithPath: build.envelope))
        #expect(try Self.check(build).map(\.passed) == [false])
        envelope.signatures = []
        try Data(try envelope.encoded()).write(to: URL(fileURLWithPath: build.envelope))
        #expect(try Self.check(build).first?.detail.contains("no signature") == true)
    }

    /// securesystemslib's DSSE code (its own PAE) verifies the envelope with the certificate's key.
    @Test(.enabled(if: ProvenanceTests.hasSecureSystemsLib, "python3 -m pip install in-toto (securesystemslib)"),
          arguments: [DevelopmentIdentity.KeyType.rsa2048, .ecP256])
    func securesystemslibAcceptsTheEnvelope(keyType: DevelopmentIdentity.KeyType) throws {
        let build = try Self.build(keyType: keyType)
        let certificate = build.scratch.path("cert.pem")
        try build.identity.certificatePEM.write(toFile: certificate, atomically: true, encoding: .utf8)
        let script = build.scratch.path("verify.py")
        try Self.verifier.write(toFile: script, atomically: true, encoding: .utf8)
        let python = try #require(Tools.find("python3"))
        let result = try Tools.run(python, [script, build.envelope, certificate])
        #expect(result.status == 0 && result.stdoutText.contains("verified"), "\(result.stdoutText)\n\(result.stderr)")
        var envelope = try JSONDecoder().decode(DSSEEnvelope.self, from: Data(contentsOf: URL(fileURLWithPath: build.envelope)))
        envelope.payloadType = "application/json"
        try Data(try envelope.encoded()).write(to: URL(fileURLWithPath: build.envelope))
        #expect(try Tools.run(python, [script, build.envelope, certificate]).status != 0, "a changed payload type still verified")
    }

    static var hasSecureSystemsLib: Bool {
        guard let python = Tools.find("python3") else { return false }
        return (try? Tools.run(python, ["-c", "import securesystemslib.dsse, cryptography"]).status) == 0
    }

    static let verifier = """
        import json, sys
        from cryptography import x509
        from cryptography.hazmat.primitives.asymmetric import rsa
        from securesystemslib.dsse import Envelope
        from securesystemslib.signer import SSlibKey
        envelope = Envelope.from_dict(json.load(open(sys.argv[1])))
        public = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read()).public_key()
        scheme = "rsa-pkcs1v15-sha256" if isinstance(public, rsa.RSAPublicKey) else "ecdsa-sha2-nistp256"
        key = SSlibKey.from_crypto(public, keyid=list(envelope.signatures)[0], scheme=scheme)
        envelope.verify([key], 1)
        statement = json.loads(envelope.payload)
        assert statement["_type"] == "https://in-toto.io/Statement/v1"
        assert statement["predicateType"] == "https://slsa.dev/provenance/v1"
        print("verified", len(statement["subject"]), "subjects")
        """
}
