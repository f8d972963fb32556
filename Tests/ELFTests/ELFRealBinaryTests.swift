import Foundation
import Testing
import TestSupport
@testable import ELF

/// What `readelf -W -h -l -d` says about a file, as a second opinion.
struct ReadelfView {
    var elfClass = ""
    var littleEndian = false
    var type = ""
    var machine = ""
    var entry: UInt64 = 0
    var programHeaderCount = 0
    var interpreter: String?
    var needed: [String] = []
    var soname: String?
    var runpath: String?
    var rpath: String?

    init(_ text: String) {
        func bracketed(_ line: Substring) -> String? {
            guard let open = line.lastIndex(of: "["), let close = line.lastIndex(of: "]"), open < close else { return nil }
            return String(line[line.index(after: open)..<close])
        }
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            func value() -> String {
                guard let colon = trimmed.firstIndex(of: ":") else { return "" }
                return trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            if trimmed.hasPrefix("Class:") { elfClass = value() }
            if trimmed.hasPrefix("Data:") { littleEndian = value().contains("little endian") }
            if trimmed.hasPrefix("Type:") { type = String(value().prefix { $0 != " " }) }
            if trimmed.hasPrefix("Machine:") { machine = value() }
            if trimmed.hasPrefix("Entry point address:") { entry = UInt64(value().dropFirst(2), radix: 16) ?? .max }
            if trimmed.hasPrefix("Number of program headers:") { programHeaderCount = Int(value()) ?? -1 }
            if trimmed.hasPrefix("[Requesting program interpreter:") {
                interpreter = String(trimmed.dropFirst("[Requesting program interpreter: ".count).dropLast())
            }
            if line.contains("(NEEDED)"), let name = bracketed(line) { needed.append(name) }
            if line.contains("(SONAME)") { soname = bracketed(line) }
            if line.contains("(RUNPATH)") { runpath = bracketed(line) }
            if line.contains("(RPATH)") { rpath = bracketed(line) }
        }
    }
}

let readelf = Tools.find("readelf")

/// Binaries every Debian machine (and this toolchain) has; missing ones are skipped.
let realObjects = [
    "/bin/ls",                                   // PIE executable, DT_NEEDED, PT_INTERP
    "/usr/lib/x86_64-linux-gnu/libc.so.6",       // shared library with DT_SONAME
    "/sbin/ldconfig",                            // static-pie: no interpreter, no DT_NEEDED
    "/opt/swift/usr/bin/swift-frontend",         // very large, with DT_RUNPATH
].filter { FileManager.default.fileExists(atPath: $0) }

@Suite("ELF on this machine's binaries")
struct ELFRealBinaryTests {
    @Test("header, program headers and dynamic names match readelf",
          .enabled(if: readelf != nil, "readelf (binutils) is not installed"),
          arguments: realObjects)
    func matchesReadelf(path: String) throws {
        let object = try ELF.Object(path: path)
        let output = try Tools.run(readelf ?? "readelf", ["-W", "-h", "-l", "-d", path])
        #expect(output.status == 0, "\(output.stderr)")
        let expected = ReadelfView(output.stdoutText)

        #expect(object.header.elfClass.description == expected.elfClass)
        #expect((object.header.endianness == .little) == expected.littleEndian)
        #expect(object.header.type.description == expected.type)
        #expect(expected.machine.contains("X86-64"))
        #expect(object.header.machine == .x86_64)
        #expect(object.header.entry == expected.entry)
        #expect(object.programHeaders.count == expected.programHeaderCount)
        #expect(object.interpreter == expected.interpreter)
        #expect(object.needed == expected.needed)
        #expect(object.soname == expected.soname)
        #expect(object.runpath == expected.runpath)
        #expect(object.rpath == expected.rpath)
        #expect(object.header.isNativeX8664)
    }

    @Test("known facts without readelf")
    func knownFacts() throws {
        if FileManager.default.fileExists(atPath: "/bin/ls") {
            let ls = try ELF.Object(path: "/bin/ls")
            #expect(ls.interpreter == "/lib64/ld-linux-x86-64.so.2")
            #expect(ls.needed.contains("libc.so.6"))
            #expect(ls.soname == nil)
        }
        let libc = "/usr/lib/x86_64-linux-gnu/libc.so.6"
        if FileManager.default.fileExists(atPath: libc) {
            let object = try ELF.Object(path: libc)
            #expect(object.soname == "libc.so.6")
            #expect(object.header.type == .shared)
        }
        if FileManager.default.fileExists(atPath: "/sbin/ldconfig") {
            let ldconfig = try ELF.Object(path: "/sbin/ldconfig")
            #expect(ldconfig.interpreter == nil)
            #expect(ldconfig.needed.isEmpty)
        }
    }

