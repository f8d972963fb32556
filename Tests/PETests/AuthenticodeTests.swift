import ByteCodec
import Crypto
import Foundation
import Testing
import TestSupport

@testable import PE

/// Signing without upstream tools: the digest against an independent computation, and our
/// own verify on good, changed and foreign signatures.
@Suite struct AuthenticodeTests {
    @Test func digestSkipsCheckSumAndCertificateEntry() throws {
        let bytes = SyntheticPE().build()
        // Sections are contiguous and in file order, so the hash is the file minus two fields.
        let checkSum = SyntheticPE.checkSum
        let entry = SyntheticPE.certificateEntry
        let expected = try SHA256.hash(
            Array(bytes[0..<checkSum]) + Array(bytes[(checkSum + 4)..<entry]) + Array(bytes[(entry + 8)...]))
        #expect(try PE.Authenticode.digest(of: bytes) == expected)

        var changed = bytes
        changed.setInteger(UInt32(0xDEAD_BEEF), at: checkSum, endianness: .little)
        #expect(try PE.Authenticode.digest(of: changed) == expected, "CheckSum is not hashed")
        changed[0x500] ^= 1
        #expect(try PE.Authenticode.digest(of: changed) != expected, "section data is")
    }

    @Test func trailingBytesAreHashedAndPadded() throws {
        let bytes = SyntheticPE().build() + Array("trailing data".utf8)
        var changed = bytes
        changed[changed.count - 1] ^= 1
        #expect(try PE.Authenticode.digest(of: bytes) != (try PE.Authenticode.digest(of: changed)))

        let identity = try SigningIdentity()
        let signed = try PE.Authenticode.sign(bytes, key: identity.key, certificate: identity.certificate)
        let table = try #require(try PE.Image(signed).certificateTable)
        #expect(table.virtualAddress % 8 == 0 && table.size % 8 == 0)
        #expect(Array(signed.prefix(bytes.count)) != bytes, "the directory entry now points at the table")
        #expect(try PE.Authenticode.strip(signed) == bytes + [0, 0, 0])
        try PE.Authenticode.verify(signed, trusting: identity.certificate)
    }

    @Test func signVerifyStripRoundTrip() throws {
        let identity = try SigningIdentity()
        let unsigned = SyntheticPE().build()
        let signed = try PE.Authenticode.sign(unsigned, key: identity.key, certificate: identity.certificate)
        try PE.Authenticode.verify(signed, trusting: identity.certificate)
        #expect(try PE.Authenticode.sign(unsigned, key: identity.key, certificate: identity.certificate) == signed,
                "RSA PKCS#1 v1.5 and no signing time: the same bytes every time")
        #expect(try PE.Authenticode.sign(signed, key: identity.key, certificate: identity.certificate) == signed,
                "re-signing replaces the signature")
        #expect(try PE.Authenticode.strip(signed) == unsigned)
        #expect(try PE.Authenticode.strip(unsigned) == unsigned)
        #expect(try PE.Authenticode.digest(of: signed) == (try PE.Authenticode.digest(of: unsigned)))
        #expect(throws: PEError.notSigned) { try PE.Authenticode.verify(unsigned, trusting: identity.certificate) }
    }

    @Test func changedImageOrOtherCertificateFails() throws {
        let identity = try SigningIdentity()
        let other = try SigningIdentity("someone else")
        let signed = try PE.Authenticode.sign(SyntheticPE().build(), key: identity.key, certificate: identity.certificate)
        var changed = signed
        changed[0x300] ^= 0x01
        let error = try #require(throws: PEError.self) { try PE.Authenticode.verify(changed, trusting: identity.certificate) }
        guard case .digestMismatch = error else {
            Issue.record("expected digestMismatch, got \(error)")
            return
        }
        #expect(throws: CryptoError.self) { try PE.Authenticode.verify(signed, trusting: other.certificate) }
    }

    @Test func ecKeysAreRefused() throws {
        let identity = try SigningIdentity(keyType: .ecP256)
        #expect(throws: PEError.unsupportedKey(algorithm: "EC")) {
            try PE.Authenticode.sign(SyntheticPE().build(), key: identity.key, certificate: identity.certificate)
        }
    }

    @Test func indirectDataRoundTrip() throws {
        let digest = (0..<32).map { UInt8($0) }
        let content = PE.Authenticode.IndirectData.encode(digest: digest)
        #expect(try PE.Authenticode.IndirectData.digest(in: content) == digest)
        // signtool's bytes for SpcPeImageData: an empty BIT STRING, then the "<<<Obsolete>>>" link.
        #expect(Hex.encode(content).contains("3025030100a020a21e801c003c003c003c004f0062"))
        #expect(throws: PEError.self) { try PE.Authenticode.IndirectData.digest(in: Array(content.dropLast())) }
        #expect(throws: PEError.self) { try PE.Authenticode.IndirectData.digest(in: content + [0]) }
    }
}

