/// The benchmark's guest: a 512-byte boot sector that first writes a non-zero pattern over all
/// of its RAM above 1 MiB (so a migration stream carries every page, as it would for a guest
/// that has used its memory; an untouched page would travel as a zero-page flag), then counts
/// in the 32-bit word at 0x500 for ever, like the tests' CounterBootSector. The counter stays 0
/// until the fill is done, so a counter above 0 says the RAM is all written.
///
/// Real mode to flat 32-bit protected mode: A20 on (port 0x92), a GDT of null, code and data
/// descriptors (base 0, 4 GiB), CR0.PE, a far jump, then `rep stosd`.
enum FillingGuest {
    static let counterAddress: UInt32 = 0x500

    /// The sector for a guest of `megabytes` MiB of RAM (at most 3 GiB: all of it below the
    /// PCI hole of pc-i440fx).
    static func sector(megabytes: Int) -> [UInt8] {
        precondition((2...3072).contains(megabytes), "RAM of 2 MiB to 3 GiB")
        let dwords = UInt32((megabytes - 1) << 18)  // (MiB - 1) * 2^20 / 4
        let base: UInt16 = 0x7C00
        var code: [UInt8] = []
        // 16-bit real mode.
        code += [0xFA]                          // cli
        code += [0x31, 0xC0]                    // xor ax, ax
        code += [0x8E, 0xD8]                    // mov ds, ax
        code += [0xE4, 0x92, 0x0C, 0x02, 0xE6, 0x92]  // in al, 0x92; or al, 2; out 0x92, al (fast A20)
        let lgdt = code.count
        code += [0x0F, 0x01, 0x16, 0x00, 0x00]  // lgdt [gdtr] (patched below)
        code += [0x0F, 0x20, 0xC0]              // mov eax, cr0
        code += [0x0C, 0x01]                    // or al, 1 (PE)
        code += [0x0F, 0x22, 0xC0]              // mov cr0, eax
        let jump = code.count
        code += [0xEA, 0x00, 0x00, 0x08, 0x00]  // jmp 0x08:protected (patched below)
        // 32-bit protected mode.
        let protected = code.count
        code += [0x66, 0xB8, 0x10, 0x00]        // mov ax, 0x10
        code += [0x8E, 0xD8, 0x8E, 0xC0, 0x8E, 0xD0]  // mov ds, ax; mov es, ax; mov ss, ax
        code += [0xBC] + le32(0x7C00)           // mov esp, 0x7C00
        code += [0xBF] + le32(0x10_0000)        // mov edi, 1 MiB
        code += [0xB9] + le32(dwords)           // mov ecx, dwords
        code += [0xB8] + le32(0xC33C_5AA5)      // mov eax, pattern
        code += [0xFC, 0xF3, 0xAB]              // cld; rep stosd
        let loop = code.count
        code += [0xFF, 0x05] + le32(counterAddress)  // inc dword [0x500]
        code += [0xB9] + le32(0x1_0000)         // mov ecx, 65536
        code += [0xE2, 0xFE]                    // loop $
        code += [0xEB, UInt8(bitPattern: Int8(loop - (code.count + 2)))]  // jmp loop
        while code.count % 8 != 0 { code.append(0x90) }
        let gdt = code.count
        code += [UInt8](repeating: 0, count: 8)
        code += [0xFF, 0xFF, 0x00, 0x00, 0x00, 0x9A, 0xCF, 0x00]  // code: base 0, limit 4 GiB, 32-bit
        code += [0xFF, 0xFF, 0x00, 0x00, 0x00, 0x92, 0xCF, 0x00]  // data: base 0, limit 4 GiB
        let gdtr = code.count
        code += le16(23) + le32(UInt32(base) + UInt32(gdt))
        code.replaceSubrange((lgdt + 3)..<(lgdt + 5), with: le16(base + UInt16(gdtr)))
        code.replaceSubrange((jump + 1)..<(jump + 3), with: le16(base + UInt16(protected)))
        return code + [UInt8](repeating: 0, count: 510 - code.count) + [0x55, 0xAA]
    }

    /// `xp /1wx 0x500`, the human monitor command that prints the counter.
    static var readCommand: String { "xp /1wx 0x500" }

    /// The counter in the monitor's answer ("0000000000000500: 0x00003b42").
    static func parseCounter(_ output: String) -> UInt32? {
        guard let last = output.split(whereSeparator: \.isWhitespace).last, last.hasPrefix("0x") else {
            return nil
        }
        return UInt32(last.dropFirst(2), radix: 16)
    }

    private static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    private static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> ($0 * 8)) & 0xFF) } }
}
