import Crypto
import Foundation
import Testing
import TestSupport

@testable import Bundle

/// Hostile input: whatever the file holds, the reader ends in a BundleError, never a crash,
/// a hang or a huge allocation.
@Suite struct BundleHostileTests {
    /// Open and fully verify; returns the error (nil when everything passed).
    private func readAll(_ path: String) -> Error? {
        do {
            let reader = try UpdateBundle.Reader(path: path)
            try reader.verifyPayloads()
            return nil
        } catch {
            return error
        }
    }

    private func smallBundle(_ scratch: ScratchDirectory) throws -> [UInt8] {
        let payloads = try Fixtures.payloads(in: scratch, rootSize: 20_000)
        let path = scratch.path("small.bundle")
        try Fixtures.writeBundle(path, payloads, signer: try Fixtures.signer(try Fixtures.identity(.ecP256)))
        return try Fixtures.bytes(path)
    }

    @Test func truncatedAtEveryBlockBoundaryFails() throws {
        let scratch = try ScratchDirectory()
        let bundle = try smallBundle(scratch)
        let path = scratch.path("cut")
        var lengths = Array(stride(from: 0, to: bundle.count, by: 512))
        lengths += [1, 100, 511, 513, 1000, bundle.count - 1, bundle.count - 512 - 7]
        for length in lengths {
            try Fixtures.write(Array(bundle.prefix(length)), to: path)
            let error = readAll(path)
            #expect(error is BundleError, "cut at \(length): \(String(describing: error))")
        }
        try Fixtures.write(bundle, to: path)
        #expect(readAll(path) == nil)
    }

    @Test func randomByteFlipsNeverCrash() throws {
        let scratch = try ScratchDirectory()
        let bundle = try smallBundle(scratch)
        let path = scratch.path("flipped")
        var generator = SeededGenerator(seed: 99)
        var failures = 0
        for _ in 0..<150 {
            var bytes = bundle
            let position = Int(generator.next() % UInt64(bytes.count))
            bytes[position] ^= UInt8(truncatingIfNeeded: generator.next() | 1)
            try Fixtures.write(bytes, to: path)
            if let error = readAll(path) {
                #expect(error is BundleError, "flip at \(position): \(error)")
                failures += 1
            }
        }
        #expect(failures > 50)  // flips in padding or name slack may pass; most must not
    }