/// `sbverify --cert` (sbsigntool) is the second opinion on every signature we write.
@Suite(.enabled(if: Fixtures.sbverify != nil, Comment(rawValue: Fixtures.noSbsigntool)))
struct SbverifyTests {
    /// Signs `image`, then checks sbverify and our verify agree on it, on a changed copy and
    /// with another certificate.
    func check(_ image: [UInt8], changingByteAt offset: Int) throws {
        let identity = try SigningIdentity()
        let other = try SigningIdentity("someone else")
        let signed = try PE.Authenticode.sign(image, key: identity.key, certificate: identity.certificate)
        let good = try identity.sbverify(signed)
        #expect(good.status == 0, "sbverify: \(good.stdoutText) \(good.stderr)")
        try PE.Authenticode.verify(signed, trusting: identity.certificate)

        var changed = signed
        changed[offset] ^= 0x01
        #expect(try identity.sbverify(changed).status != 0)
        #expect(throws: PEError.self) { try PE.Authenticode.verify(changed, trusting: identity.certificate) }

        #expect(try other.sbverify(signed).status != 0)
        #expect(throws: CryptoError.self) { try PE.Authenticode.verify(signed, trusting: other.certificate) }
    }

    @Test(.enabled(if: Fixtures.stub != nil, Comment(rawValue: Fixtures.noStub)))
    func unifiedKernelImage() throws {
        let uki = try PE.UKI.assemble(stub: try #require(Fixtures.stub), sections: Fixtures.parts)
        let linux = try #require(try PE.Image(uki).sectionHeader(named: ".linux"))
        try check(uki, changingByteAt: Int(linux.pointerToRawData) + 100)
    }

    @Test(.enabled(if: Fixtures.systemdBoot != nil, Comment(rawValue: Fixtures.noSystemdBoot)))
    func systemdBoot() throws {
        let boot = try #require(Fixtures.systemdBoot)
        try check(boot, changingByteAt: Int(try PE.Image(boot).sections[0].pointerToRawData) + 1)
    }

    @Test func syntheticImage() throws {
        try check(SyntheticPE().build(), changingByteAt: 0x201)
    }

    @Test(.enabled(if: Fixtures.kernel != nil, Comment(rawValue: Fixtures.noKernel)))
    func debianSignedKernelIsResigned() throws {
        let kernel = try #require(Fixtures.kernel)
        let identity = try SigningIdentity()
        #expect(try identity.sbverify(kernel).status != 0, "Debian's signature is not ours")
        #expect(throws: CryptoError.self) { try PE.Authenticode.verify(kernel, trusting: identity.certificate) }
        try check(kernel, changingByteAt: 0x10000)

        let signed = try PE.Authenticode.sign(kernel, key: identity.key, certificate: identity.certificate)
        let list = try Tools.run(try toolPath(Fixtures.sbverify), ["--list", try identity.write(signed, to: "vmlinuz")])
        #expect(list.stdoutText.contains("signature 1"))
        #expect(!list.stdoutText.contains("signature 2"), "Debian's signature was replaced: \(list.stdoutText)")
        #expect(list.stdoutText.contains("/CN=hostimg UKI test"))
    }

    @Test(.enabled(if: Fixtures.sbsign != nil, Comment(rawValue: Fixtures.noSbsigntool)))
    func sbsignSignaturesAreReadAndReplaced() throws {
        let identity = try SigningIdentity()
        let input = try identity.write(SyntheticPE().build(), to: "unsigned.efi")
        let output = identity.scratch.path("sbsigned.efi")
        let sign = try Tools.run(try toolPath(Fixtures.sbsign),
                                 ["--key", identity.keyPath, "--cert", identity.certificatePath, "--output", output, input])
        #expect(sign.status == 0, "sbsign: \(sign.stderr)")
        let sbsigned = try #require(Fixtures.read(output))
        try PE.Authenticode.verify(sbsigned, trusting: identity.certificate)

        // sbsign adds a second signature to a signed image; the kernel (one WIN_CERTIFICATE
        // whose length rounds up to the table size) refuses that, and so do we.
        let twice = identity.scratch.path("twice.efi")
        _ = try Tools.run(try toolPath(Fixtures.sbsign),
                          ["--key", identity.keyPath, "--cert", identity.certificatePath, "--output", twice, output])
        let error = try #require(throws: PEError.self) {
            try PE.Authenticode.verify(try #require(Fixtures.read(twice)), trusting: identity.certificate)
        }
        guard case .invalidCertificateEntry(field: "dwLength", _, _) = error else {
            Issue.record("expected a dwLength error, got \(error)")
            return
        }
        let replaced = try PE.Authenticode.sign(try #require(Fixtures.read(twice)), key: identity.key, certificate: identity.certificate)
        #expect(try identity.sbverify(replaced).status == 0)
    }
}

@Suite(.enabled(if: Fixtures.openssl != nil, Comment(rawValue: Fixtures.noOpenSSL)))
struct OpenSSLPrintTests {
    @Test func signatureParsesAsPKCS7() throws {
        let identity = try SigningIdentity()
        let signed = try PE.Authenticode.sign(SyntheticPE().build(), key: identity.key, certificate: identity.certificate)
        let path = try identity.write(try PE.Authenticode.signature(of: signed), to: "signature.p7")
        let printed = try Tools.run(try toolPath(Fixtures.openssl), ["pkcs7", "-inform", "DER", "-in", path, "-print"])
        #expect(printed.status == 0, "openssl pkcs7 -print: \(printed.stderr)")
        let text = printed.stdoutText
        #expect(text.contains("1.3.6.1.4.1.311.2.1.4"), "content type SpcIndirectDataContent:\n\(text)")
        #expect(text.contains("1.3.6.1.4.1.311.2.1.12"), "SpcSpOpusInfo")
        #expect(text.contains("messageDigest") && text.contains("contentType"))
        #expect(!text.contains("signingTime"), "no signing time: signatures are reproducible")
        #expect(text.contains("sha256"))
        #expect(text.contains("CN=hostimg UKI test"))
    }
}
