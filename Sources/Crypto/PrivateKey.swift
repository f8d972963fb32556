internal import COpenSSL

/// A private key (RSA or EC) loaded into OpenSSL, used to sign.
///
/// A class because an `EVP_PKEY` is reference-counted by OpenSSL and freed once, in `deinit`.
/// It is immutable after loading and OpenSSL 3 allows concurrent signing with one key, which
/// is why it is marked `Sendable`.
public final class PrivateKey: @unchecked Sendable {
    let pointer: OpaquePointer

    /// Take ownership of a key OpenSSL produced.
    init(owning pointer: OpaquePointer) {
        self.pointer = pointer
    }

    /// Load a PEM private key: PKCS#8 ("BEGIN PRIVATE KEY"), encrypted PKCS#8, or the
    /// traditional "BEGIN RSA/EC PRIVATE KEY" forms.
    ///
    /// - Parameter passphrase: for encrypted keys. Without it an encrypted key fails with an
    ///   error instead of OpenSSL prompting on the terminal, which would hang a build.
    public convenience init(pem: [UInt8], passphrase: String? = nil) throws {
        resetOpenSSLErrors()
        let bio = try MemoryBIO(pem)
        try self.init(owning: Self.read(bio, passphrase: passphrase, source: "PEM private key"))
    }

    public convenience init(pem: String, passphrase: String? = nil) throws {
        try self.init(pem: Array(pem.utf8), passphrase: passphrase)
    }

    /// Load a PEM private key from a file.
    public convenience init(pemFile path: String, passphrase: String? = nil) throws {
        resetOpenSSLErrors()
        let bio = try MemoryBIO(readingFile: path)
        try self.init(owning: Self.read(bio, passphrase: passphrase, source: "PEM private key from \(path)"))
    }

    private static func read(_ bio: borrowing MemoryBIO, passphrase: String?, source: String) throws -> OpaquePointer {
        // Our own callback instead of OpenSSL's default: the default prompts on the terminal
        // (hanging a build), and knowing that a passphrase was asked for lets a failure say
        // "encrypted key" even when decrypting with a wrong passphrase happens to pass the
        // padding check and fails later with an unrelated ASN.1 error.
        let request = PassphraseRequest(passphrase: passphrase)
        let key = PEM_read_bio_PrivateKey(
            bio.pointer, nil,
            { buffer, size, _, context in
                guard let buffer, let context else { return -1 }
                let request = Unmanaged<PassphraseRequest>.fromOpaque(context).takeUnretainedValue()
                request.requested = true
                guard let passphrase = request.passphrase, passphrase.count <= Int(size) else { return -1 }
                for (index, byte) in passphrase.enumerated() { buffer[index] = CChar(bitPattern: byte) }
                return Int32(passphrase.count)
            },
            Unmanaged.passUnretained(request).toOpaque())
        if key == nil && request.requested {
            throw CryptoError.encryptedKey(source: source, passphraseGiven: passphrase != nil, reasons: drainOpenSSLErrors())
        }
        return try openSSLCheck(key, "read a \(source)")
    }

    /// Carries the passphrase into OpenSSL's callback and records whether it was needed.
    private final class PassphraseRequest {
        let passphrase: [UInt8]?
        var requested = false
        init(passphrase: String?) { self.passphrase = passphrase.map { Array($0.utf8) } }
    }

    /// The key's algorithm as OpenSSL names it: "RSA", "EC", "ED25519"...
    public var algorithm: String {
        EVP_PKEY_get0_type_name(pointer).map { String(cString: $0) } ?? "unknown"
    }

    /// Key size in bits (2048 for RSA-2048, 256 for P-256).
    public var bits: Int { Int(EVP_PKEY_get_bits(pointer)) }

    /// Whether `certificate` carries this key's public half.
    public func matches(_ certificate: Certificate) -> Bool {
        let result = X509_check_private_key(certificate.pointer, pointer) == 1
        resetOpenSSLErrors()  // a mismatch queues an error that is not ours to report
        return result
    }

    /// Unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY"), the form `openssl genpkey` writes.
    public func pemEncoded() throws -> String {
        resetOpenSSLErrors()
        let bio = try MemoryBIO()
        try openSSLCheck(PEM_write_bio_PrivateKey(bio.pointer, pointer, nil, nil, 0, nil, nil), "write the private key as PEM")
        return String(decoding: bio.contents(), as: UTF8.self)
    }

    deinit { EVP_PKEY_free(pointer) }
}
