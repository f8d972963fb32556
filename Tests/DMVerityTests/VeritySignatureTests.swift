import ByteCodec
import Crypto
import Foundation
import Testing
import TestSupport

@testable import DMVerity

@Suite("verity-sig partition")
struct VeritySignatureTests {
    typealias Support = VeritySupport

    static let rootHash: [UInt8] = (0..<32).map { UInt8($0 * 7 + 1) }

    struct Signer {
        let identity: DevelopmentIdentity
        let key: PrivateKey
        let certificate: Certificate

        init(_ type: DevelopmentIdentity.KeyType) throws {
            identity = try DevelopmentIdentity.generate(commonName: "verity test \(type.rawValue)", validityDays: 2, keyType: type)
            key = try PrivateKey(pem: identity.privateKeyPEM)
            certificate = try Certificate(pem: identity.certificatePEM)
        }
    }

    @Test("sign, encode, decode, verify; openssl accepts the signature", arguments: DevelopmentIdentity.KeyType.allCases)
    func roundTrip(type: DevelopmentIdentity.KeyType) throws {
        let signer = try Signer(type)
        let signature = try VeritySignature.sign(rootHash: Self.rootHash, key: signer.key, certificate: signer.certificate)
        #expect(signature.rootHash == Hex.encode(Self.rootHash))
        #expect(signature.certificateFingerprint == signer.certificate.sha256Fingerprint)
        let bytes = try signature.encoded()
        #expect(bytes.count == VeritySignature.partitionSize)
        let text = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        #expect(text.hasPrefix("{\"rootHash\":\"\(signature.rootHash)\",\"certificateFingerprint\":\"\(signature.certificateFingerprint)\",\"signature\":\""))
        #expect(text.hasSuffix("\"}"))
        #expect(try VeritySignature.decode(bytes) == signature)
        try signature.verify(trusting: signer.certificate)
        try signature.verify(rootHash: Self.rootHash, trusting: signer.certificate)

        guard let openssl = Support.openssl else { return }
        let scratch = try ScratchDirectory()
        try Support.write(signature.signature, to: scratch.path("sig"))
        try Support.write(Array(signature.rootHash.utf8), to: scratch.path("roothash"))
        try signer.identity.certificatePEM.write(toFile: scratch.path("cert.pem"), atomically: true, encoding: .utf8)
        let verified = try Tools.run(openssl, [
            "smime", "-verify", "-binary", "-inform", "DER", "-in", scratch.path("sig"), "-content", scratch.path("roothash"),
            "-certfile", scratch.path("cert.pem"), "-CAfile", scratch.path("cert.pem"), "-purpose", "any", "-out", "/dev/null",
        ])
        #expect(verified.status == 0, "openssl smime -verify: \(verified.stderr)")
        try Support.write(Array((signature.rootHash + "0").utf8), to: scratch.path("other"))
        let rejected = try Tools.run(openssl, [
            "smime", "-verify", "-binary", "-inform", "DER", "-in", scratch.path("sig"), "-content", scratch.path("other"),
            "-certfile", scratch.path("cert.pem"), "-CAfile", scratch.path("cert.pem"), "-purpose", "any", "-out", "/dev/null",
        ])
        #expect(rejected.status != 0)
    }

    @Test("RSA signatures are deterministic and equal openssl smime -sign's; ECDSA ones are not")
    func determinism() throws {
        let rsa = try Signer(.rsa2048)
        let first = try VeritySignature.sign(rootHash: Self.rootHash, key: rsa.key, certificate: rsa.certificate)
        let second = try VeritySignature.sign(rootHash: Self.rootHash, key: rsa.key, certificate: rsa.certificate)
        #expect(first.signature == second.signature)
        #expect(try first.encoded() == second.encoded())

        let ec = try Signer(.ecP256)
        let a = try VeritySignature.sign(rootHash: Self.rootHash, key: ec.key, certificate: ec.certificate)
        let b = try VeritySignature.sign(rootHash: Self.rootHash, key: ec.key, certificate: ec.certificate)
        #expect(a.signature != b.signature, "ECDSA uses a random nonce")
        try b.verify(trusting: ec.certificate)

        guard let openssl = Support.openssl else { return }
        let scratch = try ScratchDirectory()
        try Support.write(Array(first.rootHash.utf8), to: scratch.path("roothash"))
        try rsa.identity.certificatePEM.write(toFile: scratch.path("cert.pem"), atomically: true, encoding: .utf8)
        try rsa.identity.privateKeyPEM.write(toFile: scratch.path("key.pem"), atomically: true, encoding: .utf8)
        let signed = try Tools.run(openssl, [
            "smime", "-sign", "-binary", "-noattr", "-outform", "DER", "-in", scratch.path("roothash"),
            "-signer", scratch.path("cert.pem"), "-inkey", scratch.path("key.pem"),
        ])
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(signed.stdout == first.signature, "the FORMATS.md command line gives the same bytes")
    }

