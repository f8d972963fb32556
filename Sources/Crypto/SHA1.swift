import ByteCodec
internal import COpenSSL

/// SHA-1 in one call, over OpenSSL's EVP interface. Not for anything that must resist
/// collisions: SPDX 2.3 requires a SHA-1 beside stronger checksums for every file an SBOM
/// lists, and that is its only use here.
public enum SHA1 {
    public static let byteCount = 20

    /// SHA-1 of `bytes` as lowercase hex, as `sha1sum` prints it.
    public static func hexDigest(_ bytes: [UInt8]) throws -> String {
        resetOpenSSLErrors()
        var digest = [UInt8](repeating: 0, count: byteCount)
        var length: UInt32 = 0
        try bytes.withUnsafeBytes { buffer in
            _ = try openSSLCheck(EVP_Digest(buffer.baseAddress, buffer.count, &digest, &length, EVP_sha1(), nil), "compute a SHA-1 digest")
        }
        return Hex.encode(Array(digest[..<Int(length)]))
    }
}
