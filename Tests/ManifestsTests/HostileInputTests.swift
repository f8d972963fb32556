import TestSupport
import Foundation
import Testing
@testable import Manifests

/// Inputs built to break a parser: empty, binary, huge, deep, explosive, oddly encoded. Each
/// must come back as a diagnostic at the right place — quickly, without a crash or a hang.
/// Inputs are generated here (small, or sparse on disk), never stored.
@Suite("Hostile input")
struct HostileInputTests {
    // MARK: Nothing, or nothing useful

    @Test("an empty file is yaml.empty at 1:1")
    func emptyFile() throws {
        #expect(places(try lint(bytes: [])) == ["yaml.empty 1:1"])
    }

    @Test("comments, blank lines and spaces only are yaml.empty", arguments: [
        "# only a comment\n", "# one\n\n# two\n   \n", "\n\n\n", "   ", "# no newline at the end",
    ])
    func onlyComments(_ text: String) throws {
        let diagnostics = try lint(bytes: Array(text.utf8))
        #expect(places(diagnostics) == ["yaml.empty 1:1"])
        #expect(diagnostics.first?.message.contains("empty or only comments") == true)
    }

    @Test("binary junk is yaml.encoding, one diagnostic, for every seed", arguments: 0..<16)
    func binaryJunk(seed: Int) throws {
        var generator = SeededGenerator(seed: UInt64(seed))
        var bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for _ in 0..<64 { bytes[Int.random(in: 0..<bytes.count, using: &generator)] = 0 }
        let diagnostics = try lint(bytes: bytes)
        #expect(diagnostics.map(\.rule) == ["yaml.encoding"])
        #expect(diagnostics.allSatisfy { $0.location.line >= 1 && $0.location.column >= 1 })
    }

    @Test("a NUL byte in otherwise valid text is a control character at its place")
    func nulByte() throws {
        let diagnostics = try lint(bytes: Array("image:\n  name: ab".utf8) + [0] + Array("cd\n".utf8))
        #expect(places(diagnostics) == ["yaml.encoding 2:11"])
        #expect(diagnostics.first?.message.contains("U+0000") == true)
    }

