/// A minimal kernel module object, built byte by byte, so libkmod, modinfo and depmod can be
/// tested on any machine without a kernel package.
///
/// It holds exactly what those tools read (see kmod's libkmod-elf.c):
///
///     ELF64 header (64 bytes, little-endian, ET_REL, EM_X86_64)
///     [1] .modinfo           "key=value\0" records             -> kmod_module_get_info
///     [2] __ksymtab_strings  exported symbol names, "\0"-separated -> depmod's provides
///     [3] .symtab            Elf64_Sym[]; undefined (SHN_UNDEF) ones -> depmod's needs
///     [4] .strtab            symbol names
///     [5] .shstrtab          section names
///     section header table   6 x Elf64_Shdr (64 bytes each)
public struct SyntheticModule: Sendable {
    public var modinfo: [(String, String)]
    public var exports: [String]
    public var imports: [String]

    public init(modinfo: [(String, String)], exports: [String] = [], imports: [String] = []) {
        self.modinfo = modinfo
        self.exports = exports
        self.imports = imports
    }

    public func elf() -> [UInt8] {
        var shstrtab = StringTable()
        var strtab = StringTable()
        let modinfoBytes: [UInt8] = modinfo.flatMap { key, value -> [UInt8] in Array("\(key)=\(value)".utf8) + [0] }
        let ksymtabStrings: [UInt8] = exports.flatMap { name -> [UInt8] in Array(name.utf8) + [0] }

        // Elf64_Sym: st_name u32, st_info u8, st_other u8, st_shndx u16, st_value u64, st_size u64.
        var symtab = LittleEndianBytes()
        symtab.zeros(24)  // symbol 0 is the null symbol
        for name in imports {
            symtab.u32(strtab.add(name))
            symtab.u8(0x10)  // STB_GLOBAL << 4 | STT_NOTYPE
            symtab.u8(0)
            symtab.u16(0)  // SHN_UNDEF: resolved by another module
            symtab.u64(0)
            symtab.u64(0)
        }

        let sections: [(name: String, type: UInt32, flags: UInt64, entsize: UInt64, link: UInt32, info: UInt32, data: [UInt8])] = [
            (".modinfo", 1, 2, 0, 0, 0, modinfoBytes),  // SHT_PROGBITS, SHF_ALLOC
            ("__ksymtab_strings", 1, 2, 0, 0, 0, ksymtabStrings),
            (".symtab", 2, 0, 24, 4, 1, symtab.bytes),  // SHT_SYMTAB, link to .strtab, first global 1
            (".strtab", 3, 0, 0, 0, 0, strtab.bytes),  // SHT_STRTAB
            (".shstrtab", 3, 0, 0, 0, 0, []),
        ]
        let nameOffsets = sections.map { shstrtab.add($0.name) }
        var file = LittleEndianBytes()
        file.zeros(64)  // header, filled in below
        var offsets: [UInt64] = []
        var sizes: [UInt64] = []
        for (index, section) in sections.enumerated() {
            file.align(8)
            offsets.append(UInt64(file.bytes.count))
            let data = index == sections.count - 1 ? shstrtab.bytes : section.data
            file.raw(data)
            sizes.append(UInt64(data.count))
        }
        file.align(8)
        let sectionHeaderOffset = UInt64(file.bytes.count)
        file.zeros(64)  // section 0: SHN_UNDEF
        for (index, section) in sections.enumerated() {
            file.u32(nameOffsets[index])  // sh_name
            file.u32(section.type)  // sh_type
            file.u64(section.flags)  // sh_flags
            file.u64(0)  // sh_addr
            file.u64(offsets[index])  // sh_offset
            file.u64(sizes[index])  // sh_size
            file.u32(section.link)  // sh_link
            file.u32(section.info)  // sh_info
            file.u64(section.type == 2 ? 8 : 1)  // sh_addralign
            file.u64(section.entsize)  // sh_entsize
        }

        var header = LittleEndianBytes()
        header.raw([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0])  // magic, ELFCLASS64, ELFDATA2LSB, EV_CURRENT, SYSV
        header.zeros(8)
        header.u16(1)  // e_type ET_REL
        header.u16(62)  // e_machine EM_X86_64
        header.u32(1)  // e_version
        header.u64(0)  // e_entry
        header.u64(0)  // e_phoff
        header.u64(sectionHeaderOffset)  // e_shoff
        header.u32(0)  // e_flags
        header.u16(64)  // e_ehsize
        header.u16(0)  // e_phentsize
        header.u16(0)  // e_phnum
        header.u16(64)  // e_shentsize
        header.u16(UInt16(sections.count + 1))  // e_shnum
        header.u16(UInt16(sections.count))  // e_shstrndx: .shstrtab is last
        var bytes = file.bytes
        bytes.replaceSubrange(0..<64, with: header.bytes)
        return bytes
    }
}

/// Explicit little-endian output, as ELFDATA2LSB requires.
private struct LittleEndianBytes {
    var bytes: [UInt8] = []
    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u16(_ value: UInt16) { bytes += [UInt8(value & 0xff), UInt8(value >> 8)] }
    mutating func u32(_ value: UInt32) { for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) } }
    mutating func u64(_ value: UInt64) { for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) } }
    mutating func zeros(_ count: Int) { bytes += repeatElement(0, count: count) }
    mutating func raw(_ data: [UInt8]) { bytes += data }
    mutating func align(_ alignment: Int) { while bytes.count % alignment != 0 { bytes.append(0) } }
}

/// An ELF string table: starts with "\0"; `add` returns the name's offset.
private struct StringTable {
    var bytes: [UInt8] = [0]
    mutating func add(_ name: String) -> UInt32 {
        let offset = UInt32(bytes.count)
        bytes += Array(name.utf8) + [0]
        return offset
    }
}
