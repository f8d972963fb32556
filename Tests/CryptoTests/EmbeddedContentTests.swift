import ByteCodec
import Crypto
import Foundation
import TestSupport
import Testing

/// A content of our own type: SEQUENCE { UTF8String text }.
private func content(_ text: String) -> [UInt8] {
    DER.encode(tag: DER.Tag.sequence, DER.encode(tag: 0x0C, Array(text.utf8)))
}

private let contentType = "1.3.6.1.4.1.311.2.1.4"

@Suite struct DERTests {
    @Test(arguments: [0, 1, 127, 128, 255, 256, 65_535, 65_536])
    func lengthsRoundTrip(length: Int) throws {
        let value = [UInt8](repeating: 0x5A, count: length)
        let encoded = DER.encode(tag: DER.Tag.octetString, value)
        let headerSize = length < 128 ? 2 : length < 256 ? 3 : length < 65_536 ? 4 : 5
        #expect(encoded.count == headerSize + length)
        var reader = DER.Reader(encoded)
        let element = try reader.read(DER.Tag.octetString, "value")
        #expect(Array(element.contents) == value)
        #expect(Array(element.encoding) == encoded)
        #expect(reader.isAtEnd)
    }

    @Test(arguments: [
        ([], "too few"),
        ([0x30], "too few"),
        ([0x30, 0x80, 0x00, 0x00], "indefinite"),
        ([0x30, 0x85, 1, 1, 1, 1, 1], "indefinite or too long"),
        ([0x30, 0x82, 0x01], "runs past the end"),
        ([0x30, 0x03, 0x01], "runs past the end"),
        ([0x30, 0x84, 0xFF, 0xFF, 0xFF, 0xFF], "runs past the end"),
        ([0x1F, 0x01, 0x00], "multi-byte tag"),
        ([0x04, 0x00], "expected tag 0x30, found 0x04"),
        ([0x30, 0x00, 0x00], "unexpected bytes"),
    ] as [([UInt8], String)])
    func malformedInputIsNamed(bytes: [UInt8], message: String) throws {
        let error = try #require(throws: DER.DecodingError.self) { try DER.sequenceContents(of: bytes, what: "test value") }
        #expect(error.description.contains(message), "\(error)")
        #expect(error.description.hasPrefix("test value"))
    }
}

@Suite struct EmbeddedContentTests {
    @Test func signAndVerifyRoundTrip() throws {
        let files = try IdentityFiles(.rsa2048)
        let signed = content("the image digest")
        let signature = try PKCS7.signEmbedded(
            contentDER: signed, contentType: contentType, key: files.key, certificate: files.certificate,
            signedAttributes: [PKCS7.SignedAttribute(type: "1.3.6.1.4.1.311.2.1.12", sequenceDER: [0x30, 0x00])])
        let verified = try PKCS7.verifyEmbedded(signature: signature, trusting: files.certificate)
        #expect(verified.contentType == contentType && verified.contentDER == signed)
        #expect(try PKCS7.signEmbedded(contentDER: signed, contentType: contentType, key: files.key,
                                       certificate: files.certificate,
                                       signedAttributes: [PKCS7.SignedAttribute(type: "1.3.6.1.4.1.311.2.1.12", sequenceDER: [0x30, 0x00])])
                == signature, "RSA without a signing time signs reproducibly")

        // The content appears as is, not inside an OCTET STRING as CMS would put it.
        #expect(Hex.encode(signature).contains("a0\(Hex.encode(UInt8(signed.count), digits: 2))\(Hex.encode(signed))"))
    }

    @Test func changedContentOrOtherCertificateFails() throws {
        let files = try IdentityFiles(.rsa2048)
        let other = try IdentityFiles(.rsa2048, commonName: "other")
        var signature = try PKCS7.signEmbedded(
            contentDER: content("abc"), contentType: contentType, key: files.key, certificate: files.certificate)
        #expect(throws: CryptoError.self) { try PKCS7.verifyEmbedded(signature: signature, trusting: other.certificate) }
        let at = try #require(signature.firstIndex(of: UInt8(ascii: "b")))
        signature[at] = UInt8(ascii: "x")
        let error = #expect(throws: CryptoError.self) { try PKCS7.verifyEmbedded(signature: signature, trusting: files.certificate) }
        guard case .verificationFailed? = error else {
            Issue.record("expected verificationFailed, got \(String(describing: error))")
            return
        }
    }

    @Test func invalidArgumentsAreNamed() throws {
        let files = try IdentityFiles(.ecP256)
        let other = try IdentityFiles(.ecP256, commonName: "other")
        #expect(throws: CryptoError.keyDoesNotMatchCertificate(subject: "/CN=other")) {
            try PKCS7.signEmbedded(contentDER: content("a"), contentType: contentType, key: files.key, certificate: other.certificate)
        }
        let notASequence = #expect(throws: CryptoError.self) {
            try PKCS7.signEmbedded(contentDER: [0x04, 0x01, 0x00], contentType: contentType, key: files.key,
                                   certificate: files.certificate)
        }
        #expect(notASequence?.description.contains("expected tag 0x30") == true)
        let badOID = #expect(throws: CryptoError.self) {
            try PKCS7.signEmbedded(contentDER: content("a"), contentType: "not an oid", key: files.key,
                                   certificate: files.certificate)
        }
        #expect(badOID?.description.contains("not an object identifier") == true)
        #expect(throws: CryptoError.self) {
            try PKCS7.signEmbedded(contentDER: content("a"), contentType: contentType, key: files.key, certificate: files.certificate,
                                   signedAttributes: [PKCS7.SignedAttribute(type: "1.2.3", sequenceDER: [0x05, 0x00])])
        }
    }

    @Test func detachedOrPaddedSignaturesAreRefused() throws {
        let files = try IdentityFiles(.ecP256)
        let detached = try PKCS7.signDetached(data: [1, 2, 3], key: files.key, certificate: files.certificate)
        let error = #expect(throws: CryptoError.self) { try PKCS7.verifyEmbedded(signature: detached, trusting: files.certificate) }
        #expect(error?.description.contains("no embedded SEQUENCE content") == true)

        let embedded = try PKCS7.signEmbedded(
            contentDER: content("a"), contentType: contentType, key: files.key, certificate: files.certificate)
        _ = try PKCS7.verifyEmbedded(signature: embedded, trusting: files.certificate)
        let padded = #expect(throws: CryptoError.self) {
            try PKCS7.verifyEmbedded(signature: embedded + [0], trusting: files.certificate)
        }
        #expect(padded?.description.contains("1 extra bytes") == true)
    }
}
