import Crypto
import Foundation
import TestSupport
import Testing

let openssl = Tools.find("openssl")


/// A generated identity written out as files the openssl CLI can read.
struct IdentityFiles {
    let scratch: ScratchDirectory
    let identity: DevelopmentIdentity
    let key: PrivateKey
    let certificate: Certificate
    var keyPath: String { scratch.path("key.pem") }
    var certificatePath: String { scratch.path("cert.pem") }

    init(_ keyType: DevelopmentIdentity.KeyType, commonName: String = "hostimg test signing") throws {
        scratch = try ScratchDirectory()
        identity = try DevelopmentIdentity.generate(commonName: commonName, validityDays: 30, keyType: keyType)
        key = try PrivateKey(pem: identity.privateKeyPEM)
        certificate = try Certificate(pem: identity.certificatePEM)
        try identity.privateKeyPEM.write(toFile: keyPath, atomically: true, encoding: .utf8)
        try identity.certificatePEM.write(toFile: certificatePath, atomically: true, encoding: .utf8)
    }

    func write(_ bytes: [UInt8], to name: String) throws -> String {
        let path = scratch.path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

/// A dm-verity root hash as veritysetup prints it: the data the build signs.
let rootHash = Array("4392712ba01368efdf14b05c76f9e4df0d53664630b5d48632ed17a137f39076".utf8)

@Suite struct SigningTests {
    @Test(arguments: DevelopmentIdentity.KeyType.allCases)
    func signAndVerifyWithOurAPI(keyType: DevelopmentIdentity.KeyType) throws {
        let files = try IdentityFiles(keyType)
        #expect(files.key.algorithm == (keyType == .ecP256 ? "EC" : "RSA"))
        #expect(files.key.bits == (keyType == .ecP256 ? 256 : 2048))
        #expect(files.certificate.subject == "/CN=hostimg test signing")
        let signature = try PKCS7.signDetached(data: rootHash, key: files.key, certificate: files.certificate)
        try PKCS7.verifyDetached(signature: signature, data: rootHash, trusting: files.certificate)

        var tampered = rootHash
        tampered[5] ^= 0x01
        let error = #expect(throws: CryptoError.self) {
            try PKCS7.verifyDetached(signature: signature, data: tampered, trusting: files.certificate)
        }
        guard case .verificationFailed(let reasons)? = error else {
            Issue.record("expected verificationFailed, got \(String(describing: error))")
            return
        }
        #expect(!reasons.isEmpty, "OpenSSL's own reason should be carried")
    }

    @Test func signatureFromAnotherCertificateIsRejected() throws {
        let signer = try IdentityFiles(.ecP256, commonName: "signer")
        let other = try IdentityFiles(.ecP256, commonName: "other")
        let signature = try PKCS7.signDetached(data: rootHash, key: signer.key, certificate: signer.certificate)
        #expect(throws: CryptoError.self) {
            try PKCS7.verifyDetached(signature: signature, data: rootHash, trusting: other.certificate)
        }
    }

    @Test func signatureWithoutEmbeddedCertificateStillVerifies() throws {
        let files = try IdentityFiles(.ecP256)
        let with = try PKCS7.signDetached(data: rootHash, key: files.key, certificate: files.certificate)
        let without = try PKCS7.signDetached(
            data: rootHash, key: files.key, certificate: files.certificate, includeCertificate: false)
        #expect(without.count < with.count - files.certificate.derBytes.count / 2)
        try PKCS7.verifyDetached(signature: without, data: rootHash, trusting: files.certificate)
    }

