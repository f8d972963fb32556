import ByteCodec
internal import COpenSSL

/// Incremental SHA-256 over OpenSSL's EVP interface.
///
/// Non-copyable because it owns an `EVP_MD_CTX`: a copy would share (and double-free) the
/// context. `finalize()` consumes the hasher, so a finished hash cannot be updated by mistake.
/// Large artefacts (images, verity trees) are hashed chunk by chunk through `update`.
public struct SHA256: ~Copyable {
    /// Digest length in bytes.
    public static let byteCount = 32

    private let context: OpaquePointer

    public init() throws {
        resetOpenSSLErrors()
        let context = try openSSLCheck(EVP_MD_CTX_new(), "allocate a SHA-256 context")
        do {
            try openSSLCheck(EVP_DigestInit_ex(context, EVP_sha256(), nil), "start a SHA-256 digest")
        } catch {
            EVP_MD_CTX_free(context)
            throw error
        }
        self.context = context
    }

    public mutating func update(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try update($0) }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) throws {
        guard bytes.count > 0 else { return }
        try openSSLCheck(EVP_DigestUpdate(context, bytes.baseAddress, bytes.count), "add \(bytes.count) bytes to SHA-256")
    }

    /// The 32-byte digest. Consumes the hasher; its context is freed right after.
    public consuming func finalize() throws -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Self.byteCount)
        var length: UInt32 = 0
        try openSSLCheck(EVP_DigestFinal_ex(context, &digest, &length), "finish the SHA-256 digest")
        return Array(digest[..<Int(length)])
    }

    /// SHA-256 of `bytes` in one call.
    public static func hash(_ bytes: [UInt8]) throws -> [UInt8] {
        var hasher = try SHA256()
        try hasher.update(bytes)
        return try hasher.finalize()
    }

    /// SHA-256 of `bytes` as lowercase hex, as `sha256sum` prints it.
    public static func hexDigest(_ bytes: [UInt8]) throws -> String {
        Hex.encode(try hash(bytes))
    }

    deinit { EVP_MD_CTX_free(context) }
}

/// HMAC-SHA256 (RFC 2104) in one call, for keyed integrity tags on build artefacts.
public enum HMACSHA256 {
    public static let byteCount = 32

    public static func authenticationCode(for message: [UInt8], key: [UInt8]) throws -> [UInt8] {
        resetOpenSSLErrors()
        guard key.count <= Int(Int32.max) else {
            throw CryptoError.invalidArgument("HMAC key of \(key.count) bytes is too long; keys longer than the SHA-256 block are hashed anyway, so hash it first")
        }
        var code = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        let result = key.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { messageBytes in
                HMAC(
                    EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count),
                    messageBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), messageBytes.count,
                    &code, &length)
            }
        }
        _ = try openSSLCheck(result, "compute HMAC-SHA256")
        return Array(code[..<Int(length)])
    }

    /// Compare a received tag with the expected one in constant time, so timing does not
    /// reveal how many leading bytes matched.
    public static func isValid(_ code: [UInt8], for message: [UInt8], key: [UInt8]) throws -> Bool {
        let expected = try authenticationCode(for: message, key: key)
        guard code.count == expected.count else { return false }
        return code.withUnsafeBytes { a in
            expected.withUnsafeBytes { b in CRYPTO_memcmp(a.baseAddress, b.baseAddress, a.count) == 0 }
        }
    }
}

/// MD5 in one call, for formats that require it (dpkg's md5sums and conffile hashes) — never
/// for anything that needs collision resistance.
public enum MD5 {
    public static func hexDigest(_ bytes: [UInt8]) throws -> String {
        var digest = [UInt8](repeating: 0, count: 16)
        var length: UInt32 = 0
        try bytes.withUnsafeBytes { buffer in
            try openSSLCheck(EVP_Digest(buffer.baseAddress, buffer.count, &digest, &length, EVP_md5(), nil), "compute an MD5 digest")
        }
        return Hex.encode(Array(digest.prefix(Int(length))))
    }
}
