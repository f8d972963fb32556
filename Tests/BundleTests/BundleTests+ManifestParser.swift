import Testing
import TestSupport

@testable import Bundle

/// The manifest's own JSON reader (no Foundation, so the agent reads bundles with the
/// standard library alone): canonical manifests round-trip, and every kind of malformed
/// text ends in a `BundleError.invalidManifest` naming the field, never in a crash.
@Suite struct ManifestParserTests {
    static let hex64 = String(repeating: "0123456789abcdef", count: 4)

    static let manifest = UpdateBundle.Manifest(
        name: "edge \"quoted\" \\ é 😀 /slash", version: "2025.1-rc/1", rootHash: hex64, signedBy: hex64,
        payloads: [
            UpdateBundle.PayloadInfo(
                role: .root, file: "root.erofs.zst", size: UInt64(Int64.max) >> 16, sha256: hex64, compressedSize: 12345,
                compressedSha256: hex64),
            UpdateBundle.PayloadInfo(role: .verity, file: "verity.hashtree.zst", size: 0, sha256: hex64, compressedSize: 0, compressedSha256: hex64),
        ])

    static var canonical: String { String(decoding: manifest.encoded(), as: UTF8.self) }

    /// The error `decode` ends in for `text`; records an issue when it is not a BundleError.
    static func failure(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> BundleError? {
        failure(Array(text.utf8), sourceLocation: sourceLocation)
    }

    static func failure(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> BundleError? {
        do {
            let manifest = try UpdateBundle.Manifest.decode(bytes)
            Issue.record("decoded \(manifest)", sourceLocation: sourceLocation)
            return nil
        } catch let error as BundleError {
            return error
        } catch {
            Issue.record("not a BundleError: \(error)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// Expects `text` to be refused for `field` with a problem containing `problem`.
    static func expectRefused(
        _ text: String, field: String, _ problem: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let error = failure(text, sourceLocation: sourceLocation) else { return }
        guard case .invalidManifest(let actualField, let actualProblem) = error else {
            Issue.record("expected invalidManifest, got \(error)", sourceLocation: sourceLocation)
            return
        }
        #expect(actualField == field && actualProblem.contains(problem), "\(error)", sourceLocation: sourceLocation)
    }

    /// The canonical text with `original` replaced by `replacement` (exactly once).
    static func edited(_ original: String, _ replacement: String, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        let parts = canonical.split(separator: original, omittingEmptySubsequences: false)
        #expect(parts.count == 2, "\(original) appears \(parts.count - 1) times", sourceLocation: sourceLocation)
        return parts.joined(separator: replacement)
    }

    @Test func aCanonicalManifestRoundTrips() throws {
        let bytes = Self.manifest.encoded()
        let decoded = try UpdateBundle.Manifest.decode(bytes)
        #expect(decoded == Self.manifest)
        #expect(decoded.encoded() == bytes)
        var unsigned = Self.manifest
        unsigned.signedBy = nil
        #expect(try UpdateBundle.Manifest.decode(unsigned.encoded()) == unsigned)
        // Control characters are written as escapes and read back (validate() refuses them in a name).
        var escaped = Self.manifest
        escaped.payloads[0].sha256 = "\u{1}\u{8}\u{c}\n\r\u{1f}"
        Self.expectRefused(String(decoding: escaped.encoded(), as: UTF8.self), field: "payloads[0].sha256", #"is "\u0001\b\f\n\r\u001f""#)
    }

    @Test func everyEscapeIsReadAndNonCanonicalTextIsRefusedAfterwards() throws {
        let text = #"{"k":"\"\\\/\b\f\n\r\t\u00e9\u20AC\ud83d\ude00 é"}"#
        guard case .object(let members) = try UpdateBundle.ManifestParser.parse(Array(text.utf8)),
            members.count == 1, case .string(let value) = members[0].value
        else {
            Issue.record("not an object of one string")
            return
        }
        #expect(value == "\"\\/\u{8}\u{c}\n\r\té€😀 é")
        // Valid JSON that is not the canonical text: escapes the writer does not use, spacing, key order.
        Self.expectRefused(Self.edited("\"version\":\"2025.1-rc/1\"", #""version":"2025.1-rc\/1""#), field: "(encoding)", "canonical")
        Self.expectRefused(Self.edited("\"architecture\"", "\"\\u0061rchitecture\""), field: "(encoding)", "canonical")
        Self.expectRefused(Self.edited(",\"payloads\"", ", \"payloads\""), field: "(encoding)", "canonical")
        Self.expectRefused(Self.edited("\"signedBy\":\"\(Self.hex64)\"", "\"signedBy\":null"), field: "(encoding)", "canonical")
        let reordered = Self.edited("\"name\"", "\"version\":\"x\",\"name\"").replacingFirst(",\"version\":\"2025.1-rc/1\"", with: "")
        Self.expectRefused(reordered, field: "(encoding)", "canonical")
    }

    @Test func truncatedTextIsRefusedAtEveryLength() {
        let bytes = Self.manifest.encoded()
        for length in 0..<bytes.count {
            guard let error = Self.failure(Array(bytes[..<length])) else { continue }
            guard case .invalidManifest(_, let problem) = error, problem.contains("is not valid JSON") else {
                Issue.record("length \(length): \(error)")
                continue
            }
        }
        Self.expectRefused("", field: "(document)", "expected a value, found the end of the text at byte 0")
        Self.expectRefused("{\"format\":1,", field: "(document)", "expected a key in quotes, found the end of the text at byte 12")
    }

    @Test func badEscapesAreRefused() {
        for (escape, problem) in [
            (#"\x"#, "unknown escape"), (#"\u12G4"#, "four hex digits"), (#"\u12 "#, "four hex digits"),
            (#"\udc00"#, "low surrogate \\udc00 without a high one"), (#"\ud800x"#, "high surrogate not followed by a \\u escape"),
            (#"\ud800\u0041"#, "high surrogate not followed by a low one"), (#"\ud800\"#, "not followed by a \\u escape"),
        ] {
            Self.expectRefused(Self.edited("\"name\":\"", "\"name\":\"a\(escape)"), field: "name", problem)
        }
        Self.expectRefused(#"{"name":"\"#, field: "name", "the text ends inside an escape")
    }

    /// One change to the canonical text and the error it must end in.
    struct Edit {
        var original: String
        var replacement: String
        var field: String
        var problem: String

        init(_ original: String, _ replacement: String, _ field: String, _ problem: String) {
            (self.original, self.replacement, self.field, self.problem) = (original, replacement, field, problem)
        }
    }

    static func expectRefused(_ edits: [Edit], sourceLocation: SourceLocation = #_sourceLocation) {
        for edit in edits {
            expectRefused(edited(edit.original, edit.replacement), field: edit.field, edit.problem, sourceLocation: sourceLocation)
        }
    }

    @Test func numbersAreWholeNonNegativeAndFitIn64Bits() {
        let first = "\"compressedSize\":12345", second = "\"compressedSize\":0"
        Self.expectRefused([
            Edit(first, "\"compressedSize\":012345", "payloads[0].compressedSize", "a number with a leading zero"),
            Edit(first, "\"compressedSize\":00", "payloads[0].compressedSize", "a number with a leading zero"),
            Edit(second, "\"compressedSize\":18446744073709551616", "payloads[1].compressedSize", "larger than 2^64 - 1"),
            Edit(second, "\"compressedSize\":99999999999999999999999", "payloads[1].compressedSize", "larger than 2^64 - 1"),
            Edit(second, "\"compressedSize\":18446744073709551615", "payloads[1].size", "is larger than 2^63 - 1 bytes"),
            Edit(second, "\"compressedSize\":0.0", "payloads[1].compressedSize", "a fraction or an exponent"),
            Edit(second, "\"compressedSize\":1e3", "payloads[1].compressedSize", "a fraction or an exponent"),
            Edit(second, "\"compressedSize\":-1", "payloads[1].compressedSize", "a negative number"),
            Edit("\"format\":1", "\"format\":18446744073709551615", "format", "is 18446744073709551615; this reader understands format 1"),
            Edit("\"format\":1", "\"format\":2", "format", "is 2; this reader understands format 1"),
        ])
    }

    @Test func duplicateUnknownAndMissingKeysAreNamed() {
        Self.expectRefused([
            Edit("\"version\"", "\"name\":\"again\",\"version\"", "name", "appears twice"),
            Edit("\"zstd\"}]", "\"zstd\",\"compression\":\"zstd\"}]", "payloads[1].compression", "appears twice"),
            Edit("\"root.erofs.zst\"", "\"root.erofs.zst\",\"mode\":420", "payloads[0].mode", "is not a field of format 1"),
            Edit("]}", "],\"comment\":null}", "comment", "is not a field of format 1"),
            Edit(",\"compression\":\"zstd\"}]", "}]", "payloads[1].compression", "is missing"),
            Edit("\"rootHash\"", "\"rootHashX\"", "rootHash", "is missing"),
        ])
        Self.expectRefused("{}", field: "format", "is missing")
    }

    @Test func wrongTypesAndNullsAreNamed() {
        let version = "\"version\":\"2025.1-rc/1\""
        Self.expectRefused([
            Edit("\"size\":0", "\"size\":\"0\"", "payloads[1].size", "has the wrong type; expected an integer"),
            Edit("\"format\":1", "\"format\":true", "format", "has the wrong type; expected an integer"),
            Edit("\"format\":1", "\"format\":null", "format", "is null; expected an integer"),
            Edit(version, "\"version\":false", "version", "has the wrong type; expected a string"),
            Edit(version, "\"version\":[]", "version", "has the wrong type; expected a string"),
            Edit("\"signedBy\":\"\(Self.hex64)\"", "\"signedBy\":7", "signedBy", "has the wrong type; expected a string"),
            Edit("\"role\":\"root\"", "\"role\":null", "payloads[0].role", "is null; expected a string"),
        ])
        let payloads = "\"payloads\":" + (Self.canonical.split(separator: "\"payloads\":").last.map(String.init) ?? "")
        for (replacement, field, problem) in [
            ("{}", "payloads", "has the wrong type; expected an array"), ("[\"root\"]", "payloads[0]", "has the wrong type; expected an object"),
            ("[]", "payloads", "is empty"),
        ] {
            Self.expectRefused(Self.canonical.replacingFirst(payloads, with: "\"payloads\":\(replacement)}"), field: field, problem)
        }
        Self.expectRefused("[]", field: "(document)", "has the wrong type; expected an object")
        Self.expectRefused("\"manifest\"", field: "(document)", "has the wrong type; expected an object")
    }

    @Test func nestingIsBoundedAndDeepTextDoesNotOverflowTheStack() {
        let eight = String(repeating: "[", count: 7) + String(repeating: "]", count: 7)
        Self.expectRefused("{\"x\":\(eight)}", field: "format", "is missing")
        let nine = String(repeating: "[", count: 8) + String(repeating: "]", count: 8)
        Self.expectRefused("{\"x\":\(nine)}", field: "x[0][0][0][0][0][0][0]", "nest deeper than 8 levels")
        Self.expectRefused(String(repeating: "[", count: 500_000), field: "[0][0][0][0][0][0][0][0]", "nest deeper than 8 levels")
        Self.expectRefused(String(repeating: "{\"a\":", count: 100_000), field: "a.a.a.a.a.a.a.a", "nest deeper than 8 levels")
    }

    @Test func controlCharactersInvalidUTF8AndStrayTextAreRefused() {
        Self.expectRefused(Self.edited("\"name\":\"", "\"name\":\"line\nbreak"), field: "name", "control character 0x0a inside a string")
        Self.expectRefused(Self.edited("\"name\":\"", "\"name\":\"\u{0}"), field: "name", "control character 0x00")
        var invalid = Array(Self.edited("\"name\":\"", "\"name\":\"@").utf8)
        if let at = invalid.firstIndex(of: UInt8(ascii: "@")) { invalid[at] = 0xC3 }  // a lead byte before "edge"
        guard case .invalidManifest(let field, let problem) = Self.failure(invalid) else { return }
        #expect(field == "name" && problem.contains("not valid UTF-8"), "\(problem)")
        Self.expectRefused(Self.canonical + "}", field: "(document)", "text after the end of the JSON value")
        Self.expectRefused(Self.canonical + " \n", field: "(encoding)", "canonical")
        Self.expectRefused("{\"format\" 1}", field: "format", "expected \":\" after the key, found \"1\"")
        Self.expectRefused("{\"format\":1 \"name\":\"x\"}", field: "(document)", "expected \",\" or \"}\" in an object, found \"\"\"")
        Self.expectRefused("{\"format\":tru}", field: "format", "expected a value, found \"t\"")
        Self.expectRefused("{\"format\":\u{7f}}", field: "format", "expected a value, found byte 0x7f")
        Self.expectRefused("{format:1}", field: "(document)", "expected a key in quotes, found \"f\"")
        let large = String(repeating: " ", count: Int(UpdateBundle.maximumManifestSize)) + "{}"
        Self.expectRefused(large, field: "(document)", "has 1048578 bytes; a manifest is at most 1048576")
    }

    /// Random edits of a canonical manifest: each ends in a BundleError or in a manifest
    /// whose canonical bytes are the input, and none traps.
    @Test func randomEditsEndInAnErrorOrTheSameBytes() {
        let original = Self.manifest.encoded()
        let interesting = Array("{}[]\":,\\u0123456789abcdefnull-.eE \n".utf8) + [0x00, 0x1f, 0x7f, 0xC3, 0xFF]
        var generator = SeededGenerator(seed: 2025)
        for round in 0..<20_000 {
            var bytes = original
            for _ in 0...(generator.next() % 4) {
                let position = Int(generator.next() % UInt64(bytes.count + 1))
                switch generator.next() % 4 {
                case 0 where position < bytes.count: bytes[position] = interesting[Int(generator.next() % UInt64(interesting.count))]
                case 1: bytes.insert(interesting[Int(generator.next() % UInt64(interesting.count))], at: position)
                case 2 where position < bytes.count: bytes.removeSubrange(position..<min(bytes.count, position + Int(generator.next() % 16)))
                default: bytes.insert(contentsOf: original[..<min(original.count, Int(generator.next() % 64))], at: position)
                }
            }
            do {
                #expect(try UpdateBundle.Manifest.decode(bytes).encoded() == bytes, "round \(round)")
            } catch {
                #expect(error is BundleError, "round \(round): \(error)")
            }
        }
    }
}

extension String {
    /// This text with the first occurrence of `target` replaced.
    func replacingFirst(_ target: String, with replacement: String) -> String {
        guard let range = firstRange(of: target) else { return self }
        var result = self
        result.replaceSubrange(range, with: replacement)
        return result
    }
}