    @Test("tampering is caught, naming the failed check")
    func tampering() throws {
        let signer = try Signer(.ecP256)
        let other = try Signer(.ecP256)
        let good = try VeritySignature.sign(rootHash: Self.rootHash, key: signer.key, certificate: signer.certificate)

        var flipped = good
        flipped.signature[flipped.signature.count - 3] ^= 0x01
        let flippedError = try #require(throws: DMVerityError.self) { try flipped.verify(trusting: signer.certificate) }
        guard case .signatureDoesNotVerify = flippedError else { Issue.record("got \(flippedError)"); return }

        let wrongCert = try #require(throws: DMVerityError.self) { try good.verify(trusting: other.certificate) }
        #expect(wrongCert == .signatureCertificateMismatch(signed: good.certificateFingerprint, trusted: other.certificate.sha256Fingerprint))

        var forged = good
        forged.certificateFingerprint = other.certificate.sha256Fingerprint
        let forgedError = try #require(throws: DMVerityError.self) { try forged.verify(trusting: other.certificate) }
        guard case .signatureDoesNotVerify = forgedError else { Issue.record("got \(forgedError)"); return }

        var otherHash = good
        otherHash.rootHash = String(repeating: "ab", count: 32)
        let hashError = try #require(throws: DMVerityError.self) { try otherHash.verify(trusting: signer.certificate) }
        guard case .signatureDoesNotVerify(let root, _) = hashError else { Issue.record("got \(hashError)"); return }
        #expect(root == otherHash.rootHash)

        var expected = Self.rootHash
        expected[0] ^= 1
        let mismatch = try #require(throws: DMVerityError.self) {
            try good.verify(rootHash: expected, trusting: signer.certificate)
        }
        #expect(mismatch == .signatureRootHashMismatch(signed: good.rootHash, expected: Hex.encode(expected)))
    }

    @Test("exact encoding, and an encoding that does not fit")
    func exactEncoding() throws {
        let signature = VeritySignature(
            rootHash: "00ff", certificateFingerprint: String(repeating: "a", count: 64), signature: [0xfb, 0xff, 0x01])
        let bytes = try signature.encoded(size: 200)
        let json = "{\"rootHash\":\"00ff\",\"certificateFingerprint\":\"\(String(repeating: "a", count: 64))\",\"signature\":\"+/8B\"}"
        #expect(bytes == Array(json.utf8) + [UInt8](repeating: 0, count: 200 - json.utf8.count))
        #expect(throws: DMVerityError.signatureTooLarge(bytes: json.utf8.count, partitionSize: 100)) {
            try signature.encoded(size: 100)
        }
        var upper = signature
        upper.rootHash = "00FF"
        #expect(throws: DMVerityError.self) { try upper.encoded() }
    }

    @Test("an all-zero partition is an unsigned image")
    func zeroPartition() throws {
        #expect(try VeritySignature.decode([UInt8](repeating: 0, count: VeritySignature.partitionSize)) == nil)
        #expect(try VeritySignature.decode([]) == nil)
    }

    static let fingerprint = String(repeating: "a", count: 64)
    static let malformed: [(String, String)] = [
        ("{\"rootHash\":\"00", "not JSON"),
        ("not json at all", "not JSON"),
        ("[1,2,3]", "not an object"),
        ("{\"rootHash\":\"00ff\",\"signature\":\"AAAA\"}", "certificateFingerprint"),
        ("{\"rootHash\":\"00ff\",\"certificateFingerprint\":\"\(fingerprint)\",\"signature\":\"*not base64*\"}", "base64"),
        ("{\"rootHash\":7,\"certificateFingerprint\":\"\(fingerprint)\",\"signature\":\"AAAA\"}", "not a string"),
        ("{\"rootHash\":\"xyz\",\"certificateFingerprint\":\"\(fingerprint)\",\"signature\":\"AAAA\"}", "hex"),
        ("{\"rootHash\":\"00ff\",\"certificateFingerprint\":\"abc\",\"signature\":\"AAAA\"}", "64 lowercase"),
    ]

    @Test("malformed partitions are clear errors", arguments: malformed)
    func malformedContent(content: String, message: String) throws {
        let bytes = Array(content.utf8) + [UInt8](repeating: 0, count: 64)
        let error = try #require(throws: DMVerityError.self) { try VeritySignature.decode(bytes) }
        #expect(error.description.contains(message), "\(error)")
    }

    @Test("garbage after the JSON, or before it, is an error")
    func trailingGarbage() throws {
        let good = try VeritySignature(
            rootHash: "00ff", certificateFingerprint: Self.fingerprint, signature: [1, 2, 3]
        ).encoded(size: 300)
        #expect(try VeritySignature.decode(good) != nil)
        var garbage = good
        garbage[250] = 0x41
        let error = try #require(throws: DMVerityError.self) { try VeritySignature.decode(garbage) }
        #expect(error.description.contains("byte 250"))
        #expect(throws: DMVerityError.self) { try VeritySignature.decode([0, 0] + good) }
    }
}
