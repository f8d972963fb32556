/// PE/COFF images as UEFI runs them: reading one (`PE.Image`), assembling a unified kernel
/// image from systemd-stub and the boot parts (`PE.UKI`), and Authenticode-signing it
/// (`PE.Authenticode`), so firmware with Secure Boot and the kernel's `kexec_file_load` under
/// lockdown accept it.
///
/// Layout of a PE32+ image (Microsoft "PE Format" specification; all fields little-endian):
///
/// ```
/// offset 0      ┌──────────────────────────────────┐
///               │ DOS header: "MZ" ... e_lfanew    │ e_lfanew (u32) at 0x3c
/// e_lfanew      ├──────────────────────────────────┤
///               │ "PE\0\0"                         │ 4 bytes
///               │ COFF file header                 │ 20 bytes: Machine, NumberOfSections,
///               │                                  │ TimeDateStamp, PointerToSymbolTable,
///               │                                  │ NumberOfSymbols, SizeOfOptionalHeader,
///               │                                  │ Characteristics
///               │ optional header (PE32+, 0x20b)   │ SizeOfOptionalHeader bytes: 112 fixed
///               │   ... SectionAlignment (+32)     │ (SizeOfImage +56, SizeOfHeaders +60,
///               │   ... CheckSum (+64)             │ NumberOfRvaAndSizes +108), then
///               │   data directories (+112)        │ 8 bytes a directory; index 4 is the
///               │                                  │ certificate table (a *file* offset)
///               │ section table                    │ 40 bytes a section
/// SizeOfHeaders ├──────────────────────────────────┤
///               │ section data, each at its        │ PointerToRawData (× FileAlignment),
///               │ PointerToRawData                 │ SizeOfRawData bytes
///               ├──────────────────────────────────┤
///               │ certificate table (signed only)  │ WIN_CERTIFICATE: dwLength, wRevision
///               │                                  │ 0x0200, wCertificateType 2, PKCS#7
///               └──────────────────────────────────┘
/// ```
///
/// Every reader here is a trust boundary: unified kernel images reach hosts inside update
/// bundles. Offsets and sizes from the file are checked against the file before use, in
/// `Int` arithmetic that cannot overflow for 32-bit fields, and bad input throws a `PEError`
/// naming the field and its value.
public enum PE {
    /// `IMAGE_FILE_MACHINE_AMD64`.
    public static let machineAMD64: UInt16 = 0x8664
    /// The optional header's Magic for PE32+ images.
    public static let pe32PlusMagic: UInt16 = 0x20B
    /// The optional header's Magic for PE32 (32-bit) images, which this module refuses.
    public static let pe32Magic: UInt16 = 0x10B
    /// Index of the certificate table among the data directories.
    public static let certificateTableIndex = 4
    /// The Windows loader's limit on NumberOfSections (PE Format, "COFF File Header"); this
    /// reader applies it so a hostile count cannot make it read thousands of entries.
    public static let maximumSectionCount = 96
    /// The largest FileAlignment (PE Format, "Optional Header Windows-Specific Fields": a power
    /// of two from 512 to 64 K). Assembling a UKI pads the stub to it, so a hostile value of
    /// 2^31 would allocate 2 GiB of zeros; found by `fuzz-pe`.
    public static let maximumFileAlignment: UInt32 = 0x1_0000

    /// Byte offsets of the fields this module reads or writes.
    enum Layout {
        static let dosHeaderSize = 64
        static let lfanewOffset = 0x3C
        static let signatureSize = 4
        static let coffHeaderSize = 20
        /// Fixed part of the PE32+ optional header, before the data directories.
        static let optionalHeaderFixedSize = 112
        static let dataDirectorySize = 8
        static let sectionHeaderSize = 40

        // COFF file header, from its start (e_lfanew + 4).
        static let numberOfSections = 2
        static let pointerToSymbolTable = 8
        static let numberOfSymbols = 12
        static let sizeOfOptionalHeader = 16
        static let characteristics = 18

        // PE32+ optional header, from its start.
        static let sizeOfCode = 4
        static let sizeOfInitializedData = 8
        static let sectionAlignment = 32
        static let fileAlignment = 36
        static let sizeOfImage = 56
        static let sizeOfHeaders = 60
        static let checkSum = 64
        static let numberOfRvaAndSizes = 108
        static let dataDirectories = 112
    }

    /// `value` rounded up to a multiple of `alignment` (a power of two). Callers pass values
    /// below 2^40, so the sum cannot overflow.
    static func align(_ value: Int, to alignment: Int) -> Int {
        (value + alignment - 1) & ~(alignment - 1)
    }
}
