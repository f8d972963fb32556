extension ELF {
    /// A program header (`Elf32_Phdr`, 32 bytes / `Elf64_Phdr`, 56 bytes). The two classes order
    /// the fields differently (p_flags moves next to p_type in ELF64 for alignment).
    public struct ProgramHeader: Sendable, Hashable, Codable {
        public var type: UInt32       // p_type
        public var flags: UInt32      // p_flags
        public var offset: UInt64     // p_offset
        public var virtualAddress: UInt64   // p_vaddr
        public var physicalAddress: UInt64  // p_paddr
        public var fileSize: UInt64   // p_filesz
        public var memorySize: UInt64 // p_memsz
        public var alignment: UInt64  // p_align

        public static let null: UInt32 = 0      // PT_NULL
        public static let load: UInt32 = 1      // PT_LOAD
        public static let dynamic: UInt32 = 2   // PT_DYNAMIC
        public static let interpreter: UInt32 = 3  // PT_INTERP
        public static let note: UInt32 = 4      // PT_NOTE
        public static let programHeaders: UInt32 = 6  // PT_PHDR

        public static func size(of elfClass: Class) -> Int { elfClass == .elf32 ? 32 : 56 }

        static func decode(_ r: FieldReader, at base: Int) throws(ParseError) -> ProgramHeader {
            if r.elfClass == .elf32 {
                return ProgramHeader(
                    type: try r.u32(base), flags: try r.u32(base + 24),
                    offset: UInt64(try r.u32(base + 4)), virtualAddress: UInt64(try r.u32(base + 8)),
                    physicalAddress: UInt64(try r.u32(base + 12)), fileSize: UInt64(try r.u32(base + 16)),
                    memorySize: UInt64(try r.u32(base + 20)), alignment: UInt64(try r.u32(base + 28)))
            }
            return ProgramHeader(
                type: try r.u32(base), flags: try r.u32(base + 4),
                offset: try r.u64(base + 8), virtualAddress: try r.u64(base + 16),
                physicalAddress: try r.u64(base + 24), fileSize: try r.u64(base + 32),
                memorySize: try r.u64(base + 40), alignment: try r.u64(base + 48))
        }

        /// The file offset of `address` if this is a PT_LOAD segment whose file image holds it.
        func fileOffset(of address: UInt64) -> UInt64? {
            guard type == Self.load, address >= virtualAddress else { return nil }
            let delta = address - virtualAddress
            guard delta < fileSize else { return nil }
            let (result, overflow) = offset.addingReportingOverflow(delta)
            return overflow ? nil : result
        }
    }

    /// The few fields of a section header (`Elf32_Shdr` 40 bytes / `Elf64_Shdr` 64 bytes) this
    /// reader needs: enough to find SHT_DYNAMIC and its string table in objects with no
    /// program headers (relocatable objects, some stripped-down blobs).
    public struct SectionHeader: Sendable, Hashable, Codable {
        public var type: UInt32      // sh_type
        public var offset: UInt64    // sh_offset
        public var size: UInt64      // sh_size
        public var link: UInt32      // sh_link (for SHT_DYNAMIC: the string table's index)
        public var info: UInt32      // sh_info (section 0: the real e_phnum when it is PN_XNUM)
        public var entrySize: UInt64 // sh_entsize

        public static let dynamic: UInt32 = 6   // SHT_DYNAMIC
        public static let stringTable: UInt32 = 3  // SHT_STRTAB
        public static let noBits: UInt32 = 8    // SHT_NOBITS

        public static func size(of elfClass: Class) -> Int { elfClass == .elf32 ? 40 : 64 }

        static func decode(_ r: FieldReader, at base: Int) throws(ParseError) -> SectionHeader {
            let w = r.elfClass.wordSize
            // sh_name(4) sh_type(4) sh_flags(w) sh_addr(w) sh_offset(w) sh_size(w) sh_link(4)
            // sh_info(4) sh_addralign(w) sh_entsize(w)
            return SectionHeader(
                type: try r.u32(base + 4),
                offset: try r.word(base + 8 + 2 * w),
                size: try r.word(base + 8 + 3 * w),
                link: try r.u32(base + 8 + 4 * w),
                info: try r.u32(base + 12 + 4 * w),
                entrySize: try r.word(base + 16 + 5 * w))
        }
    }

    /// One `Elf32_Dyn` / `Elf64_Dyn` entry: a signed tag and a value (d_val or d_ptr).
    public struct DynamicEntry: Sendable, Hashable, Codable {
        public var tag: Int64
        public var value: UInt64

        public static let null: Int64 = 0       // DT_NULL: end of the array
        public static let needed: Int64 = 1     // DT_NEEDED: string table offset
        public static let stringTable: Int64 = 5  // DT_STRTAB: address
        public static let stringTableSize: Int64 = 10  // DT_STRSZ
        public static let soname: Int64 = 14    // DT_SONAME
        public static let rpath: Int64 = 15     // DT_RPATH (deprecated, searched before LD_LIBRARY_PATH)
        public static let runpath: Int64 = 29   // DT_RUNPATH

        public static func size(of elfClass: Class) -> Int { elfClass == .elf32 ? 8 : 16 }

        static func decode(_ r: FieldReader, at base: Int) throws(ParseError) -> DynamicEntry {
            if r.elfClass == .elf32 {
                return DynamicEntry(tag: Int64(Int32(bitPattern: try r.u32(base))), value: UInt64(try r.u32(base + 4)))
            }
            return DynamicEntry(tag: Int64(bitPattern: try r.u64(base)), value: try r.u64(base + 8))
        }
    }
}
