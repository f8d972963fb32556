import ByteCodec
import Crypto

extension PE.Authenticode {
    /// `SpcIndirectDataContent` (Authenticode PE specification, "Authenticode Signature
    /// Format"), the content an Authenticode PKCS#7 signs:
    ///
    /// ```
    /// SpcIndirectDataContent ::= SEQUENCE {
    ///     data          SpcAttributeTypeAndOptionalValue ::= SEQUENCE {
    ///                       type   OID 1.3.6.1.4.1.311.2.1.15 (SPC_PE_IMAGE_DATAOBJ),
    ///                       value  SpcPeImageData ::= SEQUENCE {
    ///                                  flags  BIT STRING (empty),
    ///                                  file   [0] SpcLink: [2] file SpcString:
    ///                                         [0] unicode BMPString "<<<Obsolete>>>" } },
    ///     messageDigest DigestInfo ::= SEQUENCE {
    ///                       digestAlgorithm  SEQUENCE { OID sha256, NULL },
    ///                       digest           OCTET STRING (32 bytes) } }
    /// ```
    ///
    /// The flags and the obsolete file link are what signtool, sbsign and pesign write; the
    /// specification says verifiers ignore them.
    enum IndirectData {
        /// SPC_INDIRECT_DATA_OBJID, the PKCS#7 content type.
        static let contentType = "1.3.6.1.4.1.311.2.1.4"
        /// SPC_SP_OPUS_INFO_OBJID: a signed attribute for a program name and URL, both optional;
        /// signtool always adds it, so it is added (empty) for tools that look for it.
        static let opusInfo = PKCS7.SignedAttribute(type: "1.3.6.1.4.1.311.2.1.12", sequenceDER: [0x30, 0x00])

        /// DER of OID 1.3.6.1.4.1.311.2.1.15, SPC_PE_IMAGE_DATAOBJ.
        static let peImageDataOID: [UInt8] = [0x06, 0x0A, 0x2B, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x01, 0x0F]
        /// DER of OID 2.16.840.1.101.3.4.2.1, id-sha256 (RFC 5754).
        static let sha256OID: [UInt8] = [0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01]

        /// The DER of the content for an image whose Authenticode SHA-256 digest is `digest`.
        static func encode(digest: [UInt8]) -> [UInt8] {
            let obsolete = "<<<Obsolete>>>".utf16.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }  // BMPString: UTF-16BE
            let link = DER.encode(
                tag: DER.Tag.contextConstructed(2), DER.encode(tag: DER.Tag.contextPrimitive(0), obsolete))
            let peImageData = DER.encode(
                tag: DER.Tag.sequence,
                DER.encode(tag: DER.Tag.bitString, [0x00]) + DER.encode(tag: DER.Tag.contextConstructed(0), link))
            let data = DER.encode(tag: DER.Tag.sequence, peImageDataOID + peImageData)
            let algorithm = DER.encode(tag: DER.Tag.sequence, sha256OID + DER.encode(tag: DER.Tag.null, []))
            let digestInfo = DER.encode(tag: DER.Tag.sequence, algorithm + DER.encode(tag: DER.Tag.octetString, digest))
            return DER.encode(tag: DER.Tag.sequence, data + digestInfo)
        }

        /// The SHA-256 digest `content` (the DER of an SpcIndirectDataContent) carries, after
        /// checking that it describes a PE image and uses SHA-256.
        static func digest(in content: [UInt8]) throws(PEError) -> [UInt8] {
            do {
                var outer = DER.Reader(content)
                let indirect = try outer.read(DER.Tag.sequence, "SpcIndirectDataContent")
                try outer.expectEnd("SpcIndirectDataContent")
                var fields = DER.Reader(indirect.contents)
                var data = DER.Reader(try fields.read(DER.Tag.sequence, "SpcAttributeTypeAndOptionalValue").contents)
                var digestInfo = DER.Reader(try fields.read(DER.Tag.sequence, "DigestInfo").contents)
                try fields.expectEnd("SpcIndirectDataContent")

                let type = try data.read(DER.Tag.objectIdentifier, "SpcAttributeTypeAndOptionalValue type")
                guard Array(type.encoding) == peImageDataOID else {
                    throw PEError.invalidSignedContent(
                        "its data type is OID \(Hex.encode(type.contents)) (hex), not SPC_PE_IMAGE_DATAOBJ 1.3.6.1.4.1.311.2.1.15")
                }
                var algorithm = DER.Reader(try digestInfo.read(DER.Tag.sequence, "DigestInfo digestAlgorithm").contents)
                let digest = try digestInfo.read(DER.Tag.octetString, "DigestInfo digest")
                try digestInfo.expectEnd("DigestInfo")
                let oid = try algorithm.read(DER.Tag.objectIdentifier, "DigestInfo algorithm")
                if algorithm.nextTag == DER.Tag.null { _ = try algorithm.read(DER.Tag.null, "DigestInfo parameters") }
                try algorithm.expectEnd("DigestInfo digestAlgorithm")
                guard Array(oid.encoding) == sha256OID, digest.contents.count == 32 else {
                    throw PEError.invalidSignedContent(
                        "its digest is \(digest.contents.count) bytes with algorithm OID \(Hex.encode(oid.contents)) (hex); "
                            + "only SHA-256 (2.16.840.1.101.3.4.2.1, 32 bytes) is accepted")
                }
                return Array(digest.contents)
            } catch let error as DER.DecodingError {
                throw .invalidSignedContent(error.description)
            } catch let error as PEError {
                throw error
            } catch {
                throw .invalidSignedContent("\(error)")
            }
        }
    }
}
