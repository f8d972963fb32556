internal import COpenSSL

/// Plain signatures over SHA-256 (no CMS around them): RSA with PKCS #1 v1.5 padding, ECDSA as
/// a DER `ECDSA-Sig-Value`. What a DSSE envelope (in-toto attestations) carries, where the
/// signer is named by its key, not by a certificate inside the signature.
extension PrivateKey {
    /// The signature of `data` with SHA-256.
    public func signSHA256(_ data: [UInt8]) throws -> [UInt8] {
        resetOpenSSLErrors()
        let context = try openSSLCheck(EVP_MD_CTX_new(), "allocate a signing context")
        defer { EVP_MD_CTX_free(context) }
        _ = try openSSLCheck(EVP_DigestSignInit(context, nil, EVP_sha256(), nil, pointer), "start a SHA-256 signature")
        var length = 0
        _ = try data.withUnsafeBytes { buffer in
            try openSSLCheck(EVP_DigestSign(context, nil, &length, buffer.bindMemory(to: UInt8.self).baseAddress, buffer.count),
                             "size the signature")
        }
        var signature = [UInt8](repeating: 0, count: length)
        _ = try data.withUnsafeBytes { buffer in
            try openSSLCheck(EVP_DigestSign(context, &signature, &length, buffer.bindMemory(to: UInt8.self).baseAddress, buffer.count),
                             "sign with SHA-256")
        }
        return Array(signature.prefix(length))
    }
}

extension Certificate {
    /// Checks that `signature` is the certificate key's SHA-256 signature of `data`; throws
    /// `CryptoError.openSSL` naming the failure otherwise.
    public func verifySHA256(signature: [UInt8], data: [UInt8]) throws {
        resetOpenSSLErrors()
        let key = try openSSLCheck(X509_get0_pubkey(pointer), "read the certificate's public key")
        let context = try openSSLCheck(EVP_MD_CTX_new(), "allocate a verification context")
        defer { EVP_MD_CTX_free(context) }
        _ = try openSSLCheck(EVP_DigestVerifyInit(context, nil, EVP_sha256(), nil, key), "start a SHA-256 verification")
        let status = signature.withUnsafeBufferPointer { signatureBuffer in
            data.withUnsafeBufferPointer { dataBuffer in
                EVP_DigestVerify(context, signatureBuffer.baseAddress, signatureBuffer.count, dataBuffer.baseAddress, dataBuffer.count)
            }
        }
        guard status == 1 else {
            throw CryptoError.openSSL(operation: "verify the signature against \(subject)", reasons: drainOpenSSLErrors() + ["the signature does not match"])
        }
    }
}