    @Test func mismatchedKeyIsReportedByName() throws {
        let a = try IdentityFiles(.ecP256, commonName: "a")
        let b = try IdentityFiles(.ecP256, commonName: "b")
        #expect(throws: CryptoError.keyDoesNotMatchCertificate(subject: "/CN=b")) {
            try PKCS7.signDetached(data: rootHash, key: a.key, certificate: b.certificate)
        }
    }

    @Test func garbageSignatureThrowsOpenSSLText() throws {
        let files = try IdentityFiles(.ecP256)
        let error = #expect(throws: CryptoError.self) {
            try PKCS7.verifyDetached(signature: [0x30, 0x03, 0x02, 0x01], data: rootHash, trusting: files.certificate)
        }
        #expect(error?.description.contains("OpenSSL could not read a DER PKCS#7 signature") == true)
    }

    @Test func keyPassedAsCertificateExplainsItself() throws {
        let files = try IdentityFiles(.ecP256)
        let error = #expect(throws: CryptoError.self) { try Certificate(pem: files.identity.privateKeyPEM) }
        #expect(error?.description.contains("no start line") == true)
        #expect(error?.description.contains("BEGIN") == true)
        #expect(throws: CryptoError.self) { try Certificate(pemFile: files.scratch.path("missing.pem")) }
    }

    @Test func pemAndDERRoundTrip() throws {
        let files = try IdentityFiles(.rsa2048)
        let fromFile = try Certificate(pemFile: files.certificatePath)
        let fromDER = try Certificate(der: files.certificate.derBytes)
        #expect(fromFile.derBytes == files.certificate.derBytes)
        #expect(fromDER.sha256Fingerprint == files.certificate.sha256Fingerprint)
        #expect(try fromDER.pemEncoded() == files.identity.certificatePEM)
        let keyFromFile = try PrivateKey(pemFile: files.keyPath)
        #expect(try keyFromFile.pemEncoded() == files.identity.privateKeyPEM)
        #expect(keyFromFile.matches(fromDER))
        #expect(throws: CryptoError.self) { try Certificate(der: files.certificate.derBytes + [0]) }
    }

    @Test func invalidGenerationArgumentsAreNamed() {
        #expect(throws: CryptoError.self) { try DevelopmentIdentity.generate(commonName: "", validityDays: 1) }
        let error = #expect(throws: CryptoError.self) {
            try DevelopmentIdentity.generate(commonName: "x", validityDays: 0)
        }
        #expect(error?.description.contains("0 days") == true)
    }
}

