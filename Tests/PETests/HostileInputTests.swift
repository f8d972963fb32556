import ByteCodec
import Crypto
import Foundation
import Testing
import TestSupport

@testable import PE

/// A UKI reaches a host inside an update bundle: damaged and hostile images must give a
/// `PEError` (or a failed verification), never a trap, a hang or a huge allocation.
@Suite struct HostileInputTests {
    static let optional = SyntheticPE.optional
    static let coff = SyntheticPE.lfanew + 4
    static let text = SyntheticPE.sectionTable

    /// A damage to the synthetic image and what the reader must say about it.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var damage: @Sendable ([UInt8]) -> [UInt8]
        var expected: @Sendable (PEError) -> Bool
        var testDescription: String { name }
    }

    static func set<T: FixedWidthInteger & Sendable>(_ value: T, at offset: Int) -> @Sendable ([UInt8]) -> [UInt8] {
        { bytes in
            var bytes = bytes
            bytes.setInteger(value, at: offset, endianness: .little)
            return bytes
        }
    }

    static func truncated(_ error: PEError) -> Bool { if case .truncated = error { true } else { false } }
    static func field(_ name: String) -> @Sendable (PEError) -> Bool {
        { if case .invalidField(let field, _, _) = $0 { field == name } else { false } }
    }
    static func badSignature(_ error: PEError) -> Bool { if case .badSignature = error { true } else { false } }
    static func outside(_ error: PEError) -> Bool { if case .sectionOutsideFile = error { true } else { false } }
    static func certificate(_ error: PEError) -> Bool { if case .invalidCertificateTable = error { true } else { false } }

    static let readerCases: [Case] = [
        Case(name: "empty file", damage: { _ in [] }, expected: truncated),
        Case(name: "MZ alone", damage: { _ in [0x4D, 0x5A] }, expected: truncated),
        Case(name: "no MZ", damage: set(UInt16(0x4C45), at: 0), expected: badSignature),
        Case(name: "headers cut after the COFF header", damage: { Array($0.prefix(0x60)) }, expected: truncated),
        Case(name: "e_lfanew past the end", damage: set(UInt32(0x10_0000), at: 0x3C), expected: truncated),
        Case(name: "e_lfanew 0xffffffff", damage: set(UInt32.max, at: 0x3C), expected: truncated),
        Case(name: "e_lfanew inside the DOS header", damage: set(UInt32(8), at: 0x3C), expected: field("e_lfanew")),
        Case(name: "no PE signature", damage: set(UInt32(0x0045_5000), at: SyntheticPE.lfanew), expected: badSignature),
        Case(name: "unknown Magic", damage: set(UInt16(0x107), at: optional),
             expected: { $0 == .unknownOptionalHeaderMagic(0x107) }),
        Case(name: "65535 sections", damage: set(UInt16.max, at: coff + 2), expected: field("NumberOfSections")),
        Case(name: "90 sections: the table passes SizeOfHeaders", damage: set(UInt16(90), at: coff + 2),
             expected: { field("SizeOfHeaders")($0) || truncated($0) }),
        Case(name: "SizeOfOptionalHeader 65535", damage: set(UInt16.max, at: coff + 16), expected: truncated),
        Case(name: "SizeOfOptionalHeader 100", damage: set(UInt16(100), at: coff + 16), expected: field("SizeOfOptionalHeader")),
        Case(name: "NumberOfRvaAndSizes 0xffffffff", damage: set(UInt32.max, at: optional + 108),
             expected: field("NumberOfRvaAndSizes")),
        Case(name: "SizeOfHeaders past the end", damage: set(UInt32(0x10_0000), at: optional + 60), expected: field("SizeOfHeaders")),
        Case(name: "SizeOfHeaders inside the section table", damage: set(UInt32(0x150), at: optional + 60),
             expected: field("SizeOfHeaders")),
        Case(name: "FileAlignment 0", damage: set(UInt32(0), at: optional + 36), expected: field("FileAlignment")),
        Case(name: "FileAlignment 2^31: assembling would pad the stub to 2 GiB", damage: set(UInt32(0x8000_0000), at: optional + 36),
             expected: field("FileAlignment")),
        Case(name: "SectionAlignment 0x3000", damage: set(UInt32(0x3000), at: optional + 32), expected: field("SectionAlignment")),
        Case(name: "section data past the end", damage: set(UInt32(0x800), at: text + 20), expected: outside),
        Case(name: "section at 0xffffffff of size 0xffffffff",
             damage: { set(UInt32.max, at: text + 16)(set(UInt32.max, at: text + 20)($0)) }, expected: outside),
        Case(name: "certificate table past the end",
             damage: { set(UInt32(0x100), at: SyntheticPE.certificateEntry + 4)(set(UInt32(0x780), at: SyntheticPE.certificateEntry)($0)) },
             expected: certificate),
        Case(name: "certificate table size 0xffffffff",
             damage: { set(UInt32.max, at: SyntheticPE.certificateEntry + 4)(set(UInt32(0x780), at: SyntheticPE.certificateEntry)($0)) },
             expected: certificate),
        Case(name: "certificate table in the headers",
             damage: { set(UInt32(8), at: SyntheticPE.certificateEntry + 4)(set(UInt32(0x100), at: SyntheticPE.certificateEntry)($0)) },
             expected: certificate),
    ]

    @Test(arguments: readerCases)
    func readerRefuses(_ damage: Case) throws {
        let bytes = damage.damage(SyntheticPE().build())
        let error = try #require(throws: PEError.self) { try PE.Image(bytes) }
        #expect(damage.expected(error), "\(error)")
        #expect(!error.description.isEmpty)
        #expect(throws: PEError.self) { try PE.Authenticode.digest(of: bytes) }
        #expect(throws: PEError.self) { try PE.UKI.assemble(stub: bytes, sections: [(name: ".linux", data: [1])]) }
    }

    /// A table the reader accepts (inside the file, after the headers) but that overlaps a
    /// section or is not last: every Authenticode operation and the assembler refuse it.
    @Test(arguments: [(0x780, 0x80, 0), (0x400, 0x10, 0), (0x800, 0x20, 0x40)])
    func certificateTableOverlappingSectionsOrNotLast(offset: Int, size: Int, trailing: Int) throws {
        var bytes = SyntheticPE().build() + [UInt8](repeating: 0xAA, count: trailing)
        bytes.setInteger(UInt32(offset), at: SyntheticPE.certificateEntry, endianness: .little)
        bytes.setInteger(UInt32(size), at: SyntheticPE.certificateEntry + 4, endianness: .little)
        _ = try PE.Image(bytes)
        let identity = try SigningIdentity()
        for operation in [
            { _ = try PE.Authenticode.digest(of: bytes) },
            { _ = try PE.Authenticode.strip(bytes) },
            { _ = try PE.Authenticode.sign(bytes, key: identity.key, certificate: identity.certificate) },
            { try PE.Authenticode.verify(bytes, trusting: identity.certificate) },
            { _ = try PE.UKI.assemble(stub: bytes, sections: [(name: ".linux", data: [1])]) },
        ] as [() throws -> Void] {
            let error = try #require(throws: PEError.self) { try operation() }
            #expect(Self.certificate(error), "\(error)")
        }
    }

    @Test(arguments: [(4, UInt32(0x0100)), (6, UInt32(0x0001)), (0, UInt32(8)), (0, UInt32(0x10_0000))])
    func damagedWinCertificate(field offset: Int, value: UInt32) throws {
        let identity = try SigningIdentity()
        var signed = try PE.Authenticode.sign(SyntheticPE().build(), key: identity.key, certificate: identity.certificate)
        let table = try #require(try PE.Image(signed).certificateTable)
        if offset == 0 {
            signed.setInteger(value, at: Int(table.virtualAddress), endianness: .little)
        } else {
            signed.setInteger(UInt16(value), at: Int(table.virtualAddress) + offset, endianness: .little)
        }
        let error = try #require(throws: PEError.self) { try PE.Authenticode.verify(signed, trusting: identity.certificate) }
        guard case .invalidCertificateEntry = error else {
            Issue.record("expected a WIN_CERTIFICATE error, got \(error)")
            return
        }
    }

    @Test func signedImageCutAtEveryLength() throws {
        let identity = try SigningIdentity()
        let signed = try PE.Authenticode.sign(SyntheticPE().build(), key: identity.key, certificate: identity.certificate)
        for length in stride(from: 0, to: signed.count, by: 3) {
            Self.exercise(Array(signed.prefix(length)), identity: identity)
            #expect(throws: (any Error).self) { try PE.Authenticode.verify(Array(signed.prefix(length)), trusting: identity.certificate) }
        }
    }

    @Test func randomDamageWithAFixedSeed() throws {
        let identity = try SigningIdentity()
        var inputs = [try PE.Authenticode.sign(SyntheticPE().build(), key: identity.key, certificate: identity.certificate)]
        if let stub = Fixtures.stub {
            inputs.append(try PE.Authenticode.sign(stub, key: identity.key, certificate: identity.certificate))
        }
        var generator = SeededGenerator(seed: 0x5045_5045)
        var verified = 0
        for original in inputs {
            let headers = Int(try PE.Image(original).sizeOfHeaders)
            for round in 0..<600 {
                var bytes = original
                for _ in 0..<(1 + Int(generator.next() % 6)) {
                    // Mostly the headers, where the offsets are; sometimes anywhere.
                    let range = round % 4 == 0 ? bytes.count : headers
                    bytes[Int(generator.next() % UInt64(range))] = UInt8(truncatingIfNeeded: generator.next())
                }
                Self.exercise(bytes, identity: identity)
                if (try? PE.Authenticode.verify(bytes, trusting: identity.certificate)) != nil { verified += 1 }
            }
        }
        // Only damage to CheckSum or to bytes outside every hashed region keeps a signature valid.
        #expect(verified < 60, "\(verified) damaged images still verify")
    }

    /// Every entry point on `bytes`; only crashing fails.
    static func exercise(_ bytes: [UInt8], identity: SigningIdentity) {
        if let image = try? PE.Image(bytes) {
            for section in image.sections { _ = image.section(named: section.name) }
        }
        _ = try? PE.Authenticode.digest(of: bytes)
        _ = try? PE.Authenticode.strip(bytes)
        _ = try? PE.Authenticode.signature(of: bytes)
        _ = try? PE.UKI.assemble(stub: bytes, sections: [(name: ".cmdline", data: [0x20])])
    }
}
