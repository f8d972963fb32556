import ByteCodec
internal import COpenSSL

/// An X.509 certificate: the public half that signs dm-verity root hashes and that the
/// kernel's keyring or the boot chain trusts.
///
/// The DER encoding, its SHA-256 fingerprint and the subject are computed once at load time,
/// so reading them cannot fail later. Immutable after loading, hence `Sendable`.
public final class Certificate: @unchecked Sendable {
    let pointer: OpaquePointer

    /// The certificate in DER, exactly as `openssl x509 -outform DER` writes it.
    public let derBytes: [UInt8]
    /// SHA-256 of `derBytes` in lowercase hex, as `openssl x509 -outform DER | sha256sum`.
    public let sha256Fingerprint: String
    /// The subject in OpenSSL's one-line form, e.g. "/CN=hostimg development".
    public let subject: String

    init(owning pointer: OpaquePointer) throws {
        self.pointer = pointer
        var length = i2d_X509(pointer, nil)
        guard length > 0 else {
            X509_free(pointer)
            throw CryptoError.openSSL(operation: "encode the certificate as DER", reasons: drainOpenSSLErrors())
        }
        var der = [UInt8](repeating: 0, count: Int(length))
        length = der.withUnsafeMutableBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return i2d_X509(pointer, &cursor)
        }
        derBytes = der
        var name = [CChar](repeating: 0, count: 512)
        X509_NAME_oneline(X509_get_subject_name(pointer), &name, Int32(name.count))
        subject = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        sha256Fingerprint = Hex.encode(try SHA256.hash(der))
    }

    /// Load the first certificate of a PEM file body ("BEGIN CERTIFICATE").
    public convenience init(pem: [UInt8]) throws {
        resetOpenSSLErrors()
        let bio = try MemoryBIO(pem)
        try self.init(owning: openSSLCheck(PEM_read_bio_X509(bio.pointer, nil, nil, nil), "read a PEM certificate"))
    }

    public convenience init(pem: String) throws {
        try self.init(pem: Array(pem.utf8))
    }

    /// Load a certificate from a PEM file.
    public convenience init(pemFile path: String) throws {
        resetOpenSSLErrors()
        let bio = try MemoryBIO(readingFile: path)
        try self.init(
            owning: openSSLCheck(PEM_read_bio_X509(bio.pointer, nil, nil, nil), "read a PEM certificate from \(path)"))
    }

    /// Load a DER certificate; trailing bytes after the certificate are rejected because they
    /// usually mean the wrong file was passed.
    public convenience init(der: [UInt8]) throws {
        resetOpenSSLErrors()
        let (certificate, consumed) = der.withUnsafeBufferPointer { buffer -> (OpaquePointer?, Int) in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            let certificate = d2i_X509(nil, &cursor, buffer.count)
            let consumed = cursor.flatMap { end in buffer.baseAddress.map { end - $0 } } ?? 0
            return (certificate, consumed)
        }
        let pointer = try openSSLCheck(certificate, "read a DER certificate of \(der.count) bytes")
        guard consumed == der.count else {
            X509_free(pointer)
            throw CryptoError.invalidArgument(
                "DER certificate is followed by \(der.count - consumed) extra bytes; pass exactly one DER certificate")
        }
        try self.init(owning: pointer)
    }

    /// The certificate as PEM ("BEGIN CERTIFICATE").
    public func pemEncoded() throws -> String {
        resetOpenSSLErrors()
        let bio = try MemoryBIO()
        try openSSLCheck(PEM_write_bio_X509(bio.pointer, pointer), "write the certificate as PEM")
        return String(decoding: bio.contents(), as: UTF8.self)
    }

    deinit { X509_free(pointer) }
}
