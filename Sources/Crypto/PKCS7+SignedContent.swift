internal import COpenSSL

/// PKCS#7 SignedData that carries its content inside, with a content type of the caller's
/// choosing: the form Authenticode uses (RFC 2315 section 9.1, content type
/// `SpcIndirectDataContent`), which Windows, `sbverify`, UEFI firmware and the kernel's
/// `verify_pefile_signature` read.
///
/// The content is embedded as an ASN.1 `ANY` (a SEQUENCE), not wrapped in an OCTET STRING as
/// CMS (RFC 5652) would do it: PKCS#7 version 1.5 readers expect the bare value. As RFC 2315
/// section 9.3 says, the message digest covers only the *contents octets* of that value: its
/// DER without the outer tag and length.
///
/// Signed attributes are exactly contentType, messageDigest and whatever the caller adds; no
/// signingTime and no S/MIME capabilities, so an RSA (PKCS#1 v1.5) signature over the same
/// content with the same key is byte-for-byte the same every time.
extension PKCS7 {
    /// A signed attribute the caller adds beside contentType and messageDigest.
    public struct SignedAttribute: Sendable, Equatable {
        /// The attribute type in dotted form, e.g. "1.3.6.1.4.1.311.2.1.12" (SpcSpOpusInfo).
        public var type: String
        /// The attribute's single value as complete DER; it must be a SEQUENCE (tag 0x30).
        public var sequenceDER: [UInt8]

        public init(type: String, sequenceDER: [UInt8]) {
            self.type = type
            self.sequenceDER = sequenceDER
        }
    }

    /// The content of a verified SignedData.
    public struct SignedContent: Sendable, Equatable {
        /// The content type in dotted form ("1.3.6.1.4.1.311.2.1.4" for Authenticode).
        public var contentType: String
        /// The content's complete DER (tag, length and contents octets).
        public var contentDER: [UInt8]
    }

    /// Sign `contentDER` (one DER SEQUENCE) as content of type `contentType` with SHA-256,
    /// embedding the content and the signer's certificate; returns the DER ContentInfo.
    public static func signEmbedded(
        contentDER: [UInt8], contentType: String, key: PrivateKey, certificate: Certificate,
        signedAttributes: [SignedAttribute] = []
    ) throws -> [UInt8] {
        resetOpenSSLErrors()
        guard key.matches(certificate) else {
            throw CryptoError.keyDoesNotMatchCertificate(subject: certificate.subject)
        }
        let contents = try sequenceContents(of: contentDER, what: "the content to sign")
        let type = try ownedObject(contentType)
        defer { ASN1_OBJECT_free(type) }

        let p7 = try openSSLCheck(PKCS7_new(), "allocate a PKCS#7 structure")
        defer { PKCS7_free(p7) }
        try openSSLCheck(PKCS7_set_type(p7, NID_pkcs7_signed), "make the PKCS#7 structure a SignedData")
        try setContent(of: p7, type: contentType, contentDER: contentDER)
        let signer = try openSSLCheck(
            PKCS7_add_signature(p7, certificate.pointer, key.pointer, EVP_sha256()),
            "add a SHA-256 signer for \(certificate.subject)")
        try openSSLCheck(PKCS7_add_certificate(p7, certificate.pointer), "embed the signer certificate")

        try addSignedAttributes(to: signer, contentType: type, digest: try SHA256.hash(Array(contents)))
        for attribute in signedAttributes {
            try addSignedAttribute(attribute, to: signer)
        }
        // Signs the DER of the (sorted) signed attributes: RFC 2315 section 9.3.
        try openSSLCheck(PKCS7_SIGNER_INFO_sign(signer), "sign the signed attributes with \(certificate.subject)")
        return try derEncoding(of: p7)
    }

    /// Verify a SignedData with embedded content made by `certificate`'s key, and return the
    /// content. Throws `CryptoError.verificationFailed` when the signature, the messageDigest
    /// attribute or the contentType attribute does not match.
    ///
    /// As `verifyDetached`, the certificate is trusted directly (no chain, no purpose checks),
    /// and certificates embedded in the signature are not used to find the signer.
    public static func verifyEmbedded(signature: [UInt8], trusting certificate: Certificate) throws -> SignedContent {
        resetOpenSSLErrors()
        let p7 = try parse(signature)
        defer { PKCS7_free(p7) }
        let embedded = try embeddedContent(of: p7)
        let contents = try sequenceContents(of: embedded.contentDER, what: "the embedded content")
        try checkContentTypeAttributes(of: p7, contentType: embedded.contentType)
        // The contents octets are passed as the data: OpenSSL cannot digest an ANY content
        // itself (it reads only OCTET STRING content), and they are what was digested.
        try verifySignature(p7, over: Array(contents), trusting: certificate)
        return embedded
    }

