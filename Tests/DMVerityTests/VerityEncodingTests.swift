import Foundation
import Testing
import TestSupport

@testable import DMVerity

/// The Foundation-free JSON and base64 behind the verity-sig partition (the initrd's init
/// reads it with the same code), checked against Foundation's and openssl's.
@Suite("verity-sig encodings")
struct VerityEncodingTests {
    @Test("base64 matches Foundation for every length and byte value")
    func base64AgainstFoundation() throws {
        var random = SeededGenerator(seed: 11)
        for length in Array(0...70) + [255, 256, 257, 4099] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            let ours = Base64.encode(bytes)
            #expect(ours == Data(bytes).base64EncodedString(), "length \(length)")
            #expect(Base64.decode(ours) == bytes, "length \(length)")
        }
        let all = (0...255).map { UInt8($0) }
        #expect(Base64.decode(Base64.encode(all)) == all)
    }

    @Test(.enabled(if: Tools.find("openssl") != nil, "openssl is not installed"))
    func base64AgainstOpenSSL() throws {
        let scratch = try ScratchDirectory()
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 31 + 7) }
        try Data(bytes).write(to: URL(fileURLWithPath: scratch.path("in")))
        let result = try Tools.run(try #require(Tools.find("openssl")), ["base64", "-A", "-in", scratch.path("in")])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == Base64.encode(bytes))
    }

    @Test("base64 refuses what is not canonical padded base64", arguments: [
        "A", "AB", "ABC", "A===", "=AAA", "AA=A", "AB==CD==", "AB*=", "AB\nCD", "ABCD ",
    ])
    func base64Refuses(text: String) {
        #expect(Base64.decode(text) == nil, "\(text)")
    }

    @Test("a flat object of strings, with escapes and white space")
    func parsesObjects() throws {
        let text = " {\"a\" : \"x\\\"y\\\\z\\/\", \"b\":\"\\u00e9\\n\",\n\"c\":\"\"} "
        let members = try FlatJSON.parseObject(ArraySlice(Array(text.utf8)))
        #expect(members.map(\.key) == ["a", "b", "c"])
        #expect(members.map(\.value) == ["x\"y\\z/", "é\n", ""])
        #expect(try FlatJSON.parseObject(ArraySlice(Array("{}".utf8))).isEmpty)
        // Foundation agrees on the values.
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String])
        #expect(object == Dictionary(uniqueKeysWithValues: members.map { ($0.key, $0.value) }))
    }

    @Test("what a verity-sig partition may not hold", arguments: [
        ("{\"a\":1}", "not a string"),
        ("{\"a\":\"x\",\"a\":\"y\"}", "appears twice"),
        ("{\"a\":\"x\"} x", "after the JSON object"),
        ("{\"a\":\"x\"", "not closed"),
        ("{\"a\":\"x", "not closed"),
        ("{\"a\":\"\\q\"}", "unknown escape"),
        ("{\"a\":\"\\ud800\"}", "surrogate"),
        ("{\"a\":\"\u{01}\"}", "control byte"),
        ("{\"a\" \"x\"}", "expected \":\""),
        ("[\"a\"]", "not an object"),
        ("", "not an object"),
    ])
    func refuses(text: String, message: String) {
        do {
            _ = try FlatJSON.parseObject(ArraySlice(Array(text.utf8)))
            Issue.record("accepted \(text)")
        } catch {
            #expect(String(describing: error).contains(message), "\(text): \(error)")
        }
    }

    @Test("a duplicated root hash is refused, not resolved either way")
    func duplicatedRootHash() throws {
        let fingerprint = String(repeating: "a", count: 64)
        let content = "{\"rootHash\":\"00ff\",\"rootHash\":\"ff00\",\"certificateFingerprint\":\"\(fingerprint)\",\"signature\":\"AAAA\"}"
        let error = try #require(throws: DMVerityError.self) {
            try VeritySignature.decode(Array(content.utf8) + [0, 0, 0])
        }
        #expect(error.description.contains("\"rootHash\" appears twice"), "\(error)")
    }

    @Test("the target arguments are the kernel table without its prefix")
    func targetArguments() throws {
        let parameters = try DMVerity.Parameters(seed: Array(repeating: 3, count: 16))
        let superBlock = DMVerity.SuperBlock(parameters: parameters, dataBlocks: 1000)
        let rootHash = [UInt8](repeating: 0xcd, count: 32)
        let result = DMVerity.FormatResult(rootHash: rootHash, dataBlocks: 1000, hashBytes: 0, parameters: parameters)
        #expect(superBlock.sectors == 8000)
        let arguments = superBlock.targetArguments(dataDevice: "/dev/vda2", hashDevice: "/dev/vda3", rootHash: rootHash)
        #expect("0 8000 verity " + arguments == DMVerity.kernelTable(dataDevice: "/dev/vda2", hashDevice: "/dev/vda3", result: result))
        // Read back from its own encoding, as the init reads it from the hash partition.
        let decoded = try DMVerity.SuperBlock(decoding: superBlock.encoded())
        #expect(decoded.targetArguments(dataDevice: "/dev/vda2", hashDevice: "/dev/vda3", rootHash: rootHash) == arguments)
    }
}
