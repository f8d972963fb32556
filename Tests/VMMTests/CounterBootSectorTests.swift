import Foundation
import Testing
import TestSupport

@Suite("The counter boot sector") struct CounterBootSectorTests {
    @Test("512 bytes ending in 55 AA; the monitor's answer parses")
    func layout() {
        let sector = CounterBootSector.sector
        #expect(sector.count == 512)
        #expect(Array(sector[510...]) == [0x55, 0xAA])
        #expect(Array(sector.prefix(CounterBootSector.program.count)) == CounterBootSector.program)
        #expect(CounterBootSector.readCommand == "xp /1wx 0x500")
        #expect(CounterBootSector.parseCounter("0000000000000500: 0x00003b42\r\n") == 0x3B42)
        #expect(CounterBootSector.parseCounter("Cannot access memory\r\n") == nil)
    }

    @Test("objdump disassembles the program as its comment says",
          .enabled(if: Tools.find("objdump") != nil, "objdump is not installed (binutils)"))
    func disassembly() throws {
        let directory = try ScratchDirectory()
        let path = directory.path("boot.img")
        try Data(CounterBootSector.sector).write(to: URL(fileURLWithPath: path))
        let objdump = try #require(Tools.find("objdump"))
        let result = try Tools.run(objdump, ["-D", "-b", "binary", "-mi8086", "--adjust-vma=0x7c00", "--stop-address=0x7c11", path])
        #expect(result.status == 0)
        let instructions = result.stdoutText.split(separator: "\n").compactMap { line -> String? in
            let columns = line.split(separator: "\t")
            return columns.count == 3 ? columns[2].split(whereSeparator: \.isWhitespace).joined(separator: " ") : nil
        }
        #expect(instructions == ["cli", "xor %ax,%ax", "mov %ax,%ds", "incl 0x500", "mov $0x0,%cx", "loop 0x7c0d", "jmp 0x7c05"])
    }
}
