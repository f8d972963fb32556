import ByteCodec

extension PE {
    /// The attribute certificate table of a signed image (PE Format, "The Attribute
    /// Certificate Table (Image Only)"): one `WIN_CERTIFICATE`, quadword-aligned, at the end of
    /// the file, found through data directory 4, whose address is a file offset.
    ///
    /// ```
    /// +0 dwLength          u32: 8 + the PKCS#7 length, without the padding
    /// +4 wRevision         u16: 0x0200 (WIN_CERT_REVISION_2_0)
    /// +6 wCertificateType  u16: 0x0002 (WIN_CERT_TYPE_PKCS_SIGNED_DATA)
    /// +8 bCertificate      DER PKCS#7 SignedData, zero-padded to a multiple of 8
    /// ```
    ///
    /// The directory's Size is dwLength rounded up to 8. The kernel's `pefile_strip_sig_wrapper`
    /// insists on exactly that, so a table holds one signature: a second one (as `sbsign`
    /// appends to a signed image) would break the kernel's check, which is why signing
    /// replaces a signature instead of adding one.
    enum WinCertificate {
        static let headerSize = 8
        static let revision2: UInt16 = 0x0200
        static let typePKCSSignedData: UInt16 = 0x0002

        /// The entry for `signature`, padded to 8 bytes.
        static func encode(_ signature: [UInt8]) -> [UInt8] {
            var entry: [UInt8] = []
            entry.appendInteger(UInt32(headerSize + signature.count), endianness: .little)
            entry.appendInteger(revision2, endianness: .little)
            entry.appendInteger(typePKCSSignedData, endianness: .little)
            entry += signature
            return entry + [UInt8](repeating: 0, count: align(entry.count, to: 8) - entry.count)
        }

        /// The PKCS#7 bytes of the one entry `table` describes, checked as the kernel checks.
        static func signature(in image: Image, table: DataDirectory) throws(PEError) -> [UInt8] {
            let file = FieldReader(image.bytes)
            let offset = Int(table.virtualAddress)
            guard Int(table.size) >= headerSize else {
                throw .invalidCertificateTable(offset: table.virtualAddress, size: table.size,
                                               problem: "is smaller than a WIN_CERTIFICATE header (8 bytes)")
            }
            let length = try file.u32("WIN_CERTIFICATE dwLength", at: offset)
            guard align(Int(length), to: 8) == Int(table.size), Int(length) > headerSize else {
                throw .invalidCertificateEntry(
                    field: "dwLength", value: length,
                    expected: "more than 8 and, rounded up to 8, the table size \(table.size): one signature")
            }
            let revision = try file.u16("WIN_CERTIFICATE wRevision", at: offset + 4)
            guard revision == revision2 else {
                throw .invalidCertificateEntry(field: "wRevision", value: UInt32(revision), expected: "0x200")
            }
            let type = try file.u16("WIN_CERTIFICATE wCertificateType", at: offset + 6)
            guard type == typePKCSSignedData else {
                throw .invalidCertificateEntry(
                    field: "wCertificateType", value: UInt32(type), expected: "0x2 (PKCS#7 SignedData)")
            }
            return Array(try file.bytes("the PKCS#7 signature", at: offset + headerSize, count: Int(length) - headerSize))
        }
    }
}
