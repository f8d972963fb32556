import ByteCodec
import Crypto

/// The content of a verity-sig partition (UAPI Discoverable Partitions Specification): which
/// root hash was signed, by which certificate, and the signature.
///
/// ```
/// {"rootHash":"<hex>","certificateFingerprint":"<hex>","signature":"<base64>"} NUL NUL … NUL
/// └──────────────── compact JSON, keys in this order ──────────────────────┘ └ to 16 KiB ┘
/// ```
///
/// `signature` is a DER PKCS#7 detached signature (binary, no signed attributes, signer
/// certificate included) over the exact lowercase hex root-hash string with no newline, the
/// same bytes the kernel checks for `root_hash_sig_key_desc` and systemd-repart writes.
/// A partition of only NUL bytes is an unsigned image.
public struct VeritySignature: Sendable, Equatable {
    /// Lowercase hex root hash.
    public var rootHash: String
    /// Lowercase hex SHA-256 of the signer certificate's DER.
    public var certificateFingerprint: String
    /// DER PKCS#7 detached over the UTF-8 hex root-hash string.
    public var signature: [UInt8]

    /// What systemd-repart reserves for a verity-sig partition.
    public static let partitionSize = 16384

    public init(rootHash: String, certificateFingerprint: String, signature: [UInt8]) {
        self.rootHash = rootHash
        self.certificateFingerprint = certificateFingerprint
        self.signature = signature
    }

    /// Sign `rootHash` with `key`; `certificate` must carry the key's public half.
    /// RSA signatures are deterministic (PKCS#1 v1.5, no signing time); ECDSA ones are not.
    public static func sign(rootHash: [UInt8], key: PrivateKey, certificate: Certificate) throws -> VeritySignature {
        guard !rootHash.isEmpty else {
            throw DMVerityError.invalidRootHash("the root hash to sign is empty")
        }
        let hex = Hex.encode(rootHash)
        let signature = try PKCS7.signDetached(data: Array(hex.utf8), key: key, certificate: certificate)
        return VeritySignature(rootHash: hex, certificateFingerprint: certificate.sha256Fingerprint, signature: signature)
    }

    /// compact JSON {"rootHash":"…","certificateFingerprint":"…","signature":"<base64>"} in
    /// that key order, NUL-padded to `size`; throws if it does not fit (or if a field is not
    /// lowercase hex, which would need JSON escaping and would never verify).
    public func encoded(size: Int = partitionSize) throws -> [UInt8] {
        try Self.checkFields(rootHash: rootHash, fingerprint: certificateFingerprint, signature: signature)
        let json = "{\"rootHash\":\"\(rootHash)\",\"certificateFingerprint\":\"\(certificateFingerprint)\","
            + "\"signature\":\"\(Base64.encode(signature))\"}"
        var bytes = Array(json.utf8)
        guard bytes.count <= size else {
            throw DMVerityError.signatureTooLarge(bytes: bytes.count, partitionSize: size)
        }
        bytes += [UInt8](repeating: 0, count: size - bytes.count)
        return bytes
    }

    /// Parses partition content; returns nil when the content is all zero bytes (an unsigned
    /// image); throws a clear error for malformed JSON/base64/trailing garbage (non-NUL
    /// after the JSON) and for JSON longer than `partitionSize`. Keys may come in any order and unknown keys are ignored, as systemd
    /// reads the partition; every value must be a string and no key may repeat (FlatJSON).
    public static func decode(_ bytes: [UInt8]) throws -> VeritySignature? {
        guard let firstUsed = bytes.firstIndex(where: { $0 != 0 }) else { return nil }
        guard firstUsed == 0 else {
            throw DMVerityError.signatureMalformed("content starts with \(firstUsed) NUL bytes instead of a JSON object")
        }
        let end = bytes.firstIndex(of: 0) ?? bytes.count
        // systemd-repart reserves 16 KiB and `encoded` never writes more JSON than that; a
        // longer text (a partition may be larger) is refused before it is parsed.
        guard end <= partitionSize else {
            throw DMVerityError.signatureMalformed(
                "the JSON is \(end) bytes long; a verity-sig partition's JSON is at most \(partitionSize) bytes")
        }
        if let garbage = bytes[end...].firstIndex(where: { $0 != 0 }) {
            throw DMVerityError.signatureMalformed(
                "byte \(garbage) is 0x\(Hex.encode([bytes[garbage]])) after the JSON ended at byte \(end); "
                    + "everything after the JSON must be NUL")
        }
        let members = try FlatJSON.parseObject(bytes[..<end])
        func string(_ key: String) throws(DMVerityError) -> String {
            guard let member = members.first(where: { $0.key == key }) else {
                throw DMVerityError.signatureMalformed("the JSON object has no \"\(key)\" key")
            }
            return member.value
        }
        let rootHash = try string("rootHash")
        let fingerprint = try string("certificateFingerprint")
        let encodedSignature = try string("signature")
        guard let signature = Base64.decode(encodedSignature) else {
            throw DMVerityError.signatureMalformed("\"signature\" is not valid base64 (\(encodedSignature.count) characters)")
        }
        try checkFields(rootHash: rootHash, fingerprint: fingerprint, signature: signature)
        return VeritySignature(rootHash: rootHash, certificateFingerprint: fingerprint, signature: signature)
    }

    /// Checks fingerprint == certificate's, then the PKCS#7 signature over rootHash with the
    /// certificate (PKCS7.verifyDetached). Throws naming which check failed.
    public func verify(trusting certificate: Certificate) throws {
        guard certificateFingerprint == certificate.sha256Fingerprint else {
            throw DMVerityError.signatureCertificateMismatch(
                signed: certificateFingerprint, trusted: certificate.sha256Fingerprint)
        }
        do {
            try PKCS7.verifyDetached(signature: signature, data: Array(rootHash.utf8), trusting: certificate)
        } catch {
            throw DMVerityError.signatureDoesNotVerify(rootHash: rootHash, reason: "\(error)")
        }
    }

    /// `verify(trusting:)`, and also that the signature is for `rootHash` (the hash just
    /// computed over the image), so a valid signature of another image is rejected.
    public func verify(rootHash expected: [UInt8], trusting certificate: Certificate) throws {
        guard rootHash == Hex.encode(expected) else {
            throw DMVerityError.signatureRootHashMismatch(signed: rootHash, expected: Hex.encode(expected))
        }
        try verify(trusting: certificate)
    }

    private static func checkFields(rootHash: String, fingerprint: String, signature: [UInt8]) throws(DMVerityError) {
        func isLowercaseHex(_ text: String) -> Bool {
            !text.isEmpty && text.utf8.count % 2 == 0
                && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
        }
        guard isLowercaseHex(rootHash) else {
            throw .signatureMalformed("rootHash \"\(rootHash.prefix(80))\" is not a lowercase hex string")
        }
        guard fingerprint.utf8.count == 64, isLowercaseHex(fingerprint) else {
            throw .signatureMalformed(
                "certificateFingerprint \"\(fingerprint.prefix(80))\" is not 64 lowercase hex digits (a SHA-256 fingerprint)")
        }
        guard !signature.isEmpty else {
            throw .signatureMalformed("the signature is empty")
        }
    }
}
