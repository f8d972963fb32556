import ByteCodec
import Foundation
import Testing
import TestSupport

@testable import PE

/// One row of `objdump -h`: for a PE image Size is the VirtualSize, File off the
/// PointerToRawData.
struct ObjdumpSection: Equatable {
    var name: String
    var size: UInt64
    var vma: UInt64
    var fileOffset: UInt64
}

/// `objdump -h` of `bytes`, parsed.
func objdumpSections(_ bytes: [UInt8], scratch: ScratchDirectory) throws -> [ObjdumpSection] {
    let path = scratch.path("objdump-\(UUID().uuidString).efi")
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    let result = try Tools.run(try toolPath(Fixtures.objdump), ["-h", path])
    guard result.status == 0 else { throw CocoaError(.fileReadCorruptFile, userInfo: ["stderr": result.stderr]) }
    return result.stdoutText.split(separator: "\n").compactMap { line in
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count == 7, Int(fields[0]) != nil,
            let size = UInt64(fields[2], radix: 16), let vma = UInt64(fields[3], radix: 16),
            let offset = UInt64(fields[5], radix: 16)
        else { return nil }
        return ObjdumpSection(name: String(fields[1]), size: size, vma: vma, fileOffset: offset)
    }
}

extension PE.Image {
    /// The section table as `objdump -h` shows it. BFD's size is the data the file holds up to
    /// VirtualSize, the same bytes `section(named:)` returns (the kernel's .data has a
    /// VirtualSize of 0x46000 over 0x1200 bytes of file).
    var asObjdump: [ObjdumpSection] {
        sections.map {
            ObjdumpSection(name: $0.name, size: UInt64(section(named: $0.name)?.count ?? 0),
                           vma: UInt64($0.virtualAddress), fileOffset: UInt64($0.pointerToRawData))
        }
    }
}

@Suite struct ReaderTests {
    @Test(.enabled(if: Fixtures.stub != nil, Comment(rawValue: Fixtures.noStub)))
    func systemdStubHeaders() throws {
        let image = try PE.Image(try #require(Fixtures.stub))
        #expect(image.machine == PE.machineAMD64)
        #expect(image.sectionAlignment == 0x200)
        #expect(image.fileAlignment == 0x200)
        #expect(image.sizeOfHeaders == 0x400)
        #expect(image.sections.map(\.name) == [".text", ".reloc", ".data", ".dynamic", ".rela", ".dynsym", ".sbat", ".sdmagic"])
        #expect(image.certificateTable == nil)
        #expect(image.dataDirectories.count == 16)
        // systemd 252 ships a COFF symbol table after its last section.
        #expect(image.pointerToSymbolTable != 0)

        let sbat = try #require(image.section(named: ".sbat"))
        #expect(sbat.count == Int(try #require(image.sectionHeader(named: ".sbat")).virtualSize))
        #expect(String(decoding: sbat, as: UTF8.self).hasPrefix("sbat,1,"))
        #expect(image.section(named: ".linux") == nil)
        #expect(image.section(named: ".sbat\0") == nil)
    }

    @Test(.enabled(if: Fixtures.stub != nil, Comment(rawValue: Fixtures.noStub)),
          .enabled(if: Fixtures.objdump != nil, Comment(rawValue: Fixtures.noObjdump)))
    func sectionTableMatchesObjdump() throws {
        let scratch = try ScratchDirectory()
        for bytes in [Fixtures.stub, Fixtures.systemdBoot, Fixtures.kernel].compactMap({ $0 }) {
            #expect(try PE.Image(bytes).asObjdump == (try objdumpSections(bytes, scratch: scratch)))
        }
    }

    @Test func syntheticImageFields() throws {
        let bytes = SyntheticPE().build()
        let image = try PE.Image(bytes)
        #expect(image.peHeaderOffset == 0x40)
        #expect(image.sizeOfOptionalHeader == 240)
        #expect(image.sections.map(\.name) == [".text", ".data"])
        #expect(image.sections.map(\.pointerToRawData) == [0x200, 0x400])
        #expect(image.sections.map(\.virtualAddress) == [0x1000, 0x2000])
        #expect(image.sizeOfImage == 0x3000)
        #expect(image.section(named: ".data") == Array(bytes[0x400..<0x800]))
    }

    @Test func sectionDataIsTrimmedToVirtualSize() throws {
        var bytes = SyntheticPE().build()
        let dataEntry = SyntheticPE.sectionTable + 40
        bytes.setInteger(UInt32(5), at: dataEntry + 8, endianness: .little)
        #expect(try PE.Image(bytes).section(named: ".data") == Array(bytes[0x400..<0x405]))
        // Larger than the raw data: the zero fill is the loader's, not returned.
        bytes.setInteger(UInt32(0x10_0000), at: dataEntry + 8, endianness: .little)
        #expect(try PE.Image(bytes).section(named: ".data")?.count == 0x400)
    }

    @Test func pe32IsRefusedByName() throws {
        var synthetic = SyntheticPE()
        synthetic.magic = PE.pe32Magic
        let error = try #require(throws: PEError.self) { try PE.Image(synthetic.build()) }
        #expect(error == .pe32NotSupported)
        #expect(error.description.contains("PE32+"))
    }

    @Test(.enabled(if: Fixtures.kernel != nil, Comment(rawValue: Fixtures.noKernel)))
    func debianKernelCarriesASignature() throws {
        let image = try PE.Image(try #require(Fixtures.kernel))
        let table = try #require(image.certificateTable)
        #expect(Int(table.virtualAddress) + Int(table.size) == image.bytes.count)
        #expect(image.sectionAlignment == 0x1000)
        #expect(image.fileAlignment == 0x200)
        let signature = try PE.Authenticode.signature(of: image.bytes)
        #expect(signature.first == 0x30)
    }
}