    @Test("the in-memory and the lazy file reader agree", arguments: realObjects.prefix(3))
    func bufferAndFileAgree(path: String) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(try ELF.Object(bytes: bytes) == ELF.Object(path: path))
    }

    @Test("the header alone decodes from the first 64 bytes")
    func quickHeader() throws {
        let path = try #require(realObjects.first)
        let source = try ELF.FileSource(path: path)
        let prefix = try source.read(at: 0, count: 64, what: "prefix")
        let header = try ELF.Header.decode(prefix)
        #expect(header == (try ELF.Object(path: path)).header)
        #expect(header.isNativeX8664)
    }

    @Test("without program headers, the dynamic names come from SHT_DYNAMIC and its sh_link string table")
    func sectionFallback() throws {
        let libc = "/usr/lib/x86_64-linux-gnu/libc.so.6"
        guard FileManager.default.fileExists(atPath: libc) else { return }
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: libc)))
        let full = try ELF.Object(bytes: bytes)
        bytes[56] = 0  // e_phnum = 0 (ELF64 little-endian)
        bytes[57] = 0
        let sections = try ELF.Object(bytes: bytes)
        #expect(sections.programHeaders.isEmpty)
        #expect(sections.interpreter == nil)
        #expect(sections.soname == full.soname)
        #expect(sections.needed == full.needed)
        #expect(sections.dynamicEntries == full.dynamicEntries)
    }

    @Test("a text file is not ELF")
    func notELF() throws {
        #expect(throws: ELF.ParseError.notELF) { try ELF.Header.decode(Array("#!/bin/sh\necho hi\n".utf8)) }
        #expect(throws: ELF.ParseError.notELF) { try ELF.Object(bytes: []) }
        #expect(!ELF.hasMagic(Array("\u{7f}EL".utf8)))
    }

    @Test("a missing file names its path")
    func missingFile() {
        #expect(throws: ELF.ParseError.io(path: "/nonexistent/elf", message: "cannot open for reading")) {
            try ELF.Object(path: "/nonexistent/elf")
        }
    }
}

/// 32-bit x86 objects built by gcc -m32 (relocatable, shared, static executable).
@Suite("ELF32 from gcc -m32")
struct ELF32CompiledTests {
    static let gcc = Tools.find("gcc")

    /// Compiles `source` with the given flags; nil when this gcc cannot target i386 (no multilib).
    static func compile(_ source: String, _ flags: [String], in scratch: ScratchDirectory) throws -> String? {
        guard let gcc else { return nil }
        let input = scratch.path("input.c")
        try source.write(toFile: input, atomically: true, encoding: .utf8)
        let output = scratch.path("output")
        let result = try Tools.run(gcc, ["-m32"] + flags + [input, "-o", output])
        return result.status == 0 ? output : nil
    }

    @Test("relocatable object, shared library and static executable", .enabled(if: gcc != nil, "gcc is not installed"))
    func compiled() throws {
        let scratch = try ScratchDirectory()
        let cases: [(flags: [String], type: ELF.FileType, soname: String?)] = [
            (["-c"], .relocatable, nil),
            (["-shared", "-nostdlib", "-fPIC", "-Wl,-soname,libthirtytwo.so.1"], .shared, "libthirtytwo.so.1"),
            (["-static", "-nostdlib", "-fno-pie", "-no-pie"], .executable, nil),
        ]
        for item in cases {
            guard let path = try Self.compile("void _start(void) { for (;;) {} }\n", item.flags, in: scratch) else {
                // No 32-bit support in this gcc: the synthetic ELF32 tests cover the format.
                continue
            }
            let object = try ELF.Object(path: path)
            #expect(object.header.elfClass == .elf32)
            #expect(object.header.endianness == .little)
            #expect(object.header.machine == .i386)
            #expect(object.header.type == item.type)
            #expect(object.soname == item.soname)
            #expect(!object.header.isNativeX8664)
            if let readelf {
                let expected = ReadelfView(try Tools.run(readelf, ["-W", "-h", "-l", "-d", path]).stdoutText)
                #expect(expected.elfClass == "ELF32")
                #expect(object.header.entry == expected.entry)
                #expect(object.programHeaders.count == expected.programHeaderCount)
                #expect(object.soname == expected.soname)
            }
        }
    }
}
