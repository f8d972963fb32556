extension ELF {
    /// The file header (`Elf32_Ehdr` / `Elf64_Ehdr`): 52 or 64 bytes at offset 0.
    public struct Header: Sendable, Hashable, Codable {
        public var elfClass: Class              // e_ident[EI_CLASS]   (byte 4)
        public var endianness: Endianness       // e_ident[EI_DATA]    (byte 5)
        public var identVersion: UInt8          // e_ident[EI_VERSION] (byte 6)
        public var osABI: OSABI                 // e_ident[EI_OSABI]   (byte 7)
        public var abiVersion: UInt8            // e_ident[EI_ABIVERSION] (byte 8)
        public var type: FileType               // e_type       (16)
        public var machine: Machine             // e_machine    (18)
        public var version: UInt32              // e_version    (20)
        public var entry: UInt64                // e_entry      (24)
        public var programHeaderOffset: UInt64  // e_phoff      (28 / 32)
        public var sectionHeaderOffset: UInt64  // e_shoff      (32 / 40)
        public var flags: UInt32                // e_flags      (36 / 48)
        public var headerSize: UInt16           // e_ehsize     (40 / 52)
        public var programHeaderEntrySize: UInt16  // e_phentsize (42 / 54)
        public var programHeaderCount: UInt16      // e_phnum     (44 / 56)
        public var sectionHeaderEntrySize: UInt16  // e_shentsize (46 / 58)
        public var sectionHeaderCount: UInt16      // e_shnum     (48 / 60)
        public var sectionNameTableIndex: UInt16   // e_shstrndx  (50 / 62)

        /// Bytes `e_ident` occupies.
        public static let identSize = 16
        /// Enough bytes for either class's header; reading this many (or the whole file if it is
        /// shorter) is all a quick architecture check needs.
        public static let maximumSize = 64

        public static func size(of elfClass: Class) -> Int { elfClass == .elf32 ? 52 : 64 }

        /// The object can run (or be linked) on this image's architecture: 64-bit, little-endian
        /// x86-64. x32 objects (ELF32 + EM_X86_64) are not native: they need a separate ABI.
        public var isNativeX8664: Bool {
            elfClass == .elf64 && endianness == .little && machine == .x86_64
        }

        /// "ELF64 little-endian x86-64", for messages.
        public var architectureDescription: String { "\(elfClass) \(endianness) \(machine)" }

        /// Decodes the header from the first bytes of an object (at least 52 or 64 of them,
        /// depending on the class).
        public static func decode(_ bytes: [UInt8]) throws(ParseError) -> Header {
            guard ELF.hasMagic(bytes) else {
                if bytes.count < 4 && ELF.magic.starts(with: bytes) && !bytes.isEmpty {
                    throw .truncated(what: "e_ident", offset: 0, needed: UInt64(identSize), fileSize: UInt64(bytes.count))
                }
                throw .notELF
            }
            guard bytes.count >= identSize else {
                throw .truncated(what: "e_ident", offset: 0, needed: UInt64(identSize), fileSize: UInt64(bytes.count))
            }
            guard let elfClass = Class(rawValue: bytes[4]) else { throw .invalidClass(bytes[4]) }
            guard let endianness = Endianness(rawValue: bytes[5]) else { throw .invalidEndianness(bytes[5]) }
            let size = Self.size(of: elfClass)
            guard bytes.count >= size else {
                throw .truncated(what: "\(elfClass) file header", offset: 0, needed: UInt64(size),
                                 fileSize: UInt64(bytes.count))
            }
            let r = FieldReader(bytes: Array(bytes.prefix(size)), endianness: endianness, elfClass: elfClass,
                                what: "file header", fileOffset: 0)
            let w = elfClass.wordSize
            // After e_entry, e_phoff and e_shoff (one word each), the rest are fixed-width.
            let afterWords = 24 + 3 * w
            return Header(
                elfClass: elfClass,
                endianness: endianness,
                identVersion: bytes[6],
                osABI: OSABI(rawValue: bytes[7]),
                abiVersion: bytes[8],
                type: FileType(rawValue: try r.u16(16)),
                machine: Machine(rawValue: try r.u16(18)),
                version: try r.u32(20),
                entry: try r.word(24),
                programHeaderOffset: try r.word(24 + w),
                sectionHeaderOffset: try r.word(24 + 2 * w),
                flags: try r.u32(afterWords),
                headerSize: try r.u16(afterWords + 4),
                programHeaderEntrySize: try r.u16(afterWords + 6),
                programHeaderCount: try r.u16(afterWords + 8),
                sectionHeaderEntrySize: try r.u16(afterWords + 10),
                sectionHeaderCount: try r.u16(afterWords + 12),
                sectionNameTableIndex: try r.u16(afterWords + 14))
        }

        /// Reads only the header from a source (the first 52 or 64 bytes).
        public static func read(from source: some ByteSource) throws(ParseError) -> Header {
            let available = Int(min(source.size, UInt64(maximumSize)))
            return try decode(try source.read(at: 0, count: available, what: "file header"))
        }
    }
}
