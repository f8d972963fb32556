import ByteCodec
import Crypto

extension PE {
    /// Authenticode signatures of PE images ("Windows Authenticode Portable Executable
    /// Signature Format", section "Calculating the PE Image Hash"), as UEFI firmware with
    /// Secure Boot, shim, `sbverify` and the kernel's `verify_pefile_signature` check them.
    ///
    /// The image hash covers, in this order:
    ///
    /// ```
    /// 1. the headers from offset 0 to SizeOfHeaders, except the optional header's CheckSum
    ///    (4 bytes) and the certificate table's data directory entry (8 bytes);
    /// 2. each section's raw data (SizeOfRawData bytes at PointerToRawData), sections sorted
    ///    by PointerToRawData, those with no raw data left out;
    /// 3. the bytes from SizeOfHeaders + the sum of the sections' SizeOfRawData up to the
    ///    certificate table, which comes last and is not hashed.
    /// ```
    ///
    /// Why the kernel is signed too: a host updates by `kexec_file_load` of the new UKI's
    /// kernel, and under lockdown (Secure Boot) the kernel accepts only a kernel whose PE
    /// signature verifies against its keyrings (`kexec_image_verify_sig`), checked by the same
    /// `verify_pefile_signature`.
    public enum Authenticode {
        /// The SHA-256 Authenticode image hash of `image`.
        public static func digest(of image: [UInt8]) throws -> [UInt8] {
            let parsed = try Image(image)
            let regions = try hashedRegions(of: parsed)
            var hasher = try SHA256()
            for region in regions {
                try image.withUnsafeBytes { raw in
                    try hasher.update(UnsafeRawBufferPointer(rebasing: raw[region]))
                }
            }
            return try hasher.finalize()
        }

        /// `image` signed with `key`, replacing any signature it had (a signed Debian kernel
        /// arrives with Debian's): the image without its certificate table is padded with zeros
        /// to a multiple of 8, hashed, and one WIN_CERTIFICATE with a PKCS#7 SignedData over
        /// its SpcIndirectDataContent is appended. Signed attributes are contentType,
        /// messageDigest and an empty SpcSpOpusInfo; there is no signing time, so the same
        /// image, key and certificate give the same bytes. CheckSum is set to 0.
        ///
        /// The key must be RSA: that is what firmware verifies, and RSA PKCS#1 v1.5 signatures
        /// are deterministic where ECDSA's are not.
        public static func sign(_ image: [UInt8], key: PrivateKey, certificate: Certificate) throws -> [UInt8] {
            guard key.algorithm == "RSA" else { throw PEError.unsupportedKey(algorithm: key.algorithm) }
            var unsigned = try strip(image)
            unsigned += [UInt8](repeating: 0, count: align(unsigned.count, to: 8) - unsigned.count)
            let parsed = try Image(unsigned)
            // A CheckSum would be stale once the table is appended; it is not hashed either way.
            unsigned.setInteger(UInt32(0), at: parsed.checkSumOffset, endianness: .little)
            guard parsed.dataDirectories.count > certificateTableIndex else {
                throw PEError.noCertificateDirectory(numberOfRvaAndSizes: UInt32(parsed.dataDirectories.count))
            }
            let content = IndirectData.encode(digest: try digest(of: unsigned))
            let signature = try PKCS7.signEmbedded(
                contentDER: content, contentType: IndirectData.contentType, key: key, certificate: certificate,
                signedAttributes: [IndirectData.opusInfo])
            guard signature.count > 4, signature[1] == 0x82 else {
                throw PEError.invalidField(
                    field: "the PKCS#7 signature's size", value: UInt64(signature.count),
                    expected: "a two-byte DER length (260 to 65539 bytes), the only form the kernel's "
                        + "pefile_strip_sig_wrapper reads; use a certificate of ordinary size")
            }
            let entry = WinCertificate.encode(signature)
            guard unsigned.count + entry.count <= Int(UInt32.max) else {
                throw PEError.tooLarge(what: "the signed image's size", value: unsigned.count + entry.count, limit: Int(UInt32.max))
            }
            var signed = unsigned
            let directory = parsed.dataDirectoryOffset(certificateTableIndex)
            signed.setInteger(UInt32(unsigned.count), at: directory, endianness: .little)
            signed.setInteger(UInt32(entry.count), at: directory + 4, endianness: .little)
            signed += entry
            return signed
        }

