import Crypto
import Foundation
import Testing
import TestSupport

@testable import Bundle

/// The streaming reader: signature first, then payloads, with every mismatch naming a role.
@Suite struct BundleReaderTests {
    /// A signed bundle (RSA) with a 300 KiB root.
    private func signedBundle(_ scratch: ScratchDirectory) throws -> (String, Fixtures.Payloads, UpdateBundle.Manifest) {
        let payloads = try Fixtures.payloads(in: scratch, rootSize: 300_000)
        let path = scratch.path("update.bundle")
        let manifest = try Fixtures.writeBundle(path, payloads, signer: try Fixtures.signer(try Fixtures.identity(.rsa2048)))
        return (path, payloads, manifest)
    }

    @Test func streamsPayloadsAndChecksTheSignature() throws {
        let scratch = try ScratchDirectory()
        let (path, payloads, manifest) = try signedBundle(scratch)
        let reader = try UpdateBundle.Reader(path: path)
        #expect(reader.isSigned)
        #expect(reader.manifest == manifest)
        #expect(reader.manifestBytes == manifest.encoded())
        try reader.verifySignature(trusting: try Fixtures.certificate(try Fixtures.identity(.rsa2048)))
        let other = try Fixtures.certificate(try Fixtures.otherIdentity())
        let error = #expect(throws: BundleError.self) { try reader.verifySignature(trusting: other) }
        guard case .badSignature(let subject, let detail) = error else {
            Issue.record("expected badSignature, got \(String(describing: error))")
            return
        }
        #expect(subject.contains("someone else"))
        #expect(detail.contains(other.sha256Fingerprint))

        // Payloads come back exactly, in any order, more than once.
        for role in ["verity-sig", "root", "verity", "root"] as [UpdateBundle.PayloadRole] {
            var received: [UInt8] = []
            try reader.streamPayload(role: role) { received.append(contentsOf: $0) }
            #expect(received == payloads.byRole[role], "role \(role)")
        }
        try reader.verifyPayloads()
        #expect(throws: BundleError.unknownRole("uki", known: ["root", "verity", "verity-sig"])) {
            try reader.streamPayload(role: "uki") { _ in }
        }
    }

    @Test func flippedPayloadByteNamesTheRole() throws {
        let scratch = try ScratchDirectory()
        let (path, _, _) = try signedBundle(scratch)
        var bytes = try Fixtures.bytes(path)
        let offset = try Fixtures.dataOffset(of: "verity.hashtree.zst", in: bytes)
        bytes[offset + 30_000] ^= 0x40
        try Fixtures.write(bytes, to: path)

        let reader = try UpdateBundle.Reader(path: path)
        try reader.verifySignature(trusting: try Fixtures.certificate(try Fixtures.identity(.rsa2048)))
        try reader.streamPayload(role: "root") { _ in }
        let streamed = #expect(throws: BundleError.self) { try reader.streamPayload(role: "verity") { _ in } }
        guard case .payloadMismatch(let role, _) = streamed else {
            Issue.record("expected payloadMismatch, got \(String(describing: streamed))")
            return
        }
        #expect(role == "verity")
        let verified = #expect(throws: BundleError.self) { try UpdateBundle.Reader(path: path).verifyPayloads() }
        #expect(verified.map { "\($0)" }?.contains("payload verity") == true, "\(String(describing: verified))")
    }

    @Test func corruptFrameChecksumOfEmptyPayloadNamesTheRole() throws {
        // The empty verity-sig payload is a frame header plus its 4-byte content checksum:
        // a flipped checksum byte must still be caught.
        let scratch = try ScratchDirectory()
        let (path, _, manifest) = try signedBundle(scratch)
        var bytes = try Fixtures.bytes(path)
        let info = try #require(manifest.payload(role: "verity-sig"))
        let offset = try Fixtures.dataOffset(of: info.file, in: bytes)
        bytes[offset + Int(info.compressedSize) - 1] ^= 0xff
        try Fixtures.write(bytes, to: path)
        let error = #expect(throws: BundleError.self) { try UpdateBundle.Reader(path: path).verifyPayloads() }
        guard case .payloadMismatch(let role, _) = error else {
            Issue.record("expected payloadMismatch, got \(String(describing: error))")
            return
        }
        #expect(role == "verity-sig")
    }

    @Test func alteredManifestFailsTheSignature() throws {
        let scratch = try ScratchDirectory()
        let (path, _, _) = try signedBundle(scratch)
        var bytes = try Fixtures.bytes(path)
        let manifestStart = try Fixtures.dataOffset(of: "manifest.json", in: bytes)
        let version = Array("\"version\":\"1.0.0\"".utf8)
        let position = try #require(
            (manifestStart..<(manifestStart + 400)).first { Array(bytes[$0..<($0 + version.count)]) == version })
        bytes[position + version.count - 2] = UInt8(ascii: "9")  // 1.0.0 -> 1.0.9: still a valid manifest
        try Fixtures.write(bytes, to: path)
        let reader = try UpdateBundle.Reader(path: path)
        #expect(reader.manifest.version == "1.0.9")
        let error = #expect(throws: BundleError.self) {
            try reader.verifySignature(trusting: try Fixtures.certificate(try Fixtures.identity(.rsa2048)))
        }
        guard case .badSignature = error else {
            Issue.record("expected badSignature, got \(String(describing: error))")
            return
        }
    }

    @Test func unsignedBundleReportsUnsigned() throws {
        let scratch = try ScratchDirectory()
        let payloads = try Fixtures.payloads(in: scratch, rootSize: 50_000)
        let path = scratch.path("u.bundle")
        try Fixtures.writeBundle(path, payloads, signer: nil)
        let reader = try UpdateBundle.Reader(path: path)
        #expect(!reader.isSigned)
        #expect(reader.signature == nil)
        #expect(throws: BundleError.unsigned) {
            try reader.verifySignature(trusting: try Fixtures.certificate(try Fixtures.identity(.rsa2048)))
        }
        try reader.verifyPayloads()
    }

    @Test func progressCountsEveryByte() throws {
        let scratch = try ScratchDirectory()
        let payloads = try Fixtures.payloads(in: scratch, rootSize: 2_500_000)
        let seen = Recorder()
        _ = try UpdateBundle.write(
            to: scratch.path("p.bundle"), name: "n", version: "v", rootHash: Fixtures.rootHash, payloads: payloads.sources,
            signer: nil, mtime: 0, level: 1, progress: { done, total in seen.record(done, total) })
        let calls = seen.calls
        let total = UInt64(2_500_000 + 70_000)
        #expect(calls.last.map { $0 == (total, total) } == true)
        #expect(calls.allSatisfy { $0.1 == total })
        #expect(zip(calls, calls.dropFirst()).allSatisfy { $0.0 < $1.0 })
    }
}

/// Collects progress calls (the callback is @Sendable).
final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [(UInt64, UInt64)] = []

    func record(_ done: UInt64, _ total: UInt64) {
        lock.withLock { recorded.append((done, total)) }
    }

    var calls: [(UInt64, UInt64)] { lock.withLock { recorded } }
}
