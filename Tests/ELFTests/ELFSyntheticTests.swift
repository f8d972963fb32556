import Foundation
import Testing
import TestSupport
@testable import ELF

@Suite("ELF objects built field by field")
struct ELFSyntheticTests {
    static let layouts: [(ELF.Class, ELF.Endianness)] = [
        (.elf32, .little), (.elf32, .big), (.elf64, .little), (.elf64, .big),
    ]

    @Test("every class and byte order round-trips", arguments: 0..<4)
    func layouts(index: Int) throws {
        let (elfClass, endianness) = Self.layouts[index]
        var synthetic = SyntheticELF()
        synthetic.elfClass = elfClass
        synthetic.endianness = endianness
        synthetic.machine = ELF.Machine.powerpc.rawValue
        synthetic.type = ELF.FileType.executable.rawValue
        synthetic.entry = 0x10_0200
        synthetic.osABI = ELF.OSABI.gnu.rawValue
        synthetic.interpreter = "/lib/ld.so.1"
        synthetic.needed = ["libm.so.6", "libc.so.6"]
        synthetic.runpath = "$ORIGIN/../lib"
        synthetic.rpath = "/opt/old"
        let object = try ELF.Object(bytes: synthetic.build())
        #expect(object.header.elfClass == elfClass)
        #expect(object.header.endianness == endianness)
        #expect(object.header.machine == .powerpc)
        #expect(object.header.type == .executable)
        #expect(object.header.osABI == .gnu)
        #expect(object.header.entry == 0x10_0200)
        #expect(object.interpreter == "/lib/ld.so.1")
        #expect(object.needed == ["libm.so.6", "libc.so.6"])
        #expect(object.runpath == "$ORIGIN/../lib")
        #expect(object.rpath == "/opt/old")
        #expect(object.soname == nil)
        #expect(object.programHeaders.map(\.type) == [1, 3, 2])
        #expect(!object.header.isNativeX8664)
    }

    @Test("isNativeX8664 needs ELF64, little-endian and EM_X86_64 together")
    func native() throws {
        func header(_ elfClass: ELF.Class, _ endianness: ELF.Endianness, _ machine: ELF.Machine) throws -> ELF.Header {
            var synthetic = SyntheticELF()
            synthetic.elfClass = elfClass
            synthetic.endianness = endianness
            synthetic.machine = machine.rawValue
            return try ELF.Header.decode(synthetic.build())
        }
        #expect(try header(.elf64, .little, .x86_64).isNativeX8664)
        #expect(try !header(.elf32, .little, .x86_64).isNativeX8664)  // x32
        #expect(try !header(.elf64, .big, .x86_64).isNativeX8664)
        #expect(try !header(.elf64, .little, .aarch64).isNativeX8664)
        #expect(try !header(.elf32, .little, .i386).isNativeX8664)
        #expect(try header(.elf64, .little, .aarch64).architectureDescription == "ELF64 little-endian AArch64")
    }

    @Test("an AArch64 shared library names its SONAME")
    func aarch64Library() throws {
        var synthetic = SyntheticELF()
        synthetic.machine = ELF.Machine.aarch64.rawValue
        synthetic.soname = "libfirmware.so.2"
        synthetic.needed = ["libc.so.6"]
        let object = try ELF.Object(bytes: synthetic.build())
        #expect(object.soname == "libfirmware.so.2")
        #expect(object.header.machine == .aarch64)
        #expect(object.header.type == .shared)
        #expect(object.interpreter == nil)
    }

    @Test("synthetic objects are what readelf reads too", .enabled(if: readelf != nil, "readelf (binutils) is not installed"))
    func readelfAgrees() throws {
        let scratch = try ScratchDirectory()
        for (elfClass, endianness) in Self.layouts {
            var synthetic = SyntheticELF()
            synthetic.elfClass = elfClass
            synthetic.endianness = endianness
            synthetic.machine = ELF.Machine.aarch64.rawValue
            synthetic.soname = "libx.so.1"
            synthetic.needed = ["liby.so.2"]
            synthetic.interpreter = "/lib/ld-linux-aarch64.so.1"
            let path = scratch.path("synthetic-\(elfClass)-\(endianness.rawValue)")
            try Data(synthetic.build()).write(to: URL(fileURLWithPath: path))
            let expected = ReadelfView(try Tools.run(readelf ?? "readelf", ["-W", "-h", "-l", "-d", path]).stdoutText)
            let object = try ELF.Object(path: path)
            #expect(expected.elfClass == object.header.elfClass.description)
            #expect(expected.littleEndian == (endianness == .little))
            #expect(expected.soname == object.soname)
            #expect(expected.needed == object.needed)
            #expect(expected.interpreter == object.interpreter)
            #expect(expected.programHeaderCount == object.programHeaders.count)
        }
    }

    @Test("a handcrafted bare ELF32 header (no program headers) decodes")
    func bareHeader() throws {
        // e_ident, e_type=EXEC, e_machine=EM_386, e_version=1, e_entry=0x8048000; rest zero.
        var bytes = [UInt8](repeating: 0, count: 52)
        bytes[0...7] = [0x7F, 0x45, 0x4C, 0x46, 1, 1, 1, 0]
        bytes[16] = 2
        bytes[18] = 3
        bytes[20] = 1
        bytes[24...27] = [0x00, 0x80, 0x04, 0x08]
        let object = try ELF.Object(bytes: bytes)
        #expect(object.header.elfClass == .elf32)
        #expect(object.header.machine == .i386)
        #expect(object.header.entry == 0x0804_8000)
        #expect(object.programHeaders.isEmpty)
        #expect(!object.isDynamic)
    }
}
