internal import COpenSSL

/// Detached PKCS#7 signatures, the format the kernel verifies for dm-verity root hashes
/// (`dm-verity.require_signatures`, veritysetup's `--root-hash-signature`) and for modules.
///
/// Signing matches `openssl smime -sign -binary -noattr -outform DER`: no MIME
/// canonicalisation of the data (`PKCS7_BINARY`), the content left out (`PKCS7_DETACHED`),
/// and no signed attributes (`PKCS7_NOATTR`) because the kernel's PKCS#7 parser does not
/// need them and they would add a signing time that makes signatures non-reproducible.
public enum PKCS7 {
    /// Sign `data`, returning the DER-encoded PKCS#7 SignedData without the content.
    ///
    /// - Parameter includeCertificate: embed the signer certificate (the default, as
    ///   `openssl smime -sign` does); set to false for `-nocerts` output, which the kernel
    ///   also accepts since it looks the signer up in its keyring.
    public static func signDetached(
        data: [UInt8], key: PrivateKey, certificate: Certificate, includeCertificate: Bool = true
    ) throws -> [UInt8] {
        resetOpenSSLErrors()
        guard key.matches(certificate) else {
            throw CryptoError.keyDoesNotMatchCertificate(subject: certificate.subject)
        }
        let input = try MemoryBIO(data)
        var flags = Int32(PKCS7_BINARY | PKCS7_DETACHED | PKCS7_NOATTR)
        if !includeCertificate { flags |= Int32(PKCS7_NOCERTS) }
        let signature = try openSSLCheck(
            PKCS7_sign(certificate.pointer, key.pointer, nil, input.pointer, flags),
            "sign \(data.count) bytes with \(certificate.subject)")
        defer { PKCS7_free(signature) }
        return try derEncoding(of: signature)
    }

    /// Verify a detached DER signature over `data` made by `certificate`'s key. Throws
    /// `CryptoError.verificationFailed` when it does not verify.
    ///
    /// The certificate is trusted directly, as the kernel trusts a key in its keyring: the
    /// signer must be that certificate (certificates embedded in the signature are not used
    /// to find it), and no chain or purpose checks are made on it.
    public static func verifyDetached(signature: [UInt8], data: [UInt8], trusting certificate: Certificate) throws {
        resetOpenSSLErrors()
        let parsed = signature.withUnsafeBufferPointer { buffer -> UnsafeMutablePointer<COpenSSL.PKCS7>? in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_PKCS7(nil, &cursor, buffer.count)
        }
        let p7 = try openSSLCheck(parsed, "read a DER PKCS#7 signature of \(signature.count) bytes")
        defer { PKCS7_free(p7) }
        try verifySignature(p7, over: data, trusting: certificate)
    }

    /// `PKCS7_verify` of `p7` over `data` with `certificate` as the only possible signer.
    static func verifySignature(
        _ p7: UnsafeMutablePointer<COpenSSL.PKCS7>, over data: [UInt8], trusting certificate: Certificate
    ) throws {
        // STACK_OF(X509) is a typed view of OPENSSL_STACK; its sk_X509_* helpers are
        // function-like macros Swift cannot import, so the untyped functions are used.
        let signers = try openSSLCheck(OPENSSL_sk_new_null(), "allocate a certificate list")
        defer { OPENSSL_sk_free(signers) }
        try openSSLCheck(
            OPENSSL_sk_push(signers, UnsafeRawPointer(certificate.pointer)), "add the trusted certificate to the list")
        let store = try openSSLCheck(X509_STORE_new(), "allocate a certificate store")
        defer { X509_STORE_free(store) }
        try openSSLCheck(X509_STORE_add_cert(store, certificate.pointer), "add the trusted certificate to the store")
        let content = try MemoryBIO(data)
        let flags = Int32(PKCS7_BINARY | PKCS7_NOINTERN | PKCS7_NOVERIFY)
        guard PKCS7_verify(p7, signers, store, content.pointer, nil, flags) == 1 else {
            throw CryptoError.verificationFailed(reasons: drainOpenSSLErrors())
        }
    }

    /// `i2d_PKCS7` into a new array.
    static func derEncoding(of p7: UnsafeMutablePointer<COpenSSL.PKCS7>) throws -> [UInt8] {
        let length = i2d_PKCS7(p7, nil)
        guard length > 0 else {
            throw CryptoError.openSSL(operation: "encode the PKCS#7 structure as DER", reasons: drainOpenSSLErrors())
        }
        var der = [UInt8](repeating: 0, count: Int(length))
        try der.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            try openSSLCheck(i2d_PKCS7(p7, &cursor), "encode the PKCS#7 structure as DER")
        }
        return der
    }
}