    // MARK: - Signing steps

    /// The inner ContentInfo `{ contentType, [0] EXPLICIT content }`, built as DER and read
    /// back with `d2i_PKCS7`: OpenSSL keeps an unknown content type as an ASN.1 `ANY`, which
    /// it writes out unchanged.
    private static func setContent(of p7: UnsafeMutablePointer<COpenSSL.PKCS7>, type: String, contentDER: [UInt8]) throws {
        let oid = try objectDER(type)
        let contentInfo = DER.encode(tag: DER.Tag.sequence, oid + DER.encode(tag: DER.Tag.contextConstructed(0), contentDER))
        let inner = try parse(contentInfo)
        guard PKCS7_set_content(p7, inner) == 1 else {
            PKCS7_free(inner)
            throw CryptoError.openSSL(operation: "embed the content of type \(type)", reasons: drainOpenSSLErrors())
        }
    }

    private static func addSignedAttributes(
        to signer: UnsafeMutablePointer<PKCS7_SIGNER_INFO>, contentType: OpaquePointer, digest: [UInt8]
    ) throws {
        // PKCS7_add_signed_attribute takes ownership of the value it is given.
        let type = try openSSLCheck(OBJ_dup(contentType), "copy the content type")
        guard PKCS7_add_signed_attribute(signer, NID_pkcs9_contentType, V_ASN1_OBJECT, UnsafeMutableRawPointer(type)) == 1 else {
            ASN1_OBJECT_free(type)
            throw CryptoError.openSSL(operation: "add the contentType attribute", reasons: drainOpenSSLErrors())
        }
        let octets = try openSSLCheck(ASN1_OCTET_STRING_new(), "allocate the messageDigest value")
        guard ASN1_OCTET_STRING_set(octets, digest, Int32(digest.count)) == 1,
            PKCS7_add_signed_attribute(signer, NID_pkcs9_messageDigest, V_ASN1_OCTET_STRING, UnsafeMutableRawPointer(octets)) == 1
        else {
            ASN1_OCTET_STRING_free(octets)
            throw CryptoError.openSSL(operation: "add the messageDigest attribute", reasons: drainOpenSSLErrors())
        }
    }

    private static func addSignedAttribute(_ attribute: SignedAttribute, to signer: UnsafeMutablePointer<PKCS7_SIGNER_INFO>) throws {
        _ = try sequenceContents(of: attribute.sequenceDER, what: "the value of signed attribute \(attribute.type)")
        let type = try ownedObject(attribute.type)
        defer { ASN1_OBJECT_free(type) }
        // A SEQUENCE-typed ASN1_TYPE holds its complete encoding, which i2d writes unchanged.
        let added = attribute.sequenceDER.withUnsafeBufferPointer { value in
            X509at_add1_attr_by_OBJ(&signer.pointee.auth_attr, type, V_ASN1_SEQUENCE, value.baseAddress, Int32(value.count))
        }
        _ = try openSSLCheck(added, "add the signed attribute \(attribute.type)")
    }

    // MARK: - Verification steps

    private static func embeddedContent(of p7: UnsafeMutablePointer<COpenSSL.PKCS7>) throws -> SignedContent {
        guard OBJ_obj2nid(p7.pointee.type) == NID_pkcs7_signed, let signed = p7.pointee.d.sign else {
            throw CryptoError.invalidArgument(
                "the PKCS#7 structure is a \(objectText(p7.pointee.type)), not a SignedData (1.2.840.113549.1.7.2)")
        }
        guard let inner = signed.pointee.contents, let other = inner.pointee.d.other,
            other.pointee.type == V_ASN1_SEQUENCE, let value = other.pointee.value.sequence
        else {
            throw CryptoError.invalidArgument(
                "the SignedData carries no embedded SEQUENCE content; a PKCS#7 version 1.5 signature with its "
                    + "content (as Authenticode writes it) is expected, not a detached or CMS-style one")
        }
        let length = Int(ASN1_STRING_length(value))
        guard length > 0, let bytes = ASN1_STRING_get0_data(value) else {
            throw CryptoError.invalidArgument("the SignedData's embedded content is empty")
        }
        return SignedContent(
            contentType: objectText(inner.pointee.type), contentDER: Array(UnsafeBufferPointer(start: bytes, count: length)))
    }

