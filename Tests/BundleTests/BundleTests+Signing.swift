import Crypto
import Foundation
import Testing
import TestSupport

@testable import Bundle

/// Determinism and two-phase signing.
@Suite struct BundleSigningTests {
    @Test func sameInputsGiveSameBytes() throws {
        let scratch = try ScratchDirectory()
        let payloads = try Fixtures.payloads(in: scratch, rootSize: 3 << 20)
        let signer = try Fixtures.signer(try Fixtures.identity(.rsa2048))
        try Fixtures.writeBundle(scratch.path("a"), payloads, signer: signer)
        try Fixtures.writeBundle(scratch.path("b"), payloads, signer: signer)
        let a = try Fixtures.bytes(scratch.path("a"))
        #expect(a == (try Fixtures.bytes(scratch.path("b"))))
        #expect(a.count % 512 == 0)
        // A different mtime changes the headers and nothing else of the payload data.
        _ = try UpdateBundle.write(
            to: scratch.path("c"), name: "hostimg-test", version: "1.0.0", rootHash: Fixtures.rootHash,
            payloads: payloads.sources, signer: signer, mtime: Fixtures.mtime + 1)
        let c = try Fixtures.bytes(scratch.path("c"))
        #expect(c.count == a.count && c != a)
        // No temporary or spool files are left next to the output.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test func resignEqualsOneStepSignedWrite() throws {
        let scratch = try ScratchDirectory()
        let signatureA = Fixtures.data(count: 10, seed: 10)
        let signatureB = Fixtures.data(count: 1_500, seed: 11)
        let signer = try Fixtures.signer(try Fixtures.identity(.rsa2048))

        // Phase 1: unsigned, with a placeholder verity-sig payload A.
        let payloadsA = try Fixtures.payloads(in: scratch, rootSize: 2 << 20, veritySig: signatureA)
        let unsigned = scratch.path("unsigned.bundle")
        try Fixtures.writeBundle(unsigned, payloadsA, signer: nil)
        let unsignedBytes = try Fixtures.bytes(unsigned)

        // Phase 2: resign with B, to a new path and in place.
        let resigned = scratch.path("resigned.bundle")
        let manifest = try UpdateBundle.resign(
            bundle: unsigned, output: resigned, replacing: ["verity-sig": signatureB], signer: signer, mtime: Fixtures.mtime)
        #expect(try Fixtures.bytes(unsigned) == unsignedBytes, "the input must stay untouched")

        // Reference: a one-step signed write with B.
        let oneStep = scratch.path("one-step.bundle")
        try Fixtures.write(signatureB, to: scratch.path("root.p7s"))
        var sourcesB = payloadsA.sources
        sourcesB[2] = try .wholeFile(role: "verity-sig", path: scratch.path("root.p7s"))
        let expected = try UpdateBundle.write(
            to: oneStep, name: "hostimg-test", version: "1.0.0", rootHash: Fixtures.rootHash, payloads: sourcesB,
            signer: signer, mtime: Fixtures.mtime)
        #expect(manifest == expected)
        let oneStepBytes = try Fixtures.bytes(oneStep)
        #expect(try Fixtures.bytes(resigned) == oneStepBytes)

        _ = try UpdateBundle.resign(
            bundle: unsigned, output: unsigned, replacing: ["verity-sig": signatureB], signer: signer, mtime: Fixtures.mtime)
        #expect(try Fixtures.bytes(unsigned) == oneStepBytes)

        // The result reads back and verifies.
        let reader = try UpdateBundle.Reader(path: resigned)
        try reader.verifySignature(trusting: try Fixtures.certificate(try Fixtures.identity(.rsa2048)))
        var received: [UInt8] = []
        try reader.streamPayload(role: "verity-sig") { received.append(contentsOf: $0) }
        #expect(received == signatureB)
        try reader.verifyPayloads()
    }

    @Test func resignRefusesCorruptInputAndUnknownRoles() throws {
        let scratch = try ScratchDirectory()
        let payloads = try Fixtures.payloads(in: scratch, rootSize: 200_000)
        let signer = try Fixtures.signer(try Fixtures.identity(.rsa2048))
        let unsigned = scratch.path("unsigned.bundle")
        try Fixtures.writeBundle(unsigned, payloads, signer: nil)
        #expect(throws: BundleError.unknownRole("uki", known: ["root", "verity", "verity-sig"])) {
            try UpdateBundle.resign(bundle: unsigned, output: scratch.path("o"), replacing: ["uki": [1]], signer: signer, mtime: 0)
        }
        var bytes = try Fixtures.bytes(unsigned)
        bytes[try Fixtures.dataOffset(of: "root.erofs.zst", in: bytes) + 1000] ^= 1
        try Fixtures.write(bytes, to: unsigned)
        let error = #expect(throws: BundleError.self) {
            try UpdateBundle.resign(bundle: unsigned, output: scratch.path("o"), replacing: ["verity-sig": [1]], signer: signer, mtime: 0)
        }
        guard case .payloadMismatch(let role, _) = error else {
            Issue.record("expected payloadMismatch, got \(String(describing: error))")
            return
        }
        #expect(role == "root")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("o")), "nothing is written when a check fails")
    }

    @Test func writeRejectsBadArguments() throws {
        let scratch = try ScratchDirectory()
        let payloads = try Fixtures.payloads(in: scratch, rootSize: 1_000)
        func write(
            rootHash: String = Fixtures.rootHash, sources: [UpdateBundle.PayloadSource]? = nil, mtime: Int64 = 0, level: Int = 3
        ) throws {
            try UpdateBundle.write(
                to: scratch.path("x"), name: "n", version: "v", rootHash: rootHash, payloads: sources ?? payloads.sources,
                signer: nil, mtime: mtime, level: level)
        }
        #expect(throws: BundleError.self) { try write(rootHash: "XYZ") }
        #expect(throws: BundleError.self) { try write(mtime: -1) }
        #expect(throws: BundleError.self) { try write(level: 99) }
        #expect(throws: BundleError.self) { try write(sources: payloads.sources + [payloads.sources[1]]) }
        #expect(throws: BundleError.self) { try write(sources: []) }
        var beyond = payloads.sources[0]
        beyond.length += 1 << 30
        #expect(throws: BundleError.self) { try write(sources: [beyond]) }
        var badRole = payloads.sources[1]
        badRole.role = "../etc"
        #expect(throws: BundleError.self) { try write(sources: [badRole]) }
        #expect(!FileManager.default.fileExists(atPath: scratch.path("x")))
    }
}
