import ByteCodec
import Crypto
import Foundation
import Testing
import TestSupport

@testable import PE

/// The appended sections must follow the stub's as FORMATS.md ("PE/COFF") describes, and
/// `objdump -h` and `sbverify --list` must read the result as we do.
@Suite(.enabled(if: Fixtures.stub != nil, Comment(rawValue: Fixtures.noStub)))
struct UKITests {
    let stub: [UInt8]
    init() throws { stub = try #require(Fixtures.stub) }

    /// Every expectation on a UKI assembled from `stub` and `parts`.
    func checkLayout(_ uki: [UInt8], parts: [(name: String, data: [UInt8])]) throws {
        let before = try PE.Image(stub)
        let after = try PE.Image(uki)
        let kept = before.sections.count
        #expect(after.sections.count == kept + parts.count)
        #expect(Array(after.sections.prefix(kept)) == before.sections, "the stub's section table is kept")
        for section in before.sections {
            #expect(after.section(named: section.name) == before.section(named: section.name), "\(section.name)")
        }
        var previousEnd = before.sections.map(\.virtualEnd).reduce(Int(before.sizeOfImage), max)
        for (index, part) in parts.enumerated() {
            let section = after.sections[kept + index]
            #expect(section.name == part.name)
            #expect(after.section(named: part.name) == part.data, "\(part.name) reads back")
            #expect(Int(section.virtualSize) == part.data.count)
            #expect(Int(section.virtualAddress) == PE.align(previousEnd, to: 0x200))
            #expect(section.pointerToRawData % 0x200 == 0 && section.sizeOfRawData % 0x200 == 0)
            #expect(section.characteristics == 0x4000_0040)
            previousEnd = Int(section.virtualAddress) + part.data.count
        }
        #expect(Int(after.sizeOfImage) == PE.align(previousEnd, to: 0x200))
        let added = after.sections.suffix(parts.count).reduce(0) { $0 + Int($1.sizeOfRawData) }
        #expect(Int(after.sizeOfInitializedData) == Int(before.sizeOfInitializedData) + added)
        #expect(after.checkSum == 0)
        #expect(after.pointerToSymbolTable == 0 && after.numberOfSymbols == 0)
        #expect(after.certificateTable == nil)
        #expect(uki.count == Int(after.sections.map { $0.pointerToRawData + $0.sizeOfRawData }.max() ?? 0))
    }

    @Test func assembledFromTheRealStub() throws {
        let uki = try PE.UKI.assemble(stub: stub, sections: Fixtures.parts)
        try checkLayout(uki, parts: Fixtures.parts)
        #expect(try PE.UKI.assemble(stub: stub, sections: Fixtures.parts) == uki, "deterministic")
    }

    @Test(.enabled(if: Fixtures.objdump != nil, Comment(rawValue: Fixtures.noObjdump)),
          .enabled(if: Fixtures.sbverify != nil, Comment(rawValue: Fixtures.noSbsigntool)))
    func upstreamToolsReadIt() throws {
        let scratch = try ScratchDirectory()
        let uki = try PE.UKI.assemble(stub: stub, sections: Fixtures.parts)
        let listed = try objdumpSections(uki, scratch: scratch)
        #expect(listed == (try PE.Image(uki)).asObjdump)
        #expect(listed.suffix(5).map(\.name) == [".linux", ".osrel", ".cmdline", ".initrd", ".uname"])
        #expect(listed.suffix(5).map(\.size) == Fixtures.parts.map { UInt64($0.data.count) })

        let path = scratch.path("uki.efi")
        try Data(uki).write(to: URL(fileURLWithPath: path))
        let list = try Tools.run(try toolPath(Fixtures.sbverify), ["--list", path])
        let output = list.stdoutText + list.stderr
        #expect(output.contains("No signature table present"), "\(output)")
        #expect(!output.contains("warning"), "sbverify finds gaps or overlaps: \(output)")
    }

    @Test(.enabled(if: Fixtures.kernel != nil, Comment(rawValue: Fixtures.noKernel)),
          .enabled(if: Fixtures.objdump != nil, Comment(rawValue: Fixtures.noObjdump)))
    func withTheRealKernel() throws {
        let kernel = try #require(Fixtures.kernel)
        var parts = Fixtures.parts
        parts[0].data = kernel
        let uki = try PE.UKI.assemble(stub: stub, sections: parts)
        try checkLayout(uki, parts: parts)
        let scratch = try ScratchDirectory()
        #expect(try objdumpSections(uki, scratch: scratch).suffix(5).map(\.size) == parts.map { UInt64($0.data.count) })
    }

    @Test func canonicalOrder() throws {
        #expect(PE.UKI.Section.allCases.prefix(4) == [.linux, .osrel, .cmdline, .initrd])
        #expect(PE.UKI.Section.uname < .sbat && PE.UKI.Section.initrd < .uname)
        var parts: [PE.UKI.Section: [UInt8]] = [:]
        for part in Fixtures.parts { parts[try #require(PE.UKI.Section(rawValue: part.name))] = part.data }
        #expect(PE.UKI.Section.ordered(parts).map(\.name) == Fixtures.parts.map(\.name))
        #expect(try PE.UKI.assemble(stub: stub, parts: parts) == (try PE.UKI.assemble(stub: stub, sections: Fixtures.parts)))
    }

    @Test func aSignedStubLosesItsSignature() throws {
        let identity = try SigningIdentity()
        let signed = try PE.Authenticode.sign(stub, key: identity.key, certificate: identity.certificate)
        let uki = try PE.UKI.assemble(stub: signed, sections: Fixtures.parts)
        #expect(uki == (try PE.UKI.assemble(stub: stub, sections: Fixtures.parts)))
    }

    @Test func theStubsHeadersHoldFifteenSections() throws {
        let seven = (1...7).map { (name: ".part\($0)", data: [UInt8]($0.description.utf8)) }
        #expect(try PE.Image(try PE.UKI.assemble(stub: stub, sections: seven)).sections.count == 15)
        let error = try #require(throws: PEError.self) {
            try PE.UKI.assemble(stub: stub, sections: seven + [(name: ".part8", data: [8])])
        }
        #expect(error == .sectionTableFull(needed: 0x188 + 16 * 40, sizeOfHeaders: 0x400, firstSectionData: 0x400))
    }

    @Test(arguments: [
        ([(name: ".sbat", data: [UInt8(1)])], PEError.duplicateSection(".sbat")),
        ([(name: ".linux", data: [1]), (name: ".linux", data: [2])], .duplicateSection(".linux")),
        ([(name: ".cmdline", data: [])], .emptySection(".cmdline")),
        ([(name: ".toolongx", data: [1])], .invalidSectionName(name: ".toolongx", problem: "is 9 bytes long")),
        ([(name: "", data: [1])], .invalidSectionName(name: "", problem: "is empty")),
        ([(name: ".a\0b", data: [1])], .invalidSectionName(name: ".a\0b", problem: "contains a NUL byte")),
    ] as [([(name: String, data: [UInt8])], PEError)])
    func refusedSections(sections: [(name: String, data: [UInt8])], expected: PEError) throws {
        let error = try #require(throws: PEError.self) { try PE.UKI.assemble(stub: stub, sections: sections) }
        #expect(error == expected)
        #expect(!error.description.isEmpty)
    }
}

/// Growing SizeOfHeaders, on a synthetic stub with and without room before its first section.
@Suite struct UKIHeaderRoomTests {
    static let three = [(name: ".linux", data: [UInt8](repeating: 1, count: 10)),
                        (name: ".osrel", data: [2]), (name: ".cmdline", data: [3])]

    @Test func noRoomBeforeTheFirstSection() throws {
        let stub = SyntheticPE().build()  // headers 0x200, table at 0x148: room for 4 entries
        #expect(try PE.Image(try PE.UKI.assemble(stub: stub, sections: Array(Self.three.prefix(2)))).sections.count == 4)
        let error = try #require(throws: PEError.self) { try PE.UKI.assemble(stub: stub, sections: Self.three) }
        #expect(error == .sectionTableFull(needed: 0x148 + 5 * 40, sizeOfHeaders: 0x200, firstSectionData: 0x200))
    }

    @Test func headersGrowIntoFreeRoom() throws {
        var synthetic = SyntheticPE()
        synthetic.dataOffset = 0x400
        let uki = try PE.UKI.assemble(stub: synthetic.build(), sections: Self.three)
        let image = try PE.Image(uki)
        #expect(image.sizeOfHeaders == 0x400)
        #expect(image.sections.map(\.name) == [".text", ".data", ".linux", ".osrel", ".cmdline"])
        #expect(image.section(named: ".linux") == Self.three[0].data)
        #expect(image.sections[2].virtualAddress == 0x3000)
        #expect(image.sections[3].virtualAddress == 0x4000)
    }

    /// A part whose data pointer lies inside the stub (found by fuzz-pe: `disassemble` cut the
    /// stub there and then cleared section table entries past its end).
    @Test func disassembleRefusesAPartInsideTheStub() throws {
        var synthetic = SyntheticPE()
        synthetic.dataOffset = 0x400
        var uki = try PE.UKI.assemble(stub: synthetic.build(), sections: Self.three)
        let parts = try PE.UKI.disassemble(uki)
        #expect(parts.sections.map(\.name) == Self.three.map(\.name))
        #expect(try PE.UKI.assemble(stub: parts.stub, sections: parts.sections) == uki)
        uki.setInteger(UInt32(4), at: SyntheticPE.sectionTable + 2 * 40 + 20, endianness: .little)
        let error = try #require(throws: PEError.self) { try PE.UKI.disassemble(uki) }
        #expect(error == .invalidField(field: "PointerToRawData of section .linux", value: 4,
                                       expected: "at least 2560, after the stub's headers and sections"))
    }
}