    @Test("ASCII junk made of YAML punctuation never crashes and always says something", arguments: 0..<8)
    func punctuationJunk(seed: Int) throws {
        var generator = SeededGenerator(seed: 1000 + UInt64(seed))
        let alphabet = Array("-:?[]{},&*!|>'\"%@` #\n  abc01")
        let text = String((0..<2048).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
        let diagnostics = try lint(bytes: Array(text.utf8))
        #expect(!diagnostics.isEmpty)
        #expect(diagnostics.allSatisfy { LintRule.named($0.rule) != nil && $0.location.line >= 1 && $0.location.column >= 1 })
    }

    @Test("mutated valid manifests never crash, and every finding names a catalogued rule", arguments: 0..<4)
    func mutatedManifests(seed: Int) throws {
        var generator = SeededGenerator(seed: 2000 + UInt64(seed))
        let original = Array(ValidInputs.manifest.utf8)
        let inserts = Array("-:?[]{},&*!|>'\"#\n\r\t\u{0}é\\ a1".utf8)
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            for round in 0..<25 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...6, using: &generator) {
                    let at = Int.random(in: 0...bytes.count, using: &generator)
                    switch Int.random(in: 0..<3, using: &generator) {
                    case 0: bytes.insert(inserts[Int.random(in: 0..<inserts.count, using: &generator)], at: at)
                    case 1: bytes.removeSubrange(at ..< min(bytes.count, at + Int.random(in: 1...4, using: &generator)))
                    default:
                        let from = Int.random(in: 0..<bytes.count, using: &generator)
                        bytes.insert(contentsOf: bytes[from ..< min(bytes.count, from + 30)], at: at)
                    }
                }
                try scratch.write("m\(round).yaml", bytes: bytes)
                let diagnostics = try scratch.lint("m\(round).yaml").diagnostics
                #expect(diagnostics.allSatisfy { LintRule.named($0.rule) != nil && $0.location.line >= 1 && $0.location.column >= 1 },
                        "\(diagnostics.map(\.rule))")
            }
        }
    }

    // MARK: Encoding

    @Test("invalid UTF-8 (C3 28) is yaml.encoding at the bad byte's line and column")
    func invalidUTF8() throws {
        let bytes = Array("image:\n  name: ab".utf8) + [0xC3, 0x28] + Array("cd\n  version: 1.0.0\n".utf8)
        let diagnostics = try lint(bytes: bytes)
        #expect(places(diagnostics) == ["yaml.encoding 2:11"])
        #expect(diagnostics.first?.message.contains("not valid UTF-8") == true)
    }

    @Test("invalid UTF-8 after multi-byte characters: the column counts characters, not bytes")
    func invalidUTF8AfterUnicode() throws {
        // "  name: é€" is 10 characters but 13 bytes; the bad byte is the 11th character.
        let bytes = Array("image:\n  name: é€".utf8) + [0xFF] + Array("\n".utf8)
        #expect(places(try lint(bytes: bytes)) == ["yaml.encoding 2:11"])
    }

    @Test("overlong, surrogate and truncated sequences are all refused", arguments: [
        [0xC0, 0x80] as [UInt8], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82],
    ])
    func malformedSequences(_ sequence: [UInt8]) throws {
        let diagnostics = try lint(bytes: Array("a: x".utf8) + sequence)
        #expect(places(diagnostics) == ["yaml.encoding 1:5"])
    }

    @Test("a UTF-8 byte-order mark is skipped: the file parses, columns start after it")
    func byteOrderMark() throws {
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            try scratch.write("ok.yaml", bytes: [0xEF, 0xBB, 0xBF] + Array(ValidInputs.manifest.utf8))
            #expect(try scratch.lint("ok.yaml").diagnostics.isEmpty)
            try scratch.write("bad.yaml", bytes: [0xEF, 0xBB, 0xBF] + Array(("colour: blue\n" + ValidInputs.manifest).utf8))
            #expect(places(try scratch.lint("bad.yaml").diagnostics) == ["schema.unknown-key 1:1"])
        }
    }

    @Test("CRLF line endings parse, values carry no \\r, and positions are right")
    func crlf() throws {
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            let crlf = ValidInputs.manifest.replacingOccurrences(of: "\n", with: "\r\n")
            try scratch.write("ok.yaml", crlf)
            // A "\r" left in a CPU list or size would fail to parse: a clean result shows it is not.
            #expect(try scratch.lint("ok.yaml").diagnostics.isEmpty)
            let loaded = ManifestLoader.load(path: scratch.path + "/ok.yaml")
            #expect(loaded.manifest?.image.name?.value == "scratch")
            #expect(loaded.manifest?.tuning.cpus?.isolated?.value == CPUSet(1...3))
            #expect(loaded.manifest?.tuning.cpus?.isolated?.location.line == 19)

            let broken = crlf.replacingOccurrences(of: "  version: 1.0.0", with: "  version: 1.0.0\r\n  colour: blue")
            try scratch.write("bad.yaml", broken)
            #expect(places(try scratch.lint("bad.yaml").diagnostics) == ["schema.unknown-key 5:3"])
        }
    }

    @Test("columns count Unicode scalars, as libyaml does")
    func unicodeColumns() throws {
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            // "dócs" has a two-byte character; "🚀" is one scalar, four bytes, two UTF-16 units;
            // "é" in "mé" is written decomposed (e + U+0301): two scalars, one character.
            let line = "strip: {dócs: true, \u{1F680}: false, me\u{301}: true, mán: false}\n"
            try scratch.write("m.yaml", ValidInputs.manifest + line)
            let diagnostics = try scratch.lint("m.yaml").diagnostics
            #expect(places(diagnostics) == [
                "schema.unknown-key 20:9", "schema.unknown-key 20:21", "schema.unknown-key 20:31", "schema.unknown-key 20:42",
            ])
            #expect(diagnostics.first?.message.contains("'dócs'") == true)
        }
    }

    @Test("a control character after non-ASCII text is placed by scalars")
    func controlAfterUnicode() throws {
        let diagnostics = try lint(bytes: Array("ключ: \"значение\u{7}\"\n".utf8))
        #expect(places(diagnostics) == ["yaml.encoding 1:16"])
    }

    // MARK: YAML structure

    @Test("a tab used for indentation is yaml.tab where the tab is")
    func tabs() throws {
        #expect(places(try lint(bytes: Array("image:\n\tname: x\n".utf8))) == ["yaml.tab 2:1"])
        #expect(places(try lint(bytes: Array("image:\n  name: x\n\tversion: 1.0.0\n".utf8))) == ["yaml.tab 3:1"])
    }

    @Test("a duplicate key is reported at its second occurrence")
    func duplicateKey() throws {
        let diagnostics = try lint(bytes: Array("image:\n  name: a\n  version: 1.0.0\n  name: b\n".utf8))
        #expect(places(diagnostics) == ["yaml.duplicate-key 4:3"])
        #expect(diagnostics.first?.message.contains("first at line 2, column 3") == true)
        // Top level, and in a block mapping inside a list.
        #expect(places(try lint(bytes: Array("kernel: a\nimage: {}\nkernel: b\n".utf8))) == ["yaml.duplicate-key 3:1"])
        #expect(places(try lint(bytes: Array("x:\n  - a: 1\n    b: 2\n    a: 3\n".utf8))) == ["yaml.duplicate-key 4:5"])
        // A unicode key: the column is still the key's.
        #expect(places(try lint(bytes: Array("é: 1\nzz: 2\né: 3\n".utf8))) == ["yaml.duplicate-key 3:1"])
    }

    @Test("two documents are yaml.multiple-documents at the second `---`; one explicit document is fine")
    func documents() throws {
        #expect(places(try lint(bytes: Array("a: 1\n---\nb: 2\n".utf8))) == ["yaml.multiple-documents 2:1"])
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            try scratch.write("m.yaml", "%YAML 1.1\n---\n" + ValidInputs.manifest + "...\n")
            #expect(try scratch.lint("m.yaml").diagnostics.isEmpty)
        }
    }

    @Test("a document that is a scalar or a list is a schema.type error at 1:1", arguments: [
        "just a string\n", "- a\n- b\n", "42\n", "[image, kernel]\n",
    ])
    func notAMapping(_ text: String) throws {
        let diagnostics = try lint(bytes: Array(text.utf8))
        #expect(diagnostics.contains { $0.rule == "schema.type" && $0.location.line == 1 && $0.location.column == 1 })
        #expect(diagnostics.allSatisfy { $0.rule == "schema.type" || $0.rule == "packages.source" })
    }

    // MARK: Size

    @Test("a 10 MB file is yaml.too-large; the message gives its size")
    func tenMegabytes() throws {
        try withScratchDirectory { scratch in
            let size = 10 << 20
            var text = "packages:\n  include:\n"
            let item = "    - a-package-name-that-is-long\n"
            text += String(repeating: item, count: (size - text.utf8.count) / item.utf8.count)
            text += String(repeating: "#", count: size - text.utf8.count)
            let path = try scratch.write("big.yaml", text)
            #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == size)
            let diagnostics = try scratch.lint("big.yaml").diagnostics
            #expect(places(diagnostics) == ["yaml.too-large 1:1"])
            #expect(diagnostics.first?.message == "file is 10485760 bytes (10 MiB); a manifest may be at most 1 MiB (1048576 bytes)")
        }
    }

    @Test("a 64 GiB sparse file is refused at once: the loader reads at most 1 MiB + 1 byte of it")
    func sparseFile() throws {
        try withScratchDirectory { scratch in
            let path = try scratch.write("huge.yaml", bytes: [])
            let handle = try #require(FileHandle(forWritingAtPath: path))
            // Reading this whole would need 64 GiB of memory; the test passing shows it is not read.
            try handle.truncate(atOffset: 64 << 30)
            try handle.close()
            let diagnostics = try scratch.lint("huge.yaml").diagnostics
            #expect(places(diagnostics) == ["yaml.too-large 1:1"])
            #expect(diagnostics.first?.message.contains("64 GiB") == true)
        }
    }

    @Test("the limit is exactly 1 MiB: a 1 MiB file is read, one byte more is not")
    func sizeLimitBoundary() throws {
        let limit = YAMLLoader.maxBytes
        #expect(limit == 1 << 20)
        let atLimit = Array("#".utf8) + [UInt8](repeating: UInt8(ascii: " "), count: limit - 1)
        #expect(places(try lint(bytes: atLimit)) == ["yaml.empty 1:1"])
        #expect(places(try lint(bytes: atLimit + [UInt8(ascii: " ")])) == ["yaml.too-large 1:1"])
        // The same limit holds for bytes handed to the parser directly.
        if case let .failed(diagnostic) = YAMLLoader.parse(bytes: atLimit + [0x20], file: "x.yaml") {
            #expect(diagnostic.rule == "yaml.too-large")
        } else {
            Issue.record("parse(bytes:) accepted more than maxBytes")
        }
    }

    // MARK: Depth

    @Test("100 000 `[` is yaml.too-deep: libyaml stops at its own limit of 1000 levels")
    func deepBrackets() throws {
        let text = "k: " + String(repeating: "[", count: 100_000) + "\n"
        let diagnostics = try lint(bytes: Array(text.utf8))
        #expect(diagnostics.map(\.rule) == ["yaml.too-deep"])
        // Reported where the parser gave up: on line 1, near the 1000th bracket, not at the end.
        #expect(diagnostics.first.map { $0.location.line == 1 && $0.location.column < 1100 } == true, "\(places(diagnostics))")
    }

    @Test("100 000 `{` is yaml.too-deep")
    func deepBraces() throws {
        let text = "k: " + String(repeating: "{", count: 100_000) + "\n"
        #expect(try lint(bytes: Array(text.utf8)).map(\.rule) == ["yaml.too-deep"])
    }

    @Test("balanced deep brackets and mixed `[{a: ` nesting are yaml.too-deep too")
    func deepBalancedAndMixed() throws {
        let balanced = "k: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n"
        #expect(try lint(bytes: Array(balanced.utf8)).map(\.rule) == ["yaml.too-deep"])
        let mixed = "k: " + String(repeating: "[{a: ", count: 50_000) + "\n"
        #expect(try lint(bytes: Array(mixed.utf8)).map(\.rule) == ["yaml.too-deep"])
    }

    @Test("nested mappings by indentation: yaml.too-deep where libyaml stops")
    func deepIndentation() throws {
        // 1 400 lines, one more space each: about 1 MB, just under the size limit.
        let text = (0..<1400).map { String(repeating: " ", count: $0) + "k:\n" }.joined()
        #expect(text.utf8.count < YAMLLoader.maxBytes)
        // libyaml reads the whole document before Yams composes it, so its own limit of 1000
        // levels answers first, at the 1000th line.
        #expect(places(try lint(bytes: Array(text.utf8))) == ["yaml.too-deep 1000:1000"])
    }

    @Test("20 000 lines of deepening indentation exceed the size limit first, without a crash")
    func deepIndentationHuge() throws {
        // 20 000 levels cannot fit in 1 MiB (the indentation alone is 200 MB): the size guard
        // answers before anything parses.
        try withScratchDirectory { scratch in
            // Written in chunks: the file is 200 MB and need not be in memory at once.
            let path = try scratch.write("deep.yaml", bytes: [])
            let handle = try #require(FileHandle(forWritingAtPath: path))
            var chunk = Data()
            for level in 0..<20_000 {
                chunk.append(Data(repeating: UInt8(ascii: " "), count: level))
                chunk.append(contentsOf: Array("k:\n".utf8))
                if chunk.count > 4 << 20 || level == 19_999 {
                    try handle.write(contentsOf: chunk)
                    chunk.removeAll(keepingCapacity: true)
                }
            }
            try handle.close()
            #expect(places(try scratch.lint("deep.yaml").diagnostics) == ["yaml.too-large 1:1"])
        }
    }

    @Test("nesting after a stray quote is still stopped: by libyaml's own limit, or by the converter")
    func nestingPastThePrescan() throws {
        // A `"` inside a plain scalar is text; nesting after it is bounded all the same.
        for (open, close, count) in [("[", "]", 5_000), ("[", "]", 990), ("{a: ", "}", 990), ("{a: ", "}", 5_000)] {
            let text = "note: say \"hi\nk: " + String(repeating: open, count: count) + String(repeating: close, count: count) + "\n"
            #expect(try lint(bytes: Array(text.utf8)).map(\.rule) == ["yaml.too-deep"], "\(count) × \(open)")
        }
    }

    @Test("`- - - …` 50 000 times is yaml.too-deep")
    func deepDashes() throws {
        let text = String(repeating: "- ", count: 50_000) + "x\n"
        #expect(try lint(bytes: Array(text.utf8)).map(\.rule) == ["yaml.too-deep"])
        // Block lists nested line by line.
        let lines = (0..<700).map { String(repeating: "  ", count: $0) + "-\n" }.joined()
        #expect(try lint(bytes: Array(lines.utf8)).map(\.rule) == ["yaml.too-deep"])
    }

    @Test("64 levels are allowed: the limit is not off by one")
    func depthLimitBoundary() throws {
        // The top mapping is depth 0; `k`'s value, the first bracket, depth 1: 64 brackets reach 64.
        let inside = "k: " + String(repeating: "[", count: 64) + String(repeating: "]", count: 64) + "\n"
        #expect(try lint(bytes: Array(inside.utf8)).allSatisfy { $0.rule != "yaml.too-deep" })
        let outside = "k: " + String(repeating: "[", count: 65) + String(repeating: "]", count: 65) + "\n"
        #expect(places(try lint(bytes: Array(outside.utf8))) == ["yaml.too-deep 1:68"])
    }

    // MARK: Aliases

    static let billionLaughs: String = {
        var lines = ["a: &a [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]"]
        var previous = "a"
        for name in ["b", "c", "d", "e", "f", "g", "h", "i"] {
            lines.append("\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]")
            previous = name
        }
        return lines.joined(separator: "\n") + "\n"
    }()

    @Test("a billion-laughs alias bomb (9 levels of 10) is yaml.too-large-expanded")
    func aliasBomb() throws {
        let diagnostics = try lint(bytes: Array(Self.billionLaughs.utf8))
        #expect(diagnostics.map(\.rule) == ["yaml.too-large-expanded"])
        #expect(diagnostics.first?.message.contains("100000 nodes") == true)
    }

    @Test("the bomb under a manifest key, and used as a value, is caught the same way")
    func aliasBombInValue() throws {
        let text = Self.billionLaughs + "tuning:\n  cpus:\n    sets: *i\n"
        #expect(try lint(bytes: Array(text.utf8)).map(\.rule) == ["yaml.too-large-expanded"])
    }

    @Test("ordinary aliases expand, and the value keeps the anchor's position")
    func ordinaryAlias() throws {
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            let text = ValidInputs.manifest.replacingOccurrences(of: "    housekeeping: \"0\"\n",
                                                               with: "    housekeeping: &hk \"0\"\n    irqAffinity: *hk\n")
            try scratch.write("m.yaml", text)
            #expect(try scratch.lint("m.yaml").diagnostics.isEmpty)
            let cpus = ManifestLoader.load(path: scratch.path + "/m.yaml").manifest?.tuning.cpus
            #expect(cpus?.irqAffinity?.value == CPUSet([0]))
            #expect(cpus?.irqAffinity?.location == cpus?.housekeeping?.location)
        }
    }

    @Test("keys that are not plain words are yaml.alias-key", arguments: [
        ("x: &a foo\n*a : bar\n", "yaml.alias-key 2:1"),
        ("? complex key\n: value\n", "yaml.alias-key 1:1"),
        ("image:\n  ? name\n  : x\n", "yaml.alias-key 2:3"),
        ("[a, b]: x\n", "yaml.alias-key 1:6"),
        ("{a: 1}: x\n", "yaml.alias-key 1:6"),
        ("m: {*a : x}\n", "yaml.alias-key 1:5"),
    ])
    func nonPlainKeys(_ text: String, _ expected: String) throws {
        #expect(places(try lint(bytes: Array(text.utf8))) == [expected])
    }

    @Test("an alias-bomb key is refused before Yams hashes it")
    func aliasBombAsKey() throws {
        let diagnostics = try lint(bytes: Array((Self.billionLaughs + "*i : boom\n").utf8))
        #expect(places(diagnostics) == ["yaml.alias-key 10:1"])
    }

    // MARK: Paths

    @Test("a directory: walked when linted, io.unreadable when read as a file")
    func directoryAsFile() throws {
        try withScratchDirectory { scratch in
            let empty = try scratch.directory("empty")
            let result = try Linter.lint(paths: [empty])
            #expect(result.diagnostics.isEmpty)
            #expect(result.files.isEmpty)

            let folder = try scratch.directory("folder.yaml")
            let read = Linter.lintFile(folder)
            #expect(places(read.diagnostics) == ["io.unreadable 1:1"])
            #expect(read.diagnostics.first?.location.file == folder)
            if case let .failed(diagnostic) = YAMLLoader.load(path: folder) {
                #expect(diagnostic.rule == "io.unreadable")
            } else {
                Issue.record("a directory loaded as YAML")
            }
        }
    }

    @Test("a directory walk skips hidden folders and reads .yml too")
    func directoryWalk() throws {
        try withScratchDirectory { scratch in
            try scratch.write("tree/a.yml", "")
            try scratch.write("tree/.hidden/b.yaml", "")
            try scratch.write("tree/sub/c.yaml", "")
            try scratch.write("tree/sub/notes.txt", "")
            let result = try Linter.lint(paths: [scratch.path + "/tree"])
            #expect(result.files == [scratch.path + "/tree/a.yml", scratch.path + "/tree/sub/c.yaml"])
            #expect(result.diagnostics.map(\.rule) == ["yaml.empty", "yaml.empty"])
        }
    }

    @Test("a file that cannot be opened is io.unreadable", .enabled(if: geteuid() != 0, "root reads every file"))
    func unreadableFile() throws {
        try withScratchDirectory { scratch in
            let path = try scratch.write("locked.yaml", "image: {}\n")
            try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: path)
            #expect(places(try scratch.lint("locked.yaml").diagnostics) == ["io.unreadable 1:1"])
        }
    }

    @Test("a missing top-level path is a usage error, not a finding")
    func missingPath() throws {
        #expect(throws: LintUsageError.self) { try Linter.lint(paths: ["/nonexistent/hostimg/manifest.yaml"]) }
        #expect(throws: LintUsageError.self) { try Linter.lint(paths: []) }
        #expect(throws: LintUsageError.self) {
            try Linter.lint(paths: [repositoryRoot + "/manifests/hv-host.yaml"], options: LintOptions(hardwareProfile: "/nonexistent.yaml"))
        }
        #expect(throws: LintUsageError.self) {
            try Linter.lint(paths: [repositoryRoot + "/manifests/hv-host.yaml"], options: LintOptions(previousManifest: "/nonexistent.yaml"))
        }
        if case let .failed(diagnostic) = YAMLLoader.load(path: "/nonexistent/hostimg/manifest.yaml") {
            #expect(diagnostic.rule == "io.unreadable")
            #expect(diagnostic.message.contains("no such file"))
        } else {
            Issue.record("a missing file loaded")
        }
    }

    @Test("a missing `extends` target is ref.extends at the entry")
    func missingExtends() throws {
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            try scratch.write("m.yaml", "extends:\n  - nowhere/base.yaml\n" + ValidInputs.manifest)
            let diagnostics = try scratch.lint("m.yaml").diagnostics
            #expect(places(diagnostics) == ["ref.extends 2:5"])
            #expect(diagnostics.first?.message.contains(scratch.path + "/nowhere/base.yaml") == true)
        }
    }

    @Test("the same file named twice is linted once")
    func sameFileTwice() throws {
        try withScratchDirectory { scratch in
            try scratch.write("m.yaml", "colour: blue\n")
            let once = try scratch.lint("m.yaml").diagnostics
            let twice = try scratch.lint("m.yaml", "m.yaml").diagnostics
            #expect(once == twice)
        }
    }
}
