/// The smallest guest that shows whether a VM's RAM survived: a 512-byte boot sector that
/// counts, in a 32-bit word of RAM, for ever. The BIOS loads it at 0000:7C00 and jumps
/// there in 16-bit real mode; it increments the word at `counterAddress`, waits a little
/// (so the count grows by thousands a second under TCG, not billions, and never wraps in a
/// test), and repeats. Read the word through QMP (`human-monitor-command` `xp /1wx 0x500`):
/// it grows while the VM runs, stands still while it is paused, and goes on from the same
/// value after a save and restore that kept the RAM.
public enum CounterBootSector {
    /// The counter's physical address: 0x500, the start of conventional memory free for
    /// any use, after the real-mode IVT (0x000–0x3FF) and the BIOS data area (0x400–0x4FF).
    public static let counterAddress: UInt32 = 0x500

    /// The program, at offset 0 of the sector (address 0x7C00), with its x86 real-mode
    /// encoding:
    ///
    /// ```
    /// 7C00  FA              cli                    no interrupts: nothing else runs
    /// 7C01  31 C0           xor  ax, ax
    /// 7C03  8E D8           mov  ds, ax            DS = 0, so [0x500] is physical 0x500
    /// 7C05  66 FF 06 00 05  inc  dword [0x0500]    66: 32-bit operand; FF /0 is INC r/m;
    ///                                              ModRM 06: a 16-bit displacement follows
    /// 7C0A  B9 00 00        mov  cx, 0             LOOP decrements CX before testing it,
    /// 7C0D  E2 FE           loop $                 so from 0 it runs 65536 times (rel8 −2)
    /// 7C0F  EB F4           jmp  7C05              rel8 −12: back to the increment
    /// ```
    public static let program: [UInt8] = [
        0xFA,
        0x31, 0xC0,
        0x8E, 0xD8,
        0x66, 0xFF, 0x06, 0x00, 0x05,
        0xB9, 0x00, 0x00,
        0xE2, 0xFE,
        0xEB, 0xF4,
    ]

    /// The whole sector: the program, zeros, and the boot signature 0x55 0xAA at offsets
    /// 510 and 511, without which the BIOS does not boot it.
    public static var sector: [UInt8] {
        var sector = program + [UInt8](repeating: 0, count: 510 - program.count)
        sector += [0x55, 0xAA]
        return sector
    }

    /// The human monitor command that prints the counter: `xp /1wx 0x500`.
    public static var readCommand: String { "xp /1wx 0x\(String(counterAddress, radix: 16))" }

    /// The counter's value in the monitor's answer ("0000000000000500: 0x00003b42\r\n");
    /// nil when the answer is not that.
    public static func parseCounter(_ monitorOutput: String) -> UInt32? {
        guard let hex = monitorOutput.split(separator: " ").last?.split(whereSeparator: \.isWhitespace).first,
              hex.hasPrefix("0x")
        else { return nil }
        return UInt32(hex.dropFirst(2), radix: 16)
    }
}