    /// Every signer must state the content type it signed, and it must be the content's own
    /// (RFC 2315 section 9.2; the kernel's PKCS#7 parser rejects a mismatch the same way).
    private static func checkContentTypeAttributes(of p7: UnsafeMutablePointer<COpenSSL.PKCS7>, contentType: String) throws {
        let signers = try openSSLCheck(PKCS7_get_signer_info(p7), "list the signers")
        let count = OPENSSL_sk_num(signers)
        guard count > 0 else { throw CryptoError.verificationFailed(reasons: ["the signature has no signer"]) }
        for index in 0..<count {
            let signer = OpaquePointer(OPENSSL_sk_value(signers, index))
            let attribute = PKCS7_get_signed_attribute(UnsafePointer(signer), NID_pkcs9_contentType)
            guard let attribute, attribute.pointee.type == V_ASN1_OBJECT, let object = attribute.pointee.value.object else {
                throw CryptoError.verificationFailed(reasons: ["signer \(index + 1) has no contentType signed attribute"])
            }
            let signed = objectText(object)
            guard signed == contentType else {
                throw CryptoError.verificationFailed(
                    reasons: ["signer \(index + 1) signed content type \(signed), but the content is \(contentType)"])
            }
        }
    }

    // MARK: - Helpers

    /// `d2i_PKCS7` of exactly `der`: trailing bytes are refused, as the kernel refuses them.
    static func parse(_ der: [UInt8]) throws -> UnsafeMutablePointer<COpenSSL.PKCS7> {
        let (parsed, consumed) = der.withUnsafeBufferPointer { buffer -> (UnsafeMutablePointer<COpenSSL.PKCS7>?, Int) in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            let p7 = d2i_PKCS7(nil, &cursor, buffer.count)
            return (p7, cursor.flatMap { end in buffer.baseAddress.map { end - $0 } } ?? 0)
        }
        let p7 = try openSSLCheck(parsed, "read a DER PKCS#7 structure of \(der.count) bytes")
        guard consumed == der.count else {
            PKCS7_free(p7)
            throw CryptoError.invalidArgument(
                "the \(der.count)-byte PKCS#7 structure is followed by \(der.count - consumed) extra bytes")
        }
        return p7
    }

    /// `DER.sequenceContents` with its error as a `CryptoError`.
    private static func sequenceContents(of der: [UInt8], what: String) throws -> ArraySlice<UInt8> {
        do {
            return try DER.sequenceContents(of: der, what: what)
        } catch {
            throw CryptoError.invalidArgument("\(error.description); a single DER SEQUENCE is expected")
        }
    }

    /// An ASN.1 object for a dotted OID (numeric form only, so a name cannot be mistaken for one).
    private static func ownedObject(_ dotted: String) throws -> OpaquePointer {
        guard let object = OBJ_txt2obj(dotted, 1) else {
            throw CryptoError.invalidArgument(
                "\"\(dotted)\" is not an object identifier in dotted form, such as 1.3.6.1.4.1.311.2.1.4")
        }
        return object
    }

    /// The DER of a dotted OID (tag 0x06, length, value).
    private static func objectDER(_ dotted: String) throws -> [UInt8] {
        let object = try ownedObject(dotted)
        defer { ASN1_OBJECT_free(object) }
        let length = i2d_ASN1_OBJECT(object, nil)
        var der = [UInt8](repeating: 0, count: Int(max(length, 0)))
        let written = der.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d_ASN1_OBJECT(object, &cursor)
        }
        guard length > 0, written == length else {
            throw CryptoError.openSSL(operation: "encode the object identifier \(dotted)", reasons: drainOpenSSLErrors())
        }
        return der
    }

    /// An object identifier in dotted form ("1.2.840.113549.1.7.2").
    private static func objectText(_ object: OpaquePointer?) -> String {
        guard let object else { return "missing object identifier" }
        var buffer = [CChar](repeating: 0, count: 128)
        let length = OBJ_obj2txt(&buffer, Int32(buffer.count), object, 1)
        guard length > 0, Int(length) < buffer.count else { return "unprintable object identifier" }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
