/// A minimal ELF reader: class, machine, type and DT_SONAME — what ldconfig looks at.
///
/// Internal stand-in for the `ELF` module (written concurrently); replace with it once it
/// exposes class/machine/SONAME. Reads like ldconfig does, through the program headers
/// (PT_DYNAMIC, PT_LOAD to map DT_STRTAB's address to a file offset), not section headers,
/// which may be stripped.
///
/// ```
/// e_ident[16] | e_type u16 | e_machine u16 | e_version u32 | e_entry | e_phoff | e_shoff |
/// e_flags u32 | e_ehsize u16 | e_phentsize u16 | e_phnum u16 | ...      (addresses: 4 or 8 bytes)
/// Elf64_Phdr: p_type u32 | p_flags u32 | p_offset u64 | p_vaddr u64 | p_paddr | p_filesz | p_memsz | p_align
/// Elf32_Phdr: p_type | p_offset | p_vaddr | p_paddr | p_filesz | p_memsz | p_flags | p_align (all u32)
/// Elf64_Dyn:  d_tag i64 | d_val u64        Elf32_Dyn: d_tag i32 | d_val u32
/// ```
struct ELFSoname: Equatable {
    var is64: Bool
    var machine: UInt16
    var type: UInt16
    var soname: String?
    /// PT_INTERP present: an executable (or the loader's own PIE-style twin), not a plain library.
    var hasInterpreter: Bool

    static let emX8664: UInt16 = 62
    static let em386: UInt16 = 3

    /// nil when `bytes` is not a little-endian ELF shared object with a dynamic section.
    init?(_ bytes: [UInt8]) {
        guard bytes.count >= 52, bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46,
              bytes[5] == 1 /* ELFDATA2LSB */ else { return nil }
        let reader = Reader(bytes: bytes)
        guard bytes[4] == 1 || bytes[4] == 2 else { return nil }
        is64 = bytes[4] == 2
        guard let type = reader.u16(16), let machine = reader.u16(18) else { return nil }
        self.type = type
        self.machine = machine
        guard type == 3 /* ET_DYN */ else { return nil }
        let word = is64 ? 8 : 4
        guard let phoff = reader.word(is64 ? 32 : 28, is64), let phentsize = reader.u16(is64 ? 54 : 42),
              let phnum = reader.u16(is64 ? 56 : 44), phentsize >= (is64 ? 56 : 32) else { return nil }
        var dynamic: (offset: UInt64, size: UInt64)?
        var loads: [(vaddr: UInt64, offset: UInt64, size: UInt64)] = []
        var interp = false
        for index in 0..<Int(phnum) {
            let base = Int(phoff) + index * Int(phentsize)
            guard let ptype = reader.u32(base) else { return nil }
            let offset = reader.word(base + (is64 ? 8 : 4), is64) ?? 0
            let vaddr = reader.word(base + (is64 ? 16 : 8), is64) ?? 0
            let filesz = reader.word(base + (is64 ? 32 : 16), is64) ?? 0
            switch ptype {
            case 1: loads.append((vaddr, offset, filesz))
            case 2: dynamic = (offset, filesz)
            case 3: interp = true
            default: break
            }
        }
        hasInterpreter = interp
        guard let dynamic else { return nil }
        var sonameOffset: UInt64?
        var strtab: UInt64?
        var position = Int(dynamic.offset)
        let end = Int(dynamic.offset + dynamic.size)
        while position + 2 * word <= end {
            guard let tag = reader.word(position, is64), let value = reader.word(position + word, is64) else { break }
            if tag == 0 { break }
            if tag == 14 { sonameOffset = value }   // DT_SONAME
            if tag == 5 { strtab = value }          // DT_STRTAB
            position += 2 * word
        }
        soname = nil
        if let sonameOffset, let strtab,
           let load = loads.first(where: { strtab >= $0.vaddr && strtab < $0.vaddr + $0.size }) {
            let start = Int(strtab - load.vaddr + load.offset + sonameOffset)
            if start < bytes.count, let nul = bytes[start...].firstIndex(of: 0) {
                soname = String(decoding: bytes[start..<nul], as: UTF8.self)
            }
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        func u16(_ at: Int) -> UInt16? {
            guard at >= 0, at + 2 <= bytes.count else { return nil }
            return UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
        }
        func u32(_ at: Int) -> UInt32? {
            guard at >= 0, at + 4 <= bytes.count else { return nil }
            return (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) }
        }
        func word(_ at: Int, _ is64: Bool) -> UInt64? {
            if !is64 { return u32(at).map(UInt64.init) }
            guard at >= 0, at + 8 <= bytes.count else { return nil }
            return (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
        }
    }
}
