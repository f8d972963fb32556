/// Everything reading, assembling or signing a PE image can reject, with the values involved
/// and, where there is one, the fix.
public enum PEError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file ends before `what` (`needed` bytes at `offset`).
    case truncated(what: String, offset: Int, needed: Int, fileSize: Int)
    /// A signature that identifies the format is wrong ("MZ", "PE\0\0").
    case badSignature(what: String, found: String, expected: String)
    /// A 32-bit PE32 image: UEFI on x86-64 runs PE32+ only.
    case pe32NotSupported
    /// An optional header Magic that is neither PE32 nor PE32+.
    case unknownOptionalHeaderMagic(UInt16)
    /// A header field with a value no valid image has; `expected` says what would be valid.
    case invalidField(field: String, value: UInt64, expected: String)
    /// A section's data lies (partly) outside the file.
    case sectionOutsideFile(section: String, offset: UInt32, size: UInt32, fileSize: Int)
    /// The certificate table is not where a signed image keeps it.
    case invalidCertificateTable(offset: UInt32, size: UInt32, problem: String)
    /// A WIN_CERTIFICATE field with a value the kernel and firmware refuse.
    case invalidCertificateEntry(field: String, value: UInt32, expected: String)
    /// The image has no data directory entry 4, so it has nowhere to record a signature.
    case noCertificateDirectory(numberOfRvaAndSizes: UInt32)
    /// A section name that cannot be stored in the 8-byte Name field.
    case invalidSectionName(name: String, problem: String)
    /// A section that would appear twice.
    case duplicateSection(String)
    /// A section with no bytes.
    case emptySection(String)
    /// The section table does not fit before the first section's data.
    case sectionTableFull(needed: Int, sizeOfHeaders: Int, firstSectionData: Int)
    /// A value that does not fit its 32-bit field.
    case tooLarge(what: String, value: Int, limit: Int)
    /// `verify` or `signature` on an image without a certificate table.
    case notSigned
    /// The signature's content is not the SpcIndirectDataContent of a PE image.
    case invalidSignedContent(String)
    /// The image's Authenticode digest is not the one that was signed.
    case digestMismatch(signed: String, computed: String)
    /// A signing key the boot chain cannot verify.
    case unsupportedKey(algorithm: String)

    public var description: String {
        switch self {
        case let .truncated(what, offset, needed, fileSize):
            return "truncated PE image: \(what) needs \(needed) bytes at offset \(offset), but the file has \(fileSize) bytes"
        case let .badSignature(what, found, expected):
            return "not a PE image: \(what) is \(found), expected \(expected)"
        case .pe32NotSupported:
            return "the image is PE32 (optional header Magic 0x10b, 32-bit); x86-64 UEFI and the kernel's EFI stub "
                + "need PE32+ (0x20b): use the x86-64 build of the stub or kernel"
        case let .unknownOptionalHeaderMagic(magic):
            return "optional header Magic is 0x\(String(magic, radix: 16)); a PE32+ image has 0x20b"
        case let .invalidField(field, value, expected):
            return "\(field) is \(value) (0x\(String(value, radix: 16))); expected \(expected)"
        case let .sectionOutsideFile(section, offset, size, fileSize):
            return "section \(section) has \(size) bytes of data at offset \(offset), past the end of the "
                + "\(fileSize)-byte file"
        case let .invalidCertificateTable(offset, size, problem):
            return "certificate table (\(size) bytes at offset \(offset)) \(problem)"
        case let .invalidCertificateEntry(field, value, expected):
            return "WIN_CERTIFICATE \(field) is 0x\(String(value, radix: 16)); expected \(expected)"
        case let .noCertificateDirectory(count):
            return "the optional header has \(count) data directories, so no certificate table entry (index 4); "
                + "an image that can be signed has at least 5"
        case let .invalidSectionName(name, problem):
            return "section name \"\(name)\" \(problem); a PE section name is 1 to 8 bytes of UTF-8 without NUL"
        case let .duplicateSection(name):
            return "section \(name) would appear twice; systemd-stub uses one of each, so pass it once "
                + "(or use a stub without it)"
        case let .emptySection(name):
            return "section \(name) is empty; leave it out instead"
        case let .sectionTableFull(needed, sizeOfHeaders, firstSectionData):
            return "the section table needs \(needed) bytes of headers but SizeOfHeaders is \(sizeOfHeaders) and the "
                + "first section's data starts at offset \(firstSectionData); add fewer sections or use a stub "
                + "linked with room in its headers"
        case let .tooLarge(what, value, limit):
            return "\(what) is \(value), more than a PE image can hold (\(limit))"
        case .notSigned:
            return "the image has no Authenticode signature (its certificate table entry is empty)"
        case let .invalidSignedContent(problem):
            return "the signature does not carry an Authenticode PE image digest: \(problem)"
        case let .digestMismatch(signed, computed):
            return "the image changed since it was signed: the signature covers SHA-256 \(signed), "
                + "the image hashes to \(computed)"
        case let .unsupportedKey(algorithm):
            return "\(algorithm) keys cannot sign a UEFI image: firmware and shim verify RSA signatures only "
                + "(and RSA PKCS#1 v1.5 keeps signatures reproducible); use an RSA key, 2048 bits or more"
        }
    }
}