        /// Check that `image` carries an Authenticode signature made with `certificate`'s key
        /// over its current contents: the PKCS#7 signature verifies against the certificate
        /// (trusted directly, as a key in the kernel's keyring is), its signed content is a PE
        /// image SHA-256 digest, and that digest is the image's. Throws `PEError` for a missing
        /// or malformed signature or a changed image, `CryptoError.verificationFailed` for a
        /// signature by another key.
        public static func verify(_ image: [UInt8], trusting certificate: Certificate) throws {
            let parsed = try Image(image)
            let signature = try signature(in: parsed)
            let content = try PKCS7.verifyEmbedded(signature: signature, trusting: certificate)
            guard content.contentType == IndirectData.contentType else {
                throw PEError.invalidSignedContent(
                    "its content type is \(content.contentType), not SpcIndirectDataContent (\(IndirectData.contentType))")
            }
            let signed = try IndirectData.digest(in: content.contentDER)
            let computed = try digest(of: image)
            guard signed == computed else {
                throw PEError.digestMismatch(signed: Hex.encode(signed), computed: Hex.encode(computed))
            }
        }

        /// The DER PKCS#7 SignedData of a signed image, for inspection (`openssl pkcs7 -inform DER`).
        public static func signature(of image: [UInt8]) throws -> [UInt8] {
            try signature(in: try Image(image))
        }

        /// `image` without its certificate table: the table's bytes cut off, its directory entry
        /// and CheckSum zeroed. An unsigned image is returned as it is.
        public static func strip(_ image: [UInt8]) throws -> [UInt8] {
            let parsed = try Image(image)
            guard let table = try certificateTable(of: parsed) else { return image }
            var stripped = Array(image[0..<Int(table.virtualAddress)])
            stripped.setInteger(UInt64(0), at: parsed.dataDirectoryOffset(certificateTableIndex), endianness: .little)
            stripped.setInteger(UInt32(0), at: parsed.checkSumOffset, endianness: .little)
            return stripped
        }

        // MARK: - Regions

        private static func signature(in image: Image) throws -> [UInt8] {
            guard let table = try certificateTable(of: image) else { throw PEError.notSigned }
            return try WinCertificate.signature(in: image, table: table)
        }

        /// The certificate table, if any, after checking that it is the last thing in the file
        /// and overlaps neither the headers nor any section's data, which is what makes the
        /// hash's third region well defined.
        static func certificateTable(of image: Image) throws(PEError) -> DataDirectory? {
            guard let table = image.certificateTable else { return nil }
            let end = image.sections.map(\.rawRange.upperBound).reduce(Int(image.sizeOfHeaders), max)
            guard Int(table.virtualAddress) >= end else {
                throw .invalidCertificateTable(
                    offset: table.virtualAddress, size: table.size,
                    problem: "overlaps the headers or section data, which end at offset \(end)")
            }
            guard Int(table.virtualAddress) + Int(table.size) == image.bytes.count else {
                throw .invalidCertificateTable(
                    offset: table.virtualAddress, size: table.size,
                    problem: "is not at the end of the \(image.bytes.count)-byte file, where Authenticode keeps it")
            }
            return table
        }

        /// The byte ranges the image hash covers, in hashing order.
        static func hashedRegions(of image: Image) throws(PEError) -> [Range<Int>] {
            guard image.dataDirectories.count > certificateTableIndex else {
                throw .noCertificateDirectory(numberOfRvaAndSizes: UInt32(image.dataDirectories.count))
            }
            let checkSum = image.checkSumOffset
            let entry = image.dataDirectoryOffset(certificateTableIndex)
            let headers = Int(image.sizeOfHeaders)
            var regions = [0..<checkSum, (checkSum + 4)..<entry, (entry + Layout.dataDirectorySize)..<headers]

            let sorted = image.sections.filter { $0.sizeOfRawData > 0 }.sorted(by: precedes)
            regions += sorted.map(\.rawRange)

            let hashed = headers + sorted.reduce(0) { $0 + Int($1.sizeOfRawData) }
            let tableStart = try certificateTable(of: image).map { Int($0.virtualAddress) } ?? image.bytes.count
            if hashed < tableStart { regions.append(hashed..<tableStart) }
            return regions
        }

        /// The kernel's canonical section order (`pefile_compare_shdrs`): by PointerToRawData,
        /// then VirtualAddress, name (as `strcmp`), VirtualSize and SizeOfRawData.
        private static func precedes(_ a: Section, _ b: Section) -> Bool {
            if a.pointerToRawData != b.pointerToRawData { return a.pointerToRawData < b.pointerToRawData }
            if a.virtualAddress != b.virtualAddress { return a.virtualAddress < b.virtualAddress }
            if a.nameBytes != b.nameBytes { return a.nameBytes.lexicographicallyPrecedes(b.nameBytes) }
            if a.virtualSize != b.virtualSize { return a.virtualSize < b.virtualSize }
            return a.sizeOfRawData < b.sizeOfRawData
        }
    }
}