    @Test func garbageAndEmptyFilesAreNotBundles() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("garbage")
        var generator = SeededGenerator(seed: 5)
        try Fixtures.write((0..<4096).map { _ in UInt8(truncatingIfNeeded: generator.next()) }, to: path)
        let error = #expect(throws: BundleError.self) { try UpdateBundle.Reader(path: path) }
        guard case .notATar = error else {
            Issue.record("expected notATar, got \(String(describing: error))")
            return
        }
        try Fixtures.write([], to: path)
        #expect(throws: BundleError.self) { try UpdateBundle.Reader(path: path) }
        #expect(throws: BundleError.self) { try UpdateBundle.Reader(path: scratch.path("missing")) }
    }

    @Test func oversizedManifestIsRefusedBeforeReading() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("big")
        try Fixtures.tar(path, members: [("manifest.json", [UInt8](repeating: 0x20, count: (1 << 20) + 1))])
        #expect(throws: BundleError.memberTooLarge(name: "manifest.json", size: (1 << 20) + 1, limit: 1 << 20)) {
            try UpdateBundle.Reader(path: path)
        }
        // A header claiming 8 GiB - 1 for a tiny file, and one claiming a huge signature.
        var header = UpdateBundle.TarHeader(name: "manifest.json", size: UpdateBundle.TarHeader.largestOctal, mtime: 0).encoded()
        try Fixtures.write(header + [UInt8](repeating: 0, count: 1024), to: path)
        #expect(throws: BundleError.self) { try UpdateBundle.Reader(path: path) }
        header = UpdateBundle.TarHeader(name: "manifest.json", size: 1 << 40, mtime: 0).encoded()  // base-256 size
        try Fixtures.write(header, to: path)
        #expect(throws: BundleError.memberTooLarge(name: "manifest.json", size: 1 << 40, limit: 1 << 20)) {
            try UpdateBundle.Reader(path: path)
        }
    }

    @Test func structuralProblemsHaveTheirOwnErrors() throws {
        let scratch = try ScratchDirectory()
        let bundle = try smallBundle(scratch)
        let good = try UpdateBundle.Reader(path: scratch.path("small.bundle"))
        let manifest = good.manifestBytes
        let path = scratch.path("crafted")

        try Fixtures.tar(path, members: [("readme.txt", [1, 2, 3])])
        #expect(throws: BundleError.firstMemberNotManifest(found: "readme.txt")) { try UpdateBundle.Reader(path: path) }

        try Fixtures.tar(path, members: [("../manifest.json", manifest)])
        #expect(throws: BundleError.unsafeMemberName("../manifest.json")) { try UpdateBundle.Reader(path: path) }

        // Not canonical: a space after the opening brace.
        try Fixtures.tar(path, members: [("manifest.json", Array("{ ".utf8) + manifest.dropFirst())])
        let spacing = #expect(throws: BundleError.self) { try UpdateBundle.Reader(path: path) }
        #expect(spacing.map { "\($0)" }?.contains("canonical") == true)

        // A missing field is named.
        let noHash = String(decoding: manifest, as: UTF8.self).replacingOccurrences(of: "\"rootHash\"", with: "\"rootHashX\"")
        try Fixtures.tar(path, members: [("manifest.json", Array(noHash.utf8))])
        #expect(throws: BundleError.invalidManifest(field: "rootHash", problem: "is missing")) { try UpdateBundle.Reader(path: path) }
        try Fixtures.tar(path, members: [("manifest.json", Array("{\"format\":1,".utf8))])
        #expect(throws: BundleError.self) { try UpdateBundle.Reader(path: path) }

        // Manifest and signature, then end of archive: the first payload is missing.
        let signature = try #require(good.signature)
        try Fixtures.tar(path, members: [("manifest.json", manifest), ("manifest.json.p7s", signature)])
        #expect(throws: BundleError.payloadMissing(role: "root", file: "root.erofs.zst")) {
            try UpdateBundle.Reader(path: path).verifyPayloads()
        }

        // An extra member after the last payload.
        let end = bundle.count - 1024
        let extra = UpdateBundle.TarHeader(name: "extra.bin", size: 3, mtime: 0).encoded() + [1, 2, 3] + [UInt8](repeating: 0, count: 509)
        try Fixtures.write(Array(bundle[..<end]) + extra + [UInt8](repeating: 0, count: 1024), to: path)
        // The reader checks the structure when it opens the bundle: no caller can skip it.
        let trailing = #expect(throws: BundleError.self) { try UpdateBundle.Reader(path: path) }
        guard case .unexpectedMember(let name, let position, _) = trailing else {
            Issue.record("expected unexpectedMember, got \(String(describing: trailing))")
            return
        }
        #expect(name == "extra.bin" && position == 5)

        // A symbolic link member is refused by type.
        var link = UpdateBundle.TarHeader(name: "manifest.json", size: 0, mtime: 0)
        link.typeFlag = UInt8(ascii: "2")
        try Fixtures.write(link.encoded() + [UInt8](repeating: 0, count: 1024), to: path)
        let typed = #expect(throws: BundleError.self) { try UpdateBundle.Reader(path: path) }
        guard case .invalidHeader = typed else {
            Issue.record("expected invalidHeader, got \(String(describing: typed))")
            return
        }
    }

    @Test func headerFieldsRoundTrip() throws {
        for size: UInt64 in [0, 1, 511, 512, UpdateBundle.TarHeader.largestOctal, UpdateBundle.TarHeader.largestOctal + 1, 1 << 45] {
            let header = UpdateBundle.TarHeader(name: "root.erofs.zst", size: size, mtime: Fixtures.mtime)
            let block = header.encoded()
            #expect(block.count == 512)
            #expect(try UpdateBundle.TarHeader(decoding: block, at: 0, path: "t") == header)
        }
        // A corrupted checksum is caught.
        var block = UpdateBundle.TarHeader(name: "a", size: 1, mtime: 0).encoded()
        block[0] = UInt8(ascii: "b")
        #expect(throws: BundleError.self) { try UpdateBundle.TarHeader(decoding: block, at: 0, path: "t") }
    }
}
