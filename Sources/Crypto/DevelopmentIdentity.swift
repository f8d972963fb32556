internal import COpenSSL

/// A throwaway signing key and self-signed certificate for development builds.
///
/// Release images are signed with a key kept outside the build; development images still
/// need *some* key so the same signing and verification path (dm-verity root hash signature,
/// kernel keyring) runs in every build. The certificate carries the extensions the kernel's
/// own `certs/default_x509.genkey` uses (CA:FALSE, digitalSignature, codeSigning, subject and
/// authority key identifiers), and both key types are ones the kernel verifies.
public struct DevelopmentIdentity: Sendable, Equatable {
    public enum KeyType: String, Sendable, CaseIterable {
        /// ECDSA on NIST P-256 (prime256v1): small signatures, fast to generate.
        case ecP256 = "ec-p256"
        /// RSA with a 2048-bit modulus: the widest firmware and kernel support.
        case rsa2048 = "rsa-2048"
    }

    /// Unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY").
    public let privateKeyPEM: String
    /// PEM certificate ("BEGIN CERTIFICATE").
    public let certificatePEM: String

    public init(privateKeyPEM: String, certificatePEM: String) {
        self.privateKeyPEM = privateKeyPEM
        self.certificatePEM = certificatePEM
    }

    /// Generate a new key and a self-signed certificate valid from now for `validityDays`.
    ///
    /// - Parameters:
    ///   - commonName: the subject and issuer CN, 1 to 64 characters (the X.520 upper bound).
    ///   - validityDays: 1 to 36500.
    public static func generate(
        commonName: String, validityDays: Int, keyType: KeyType = .ecP256
    ) throws -> DevelopmentIdentity {
        guard (1...64).contains(commonName.count) else {
            throw CryptoError.invalidArgument(
                "common name \"\(commonName)\" has \(commonName.count) characters; X.509 allows 1 to 64")
        }
        guard (1...36500).contains(validityDays) else {
            throw CryptoError.invalidArgument("validity of \(validityDays) days is out of range; use 1 to 36500 days")
        }
        resetOpenSSLErrors()
        let key = try generateKey(keyType)
        let certificate = try selfSignedCertificate(for: key, commonName: commonName, validityDays: validityDays)
        return DevelopmentIdentity(privateKeyPEM: try key.pemEncoded(), certificatePEM: try certificate.pemEncoded())
    }

    private static func generateKey(_ type: KeyType) throws -> PrivateKey {
        let algorithm = type == .ecP256 ? "EC" : "RSA"
        let context = try openSSLCheck(
            EVP_PKEY_CTX_new_from_name(nil, algorithm, nil), "set up \(algorithm) key generation")
        defer { EVP_PKEY_CTX_free(context) }
        try openSSLCheck(EVP_PKEY_keygen_init(context), "start \(algorithm) key generation")
        switch type {
        case .ecP256:
            try openSSLCheck(EVP_PKEY_CTX_set_group_name(context, "P-256"), "select the P-256 curve")
        case .rsa2048:
            try openSSLCheck(EVP_PKEY_CTX_set_rsa_keygen_bits(context, 2048), "select a 2048-bit RSA modulus")
        }
        var key: OpaquePointer?
        try openSSLCheck(EVP_PKEY_generate(context, &key), "generate a \(type.rawValue) key")
        return PrivateKey(owning: try openSSLCheck(key, "generate a \(type.rawValue) key"))
    }

    private static func selfSignedCertificate(
        for key: PrivateKey, commonName: String, validityDays: Int
    ) throws -> Certificate {
        let x509 = try openSSLCheck(X509_new(), "allocate a certificate")
        do {
            try fill(x509, key: key, commonName: commonName, validityDays: validityDays)
        } catch {
            X509_free(x509)
            throw error
        }
        return try Certificate(owning: x509)
    }

    private static func fill(_ x509: OpaquePointer, key: PrivateKey, commonName: String, validityDays: Int) throws {
        try openSSLCheck(X509_set_version(x509, 2), "set certificate version 3")  // 2 encodes v3

        // A random positive 63-bit serial: unique enough for throwaway certificates, and
        // RFC 5280 section 4.1.2.2 requires it to be positive and at most 20 octets.
        var random = [UInt8](repeating: 0, count: 8)
        try openSSLCheck(RAND_bytes(&random, Int32(random.count)), "draw a random serial number")
        let serial = random.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } & 0x7fff_ffff_ffff_ffff
        try openSSLCheck(ASN1_INTEGER_set_uint64(X509_get_serialNumber(x509), max(serial, 1)), "set the serial number")

        _ = try openSSLCheck(X509_gmtime_adj(X509_getm_notBefore(x509), 0), "set notBefore")
        _ = try openSSLCheck(
            X509_gmtime_adj(X509_getm_notAfter(x509), validityDays * 86_400), "set notAfter to \(validityDays) days")
        try openSSLCheck(X509_set_pubkey(x509, key.pointer), "put the public key into the certificate")

        let name = try openSSLCheck(X509_get_subject_name(x509), "get the subject name")
        try openSSLCheck(
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, commonName, -1, -1, 0),
            "set the common name \"\(commonName)\"")
        try openSSLCheck(X509_set_issuer_name(x509, name), "set the issuer name")

        var context = X509V3_CTX()
        X509V3_set_ctx(&context, x509, x509, nil, nil, 0)
        // Order matters: the authority key identifier copies the subject key identifier.
        let extensions: [(Int32, String)] = [
            (NID_basic_constraints, "critical,CA:FALSE"),
            (NID_key_usage, "digitalSignature"),
            (NID_ext_key_usage, "codeSigning"),
            (NID_subject_key_identifier, "hash"),
            (NID_authority_key_identifier, "keyid"),
        ]
        for (nid, value) in extensions {
            let ext = try openSSLCheck(
                X509V3_EXT_nconf_nid(nil, &context, nid, value), "build the extension \(value)")
            defer { X509_EXTENSION_free(ext) }
            try openSSLCheck(X509_add_ext(x509, ext, -1), "add the extension \(value)")
        }
        _ = try openSSLCheck(X509_sign(x509, key.pointer, EVP_sha256()), "self-sign the certificate")
    }
}
