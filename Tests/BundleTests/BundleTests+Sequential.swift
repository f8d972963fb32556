import Testing
import TestSupport

@testable import Bundle

/// `Reader(input:sequential: true)`: init reads only the manifest and signature, payloads
/// stream in manifest order, and the archive's end is checked after the last one.
@Suite struct BundleSequentialReaderTests {
    @Test func aMemberAfterTheLastPayloadFailsWhenTheLastPayloadEnds() throws {
        let scratch = try ScratchDirectory()
        let payloads = try Fixtures.payloads(in: scratch, rootSize: 100_000)
        let path = scratch.path("update.bundle")
        try Fixtures.writeBundle(path, payloads, signer: try Fixtures.signer(try Fixtures.identity(.rsa2048)))
        try Fixtures.tar(scratch.path("extra.tar"), members: [("manifest.json", Array("{}".utf8))])
        let appended = Array(try Fixtures.bytes(path).dropLast(1024)) + (try Fixtures.bytes(scratch.path("extra.tar")))
        try Fixtures.write(appended, to: path)

        #expect(throws: BundleError.self) { try UpdateBundle.Reader(path: path) }
        let reader = try UpdateBundle.Reader(input: try UpdateBundle.FileInput(path: path), sequential: true)
        try reader.streamPayload(role: "verity") { _ in }  // root skipped: forward is fine
        #expect(throws: BundleError.self) { try reader.streamPayload(role: "root") { _ in } }  // never backwards
        let error = #expect(throws: BundleError.self) { try reader.streamPayload(role: "verity-sig") { _ in } }
        #expect(error == .unexpectedMember(name: "manifest.json", position: 5, expected: "the end-of-archive marker after the last payload"))
        #expect(throws: BundleError.self) { try reader.checkEnd() }
    }

    @Test func aWholeBundleStreamsInOrderAndEndsChecked() throws {
        let scratch = try ScratchDirectory()
        let payloads = try Fixtures.payloads(in: scratch, rootSize: 100_000)
        let path = scratch.path("update.bundle")
        try Fixtures.writeBundle(path, payloads, signer: nil)
        let reader = try UpdateBundle.Reader(input: try UpdateBundle.FileInput(path: path), sequential: true)
        #expect(reader.isSequential && !reader.isSigned)
        try reader.streamPayload(role: "root") { _ in }
        try reader.verifyPayloads()  // the rest, then the end
        try reader.checkEnd()
    }
}
