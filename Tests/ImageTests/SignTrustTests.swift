import ByteCodec
import Foundation
import BuildPipeline
import SystemIO
import Testing
import TestSupport

/// `hostimg sign` is a trust boundary: it signs only a root hash it has computed from the
/// payload in the same run, and it changes a build output directory all at once or not at all.
extension BootStageTests {
    /// Every file of a directory (hidden ones included) with its bytes: a directory left "as
    /// it was" compares equal, and a temporary file left behind shows up as a new name.
    static func snapshot(_ directory: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
        }
        return files
    }

    /// Overwrites the 64 hex digits of the manifest's `rootHash` in an unsigned bundle.
    static func forgeRootHash(in bundle: String, as forged: String) throws -> String {
        var bytes = try read(bundle)
        let key = Array("\"rootHash\":\"".utf8)
        let start = try #require((0...(bytes.count - key.count)).first { Array(bytes[$0..<($0 + key.count)]) == key }) + key.count
        let original = String(decoding: bytes[start..<(start + 64)], as: UTF8.self)
        bytes.replaceSubrange(start..<(start + 64), with: Array(forged.utf8))
        try Data(bytes).write(to: URL(fileURLWithPath: bundle))
        return original
    }

    @Test func aBundleRootHashThatIsNotItsTreeIsNotSigned() async throws {
        let (result, output) = try await build("forged", signed: false)
        let bundle = output + "/test.bundle"
        let forged = String(repeating: "ab", count: 32)
        let original = try Self.forgeRootHash(in: bundle, as: forged)
        #expect(original == result.report.rootHash)
        let before = try Self.snapshot(output)

        let error = try #require(throws: ImageError.self) {
            try ArtifactSigner.signDirectory(output, identity: ImageFixture.identity.0, force: false)
        }
        #expect("\(error)".contains(forged) && "\(error)".contains(original), "names both hashes: \(error)")
        #expect("\(error)".contains(bundle), "\(error)")
        #expect(try Self.snapshot(output) == before, "the image, initrd, bundle and report are as they were, no temporary is left")

        let alone = try #require(throws: ImageError.self) {
            try ArtifactSigner.signBundle(bundle, identity: ImageFixture.identity.0, force: false)
        }
        #expect("\(alone)".contains(forged) && "\(alone)".contains(original), "\(alone)")
        #expect(try Self.snapshot(output) == before)
    }

    @Test func aBundleThatCannotBeWrittenLeavesTheDirectoryAsItWas() async throws {
        let identity = ImageFixture.identity.0
        let (_, signed) = try await build("one-step", signed: true)
        let (_, output) = try await build("faulty", signed: false)
        let before = try Self.snapshot(output)

        // The re-signed bundle cannot be written (no space), after the image and the initrd were.
        let noSpace = PathFaultSystemCalls(matching: ".bundle", failing: .writes, errno: ENOSPC)
        let written = try #require(throws: (any Error).self) {
            try SystemIO.$calls.withValue(noSpace) { try ArtifactSigner.signDirectory(output, identity: identity, force: false) }
        }
        #expect(noSpace.faults > 0)
        #expect("\(written)".contains("test.bundle"), "\(written)")
        #expect(try Self.snapshot(output) == before, "nothing signed, nothing rewritten, no temporary left")

        // Every output is ready, but the bundle cannot be renamed into place (once): the
        // ones already renamed are put back.
        let noRename = PathFaultSystemCalls(matching: "/test.bundle", failing: .renames, errno: EIO, limit: 1)
        #expect(throws: (any Error).self) {
            try SystemIO.$calls.withValue(noRename) { try ArtifactSigner.signDirectory(output, identity: identity, force: false) }
        }
        #expect(noRename.faults == 1)
        #expect(try Self.snapshot(output) == before)

        // Without a fault the same directory signs, with the one-step build's bytes.
        _ = try ArtifactSigner.signDirectory(output, identity: identity, force: false)
        for name in ["test.img", "test.bundle", "initrd.img"] {
            #expect(FileManager.default.contentsEqual(atPath: signed + "/" + name, andPath: output + "/" + name), "\(name)")
        }
        #expect(try Self.snapshot(output).keys.sorted() == before.keys.sorted(), "no temporary left")
    }

    @Test func aCommandLineForAnotherRootHashIsNotSigned() async throws {
        let (result, output) = try await build("cmdline", signed: false)
        let rootHash = result.report.rootHash
        // Another bundle of the same payloads whose command line boots another root hash.
        let other = String(repeating: "cd", count: 32)
        try Data("roothash=\(other) console=ttyS0\n".utf8).write(to: URL(fileURLWithPath: output + "/other-cmdline"))
        let reader = try UpdateBundleProbe.payloads(of: output + "/test.bundle", into: fixture.scratch.path("payloads"))
        let bundle = fixture.scratch.path("other.bundle")
        try UpdateBundleProbe.write(bundle, rootHash: rootHash, payloads: reader, replacing: ["cmdline": output + "/other-cmdline"])
        let error = try #require(throws: ImageError.self) {
            try ArtifactSigner.signBundle(bundle, identity: ImageFixture.identity.0, force: false)
        }
        #expect("\(error)".contains("roothash=\(other)") && "\(error)".contains(rootHash), "\(error)")
    }
}
