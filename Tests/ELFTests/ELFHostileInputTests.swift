import TestSupport
import Foundation
import Testing
@testable import ELF

/// Truncated and damaged input must give an error (or a partial answer), never a trap, a hang
/// or a huge allocation.
@Suite("ELF on truncated and hostile input")
struct ELFHostileInputTests {
    static func realBytes() throws -> [UInt8] {
        let path = FileManager.default.fileExists(atPath: "/bin/ls") ? "/bin/ls" : "/usr/bin/env"
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Parses and ignores the outcome: only crashing fails.
    static func survive(_ bytes: [UInt8]) {
        _ = try? ELF.Object(bytes: bytes)
        _ = try? ELF.Header.decode(bytes)
    }

    @Test("a real binary cut at every 7th byte of its first 4 KiB")
    func truncatedEvery7th() throws {
        let bytes = try Self.realBytes()
        var failures = 0
        for length in stride(from: 0, to: min(4096, bytes.count), by: 7) {
            do {
                _ = try ELF.Object(bytes: Array(bytes.prefix(length)))
            } catch {
                failures += 1
                #expect(!error.description.isEmpty)
            }
        }
        // The program headers and dynamic array lie beyond the header, so short cuts fail.
        #expect(failures > 0)
    }

    @Test("a real binary cut at random points (fixed seed)")
    func truncatedRandomly() throws {
        let bytes = try Self.realBytes()
        var generator = SeededGenerator(seed: 0x5EED)
        for _ in 0..<300 {
            let length = Int(generator.next() % UInt64(bytes.count))
            Self.survive(Array(bytes.prefix(length)))
        }
    }

    @Test("random byte damage in the first 4 KiB (fixed seed)")
    func corrupted() throws {
        let real = try Self.realBytes()
        var synthetic = SyntheticELF()
        synthetic.needed = ["liba.so", "libb.so"]
        synthetic.soname = "libc.so"
        synthetic.interpreter = "/lib/ld.so"
        var generator = SeededGenerator(seed: 42)
        for original in [Array(real.prefix(8192)), synthetic.build()] {
            for _ in 0..<400 {
                var bytes = original
                for _ in 0..<(1 + Int(generator.next() % 8)) {
                    let at = Int(generator.next() % UInt64(min(4096, bytes.count)))
                    bytes[at] = UInt8(truncatingIfNeeded: generator.next())
                }
                Self.survive(bytes)
            }
        }
    }

    @Test("huge counts and offsets are refused with the field's name")
    func hugeFields() throws {
        var synthetic = SyntheticELF()
        synthetic.needed = ["libc.so.6"]
        let good = synthetic.build()

        var manyHeaders = good
        manyHeaders[synthetic.programHeaderCountOffset] = 0xFE
        manyHeaders[synthetic.programHeaderCountOffset + 1] = 0xFF
        #expect(throws: ELF.ParseError.self) { try ELF.Object(bytes: manyHeaders) }

        var farOffset = good
        for index in 0..<8 { farOffset[synthetic.programHeaderOffsetOffset + index] = 0xFF }
        do {
            _ = try ELF.Object(bytes: farOffset)
            Issue.record("an e_phoff near 2^64 was accepted")
        } catch let error {
            guard case .truncated = error else { Issue.record("unexpected \(error)"); return }
        }

        var smallEntry = good
        smallEntry[54] = 8  // e_phentsize (ELF64) smaller than an Elf64_Phdr
        smallEntry[55] = 0
        #expect(throws: ELF.ParseError.invalidHeaderSize(what: "e_phentsize", value: 8, expected: 56)) {
            try ELF.Object(bytes: smallEntry)
        }
    }

    @Test("thousands of DT_NEEDED entries are refused instead of read")
    func tooManyNames() {
        var synthetic = SyntheticELF()
        synthetic.needed = (0..<5000).map { "lib\($0).so" }
        #expect(throws: ELF.ParseError.tooLarge(what: "number of DT_NEEDED/DT_SONAME/DT_RUNPATH/DT_RPATH entries",
                                                value: 5000, limit: 4096)) {
            try ELF.Object(bytes: synthetic.build())
        }
        synthetic.needed = (0..<300).map { "lib\($0).so" }
        #expect((try? ELF.Object(bytes: synthetic.build()))?.needed.count == 300)
    }

    @Test("bad class and data bytes name the valid values")
    func badIdent() {
        var bytes = SyntheticELF().build()
        bytes[4] = 3
        #expect(throws: ELF.ParseError.invalidClass(3)) { try ELF.Header.decode(bytes) }
        bytes[4] = 2
        bytes[5] = 0
        #expect(throws: ELF.ParseError.invalidEndianness(0)) { try ELF.Header.decode(bytes) }
        #expect(ELF.ParseError.invalidEndianness(0).description.contains("valid are 1"))
    }

    @Test("a string table without a terminating NUL is an error, not a runaway read")
    func unterminatedString() throws {
        var synthetic = SyntheticELF()
        synthetic.soname = "libshort.so"
        var bytes = synthetic.build()
        // Overwrite every NUL in the string table region after the soname with 'x'.
        let name = Array("libshort.so".utf8)
        let start = try #require(bytes.indices.first { bytes[$0...].starts(with: name) })
        bytes[start + name.count] = UInt8(ascii: "x")
        #expect(throws: ELF.ParseError.self) { try ELF.Object(bytes: bytes) }
    }

    @Test("DT_STRTAB outside every PT_LOAD is reported as unmapped")
    func unmappedStringTable() throws {
        var synthetic = SyntheticELF()
        synthetic.needed = ["libc.so.6"]
        var bytes = synthetic.build()
        // The last three Elf64_Dyn entries are DT_STRTAB, DT_STRSZ, DT_NULL; move DT_STRTAB away.
        let strtabValue = bytes.count - 3 * 16 + 8
        for index in 0..<8 { bytes[strtabValue + index] = index == 7 ? 0x7F : 0 }
        #expect(throws: ELF.ParseError.unmappedAddress(what: "DT_STRTAB", address: 0x7F00_0000_0000_0000)) {
            try ELF.Object(bytes: bytes)
        }
    }
}