@Suite(.enabled(if: openssl != nil, "the openssl CLI is not installed (apt-get install openssl)"))
struct OpenSSLCLITests {
    func run(_ arguments: [String]) throws -> Tools.Result {
        try Tools.run(try #require(openssl), arguments)
    }

    @Test(arguments: DevelopmentIdentity.KeyType.allCases)
    func opensslVerifiesOurSignature(keyType: DevelopmentIdentity.KeyType) throws {
        let files = try IdentityFiles(keyType)
        let signature = try PKCS7.signDetached(data: rootHash, key: files.key, certificate: files.certificate)
        let dataPath = try files.write(rootHash, to: "roothash.txt")
        let signaturePath = try files.write(signature, to: "roothash.p7s")
        let verify = try run([
            "smime", "-verify", "-binary", "-inform", "DER", "-in", signaturePath, "-content", dataPath,
            "-certfile", files.certificatePath, "-CAfile", files.certificatePath, "-purpose", "any",
            "-noverify", "-out", "/dev/null",
        ])
        #expect(verify.status == 0, "openssl smime -verify failed: \(verify.stderr)")
        #expect(verify.stderr.contains("Verification successful"))

        // The structure matches `-noattr`: no signed attributes, signer certificate present.
        let printed = try run(["cms", "-cmsout", "-print", "-inform", "DER", "-in", signaturePath])
        #expect(printed.status == 0, "openssl cms -print failed: \(printed.stderr)")
        #expect(printed.stdoutText.contains("signedAttrs:\n          <ABSENT>"))
        #expect(printed.stdoutText.contains("d.certificate:"))

        let tamperedPath = try files.write(rootHash.map { $0 == UInt8(ascii: "4") ? UInt8(ascii: "5") : $0 }, to: "tampered")
        let rejected = try run([
            "smime", "-verify", "-binary", "-inform", "DER", "-in", signaturePath, "-content", tamperedPath,
            "-certfile", files.certificatePath, "-noverify", "-out", "/dev/null",
        ])
        #expect(rejected.status != 0)
    }

    @Test func weVerifyOpenSSLSignature() throws {
        let files = try IdentityFiles(.rsa2048)
        let dataPath = try files.write(rootHash, to: "roothash.txt")
        let signaturePath = files.scratch.path("cli.p7s")
        let sign = try run([
            "smime", "-sign", "-binary", "-noattr", "-outform", "DER", "-in", dataPath,
            "-signer", files.certificatePath, "-inkey", files.keyPath, "-out", signaturePath,
        ])
        #expect(sign.status == 0, "openssl smime -sign failed: \(sign.stderr)")
        let signature = [UInt8](try Data(contentsOf: URL(fileURLWithPath: signaturePath)))
        try PKCS7.verifyDetached(signature: signature, data: rootHash, trusting: files.certificate)
    }

    @Test func fingerprintMatchesOpenSSLDER() throws {
        let files = try IdentityFiles(.ecP256)
        let derPath = files.scratch.path("cert.der")
        let convert = try run(["x509", "-in", files.certificatePath, "-outform", "DER", "-out", derPath])
        #expect(convert.status == 0, "openssl x509 failed: \(convert.stderr)")
        #expect([UInt8](try Data(contentsOf: URL(fileURLWithPath: derPath))) == files.certificate.derBytes)
        if let sha256sum = Tools.find("sha256sum") {
            let sum = try Tools.run(sha256sum, [derPath])
            #expect(sum.stdoutText.split(separator: " ").first.map(String.init) == files.certificate.sha256Fingerprint)
        }
        let fingerprint = try run(["x509", "-in", files.certificatePath, "-noout", "-fingerprint", "-sha256"])
        let openSSLHex = fingerprint.stdoutText.split(separator: "=").last.map {
            $0.filter { $0 != ":" && !$0.isWhitespace }.lowercased()
        }
        #expect(openSSLHex == files.certificate.sha256Fingerprint)
    }

    @Test func certificateCarriesKernelSigningExtensions() throws {
        let files = try IdentityFiles(.rsa2048)
        let text = try run(["x509", "-in", files.certificatePath, "-noout", "-text"]).stdoutText
        #expect(text.contains("Version: 3"))
        #expect(text.contains("CA:FALSE"))
        #expect(text.contains("Digital Signature"))
        #expect(text.contains("Code Signing"))
        #expect(text.contains("X509v3 Subject Key Identifier"))
        #expect(text.contains("X509v3 Authority Key Identifier"))
        #expect(text.contains("Subject: CN = hostimg test signing"))
        let check = try run(["x509", "-in", files.certificatePath, "-noout", "-checkend", "86400"])
        #expect(check.status == 0, "certificate should stay valid past tomorrow")
    }

    @Test func encryptedKeyNeedsItsPassphrase() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("encrypted.pem")
        let generate = try run([
            "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256",
            "-pass", "pass:correct horse", "-out", path,
        ])
        #expect(generate.status == 0, "openssl genpkey failed: \(generate.stderr)")
        let key = try PrivateKey(pemFile: path, passphrase: "correct horse")
        #expect(key.algorithm == "EC")
        let error = #expect(throws: CryptoError.self) { try PrivateKey(pemFile: path) }
        guard case .encryptedKey(_, false, _)? = error else {
            Issue.record("expected encryptedKey without passphrase, got \(String(describing: error))")
            return
        }
        #expect(error?.description.contains("pass its passphrase") == true)
        // A wrong passphrase occasionally passes the padding check and fails later in ASN.1
        // parsing; either way it must be reported as a passphrase problem. Try several.
        for attempt in 0..<20 {
            let wrong = #expect(throws: CryptoError.self) { try PrivateKey(pemFile: path, passphrase: "wrong \(attempt)") }
            guard case .encryptedKey(_, true, _)? = wrong else {
                Issue.record("expected encryptedKey with passphrase, got \(String(describing: wrong))")
                return
            }
        }
    }
}
