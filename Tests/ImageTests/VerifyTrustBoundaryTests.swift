import Foundation
import GPT
import Glibc
import BuildPipeline
import Testing
import TestSupport

/// `verify` says `ok` only for what it checked; hostile images and bundles fail by name and
/// never crash, hang or pass unchecked.
@Suite struct VerifyTrustBoundaryTests {
    static let certificate = ImageFixture.identity.0.certificate

    /// A fresh build (signed unless `signed` is false) and a copy of its image to damage.
    static func build(signed: Bool = true) async throws -> (fixture: ImageFixture, result: ImageBuild.Result, options: ImageBuild.Options) {
        let fixture = try ImageFixture(files: 30)
        let (result, options) = try await fixture.build(into: "out", signer: signed ? ImageFixture.identity.0 : nil)
        return (fixture, result, options)
    }

    static func copy(_ path: String, _ fixture: ImageFixture, _ name: String = "copy.img") throws -> String {
        let copy = fixture.scratch.path(name)
        try? FileManager.default.removeItem(atPath: copy)
        try FileManager.default.copyItem(atPath: path, toPath: copy)
        return copy
    }

    static func failed(_ report: VerificationReport) -> [String] {
        report.checks.filter { $0.status == .failed }.map(\.part)
    }

    static func detail(_ report: VerificationReport, _ part: String) -> String {
        report.checks.filter { $0.part == part }.map(\.detail).joined(separator: " | ")
    }

    @Test func aChangedDataBlocksIsTheSuperblockFieldNeverACrash() async throws {
        let (fixture, result, options) = try await Self.build()
        let verity = result.report.partitions[2].offset
        for byte in UInt64(72)..<80 {
            let copy = try Self.copy(options.imagePath, fixture)
            try flipByte(in: copy, at: verity + byte)
            let report = try ArtifactVerifier.verify(path: copy, certificate: Self.certificate)
            #expect(Self.failed(report).contains("slot A verity"), "byte \(byte): \(report.checks)")
            let detail = Self.detail(report, "slot A verity")
            #expect(detail.contains("field data_blocks (byte 72 of the superblock)"), "byte \(byte): \(detail)")
            #expect(!detail.contains("the data is corrupt"), "byte \(byte): \(detail)")
            // `sign` shares the superblock decoding: it refuses, it does not trap.
            #expect(throws: (any Error).self) {
                try ArtifactSigner.signImage(copy, identity: ImageFixture.identity.0, force: true)
            }
        }
    }

    @Test func aWrittenSlotRelabelledEmptyIsNotSkippedAsVerified() async throws {
        let (fixture, result, options) = try await Self.build()
        let copy = try Self.copy(options.imagePath, fixture)
        _ = try GPT.update(path: copy, changes: [GPT.EntryChange(index: 1, name: "_empty")])
        try flipByte(in: copy, at: result.report.partitions[1].offset + 5000)
        let report = try ArtifactVerifier.verify(path: copy, certificate: Self.certificate)
        #expect(!report.passed)
        #expect(Set(Self.failed(report)).isSuperset(of: ["slot layout", "slots", "slot A"]), "\(report.checks)")
        #expect(Self.detail(report, "slot A").contains("its verity partition 3 holds a dm-verity superblock"))

        // All three relabelled: still no slot to verify, and a tree where none may be.
        _ = try GPT.update(path: copy, changes: [2, 3].map { GPT.EntryChange(index: $0, name: "_empty") })
        let all = try ArtifactVerifier.verify(path: copy, certificate: Self.certificate)
        #expect(Set(Self.failed(all)) == ["slots", "slot A"], "\(all.checks)")
        #expect(!all.checks.contains { $0.status == .ok && $0.part.hasPrefix("slot") })
    }

    @Test func overlappingPartitionsFail() async throws {
        let (fixture, _, options) = try await Self.build()
        for (index, first, last) in [(7, 1, nil), (1, nil, 2)] as [(Int, Int?, Int?)] {
            let copy = try Self.copy(options.imagePath, fixture)
            var editor = try GPTEntryEditor(path: copy)
            // State starting inside root A; root A running into its verity partition.
            if let first { editor.set(index, firstLBA: editor.lba(first) + 8) }
            if let last { editor.set(index, lastLBA: editor.lba(last) + 8) }
            try editor.commit()
            let report = try ArtifactVerifier.verify(path: copy, certificate: Self.certificate)
            #expect(Self.failed(report) == ["partition table"], "\(report.checks)")
            #expect(Self.detail(report, "partition table").contains("overlap"))
        }
    }

    @Test func aNinthRootPartitionOrABrokenSlotGeometryFails() async throws {
        let (fixture, _, options) = try await Self.build()
        let cases: [(String, SlotRule, (inout GPTEntryEditor) -> Void)] = [
            ("ninth root", .moreSlots, { editor in
                let end = editor.lba(7, last: true)
                editor.set(7, lastLBA: end - 2048)
                editor.copy(4, to: 8)
                editor.set(8, firstLBA: end - 2047, lastLBA: end, name: "extra")
            }),
            ("verity and sig of B swapped", .notAdjacent, { editor in
                let (verity, signature) = (editor.type(of: 5), editor.type(of: 6))
                editor.set(5, type: signature)
                editor.set(6, type: verity)
            }),
            ("root B smaller", .sizes, { editor in editor.set(4, lastLBA: editor.lba(4, last: true) - 2048) }),
            ("sig A of 8 KiB", .signatureSize, { editor in editor.set(3, lastLBA: editor.lba(3) + 15) }),
        ]
        for (name, rule, edit) in cases {
            let copy = try Self.copy(options.imagePath, fixture)
            var editor = try GPTEntryEditor(path: copy)
            edit(&editor)
            try editor.commit()
            let report = try ArtifactVerifier.verify(path: copy, certificate: Self.certificate)
            #expect(Self.failed(report).contains("slot layout"), "\(name): \(report.checks)")
            #expect(Self.detail(report, "slot layout").contains(rule.rawValue), "\(name): \(Self.detail(report, "slot layout"))")
            if rule == .signatureSize {
                #expect(Self.failed(report).contains("slot A signature"), "\(report.checks)")
            }
        }
    }

    enum SlotRule: String {
        case moreSlots = "a hostimg disk has 2 slots"
        case notAdjacent = "must follow each other in that order"
        case sizes = "both slots have the same geometry"
        case signatureSize = "a signature takes 16384"
    }

    @Test(.timeLimit(.minutes(1)))
    func aFIFOIsRefusedNotReadForever() throws {
        let scratch = try ScratchDirectory()
        let fifo = scratch.path("image.img")
        #expect(mkfifo(fifo, 0o600) == 0)
        let error = try #require(throws: ImageError.self) { try ArtifactVerifier.verify(path: fifo, certificate: nil) }
        #expect(error.description.contains("it is a FIFO (named pipe)"), "\(error)")
        #expect(throws: InspectionError.self) { try Inspection.inspect(path: fifo, listFiles: true) }
    }

    @Test func aValidBundleChecksItsTreeAgainstTheManifestsRootHash() async throws {
        let (fixture, result, options) = try await Self.build()
        let report = try withExtendedLifetime(fixture) {
            try ArtifactVerifier.verify(path: options.bundlePath, certificate: Self.certificate)
        }
        #expect(report.passed, "\(report.checks)")
        let tree = try #require(report.checks.first { $0.part == "payload verity tree" })
        #expect(tree.status == .ok && tree.detail.contains(result.report.rootHash), "\(tree)")
    }

    @Test func aBundleWhoseManifestRootHashWasRewrittenFails() async throws {
        let (fixture, result, options) = try await Self.build(signed: false)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: options.bundlePath)))
        let old = Array(result.report.rootHash.utf8)
        let new = Array(String(repeating: "ab", count: 32).utf8)
        let at = try #require(bytes.indices.first { bytes[$0..<min($0 + old.count, bytes.count)].elementsEqual(old) })
        bytes.replaceSubrange(at..<(at + old.count), with: new)
        let path = fixture.scratch.path("rewritten.bundle")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let report = try ArtifactVerifier.verify(path: path, certificate: nil)
        #expect(Self.failed(report) == ["payload verity tree"], "\(report.checks)")
        #expect(Self.detail(report, "payload verity tree").contains("root hash mismatch"), "\(report.checks)")
    }

    @Test func aBundleWithAMemberAfterItsLastPayloadFails() async throws {
        let (fixture, _, options) = try await Self.build()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: options.bundlePath)))
        let manifest = Array(bytes[512..<1024])  // the manifest's first block: a plausible member
        bytes.removeLast(1024)
        var header = Array(bytes[0..<512])  // manifest.json's own header, 512 bytes of data
        header.replaceSubrange(124..<136, with: Array("00000001000\0".utf8))
        header.replaceSubrange(148..<156, with: Array("        ".utf8))
        let sum = header.reduce(0) { $0 + Int($1) }
        header.replaceSubrange(148..<156, with: Array((String(sum, radix: 8).leftPadded(to: 6) + "\0 ").utf8))
        bytes += header + manifest + [UInt8](repeating: 0, count: 1024)
        let path = fixture.scratch.path("appended.bundle")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let report = try ArtifactVerifier.verify(path: path, certificate: Self.certificate)
        #expect(Self.failed(report) == ["bundle"], "\(report.checks)")
        #expect(Self.detail(report, "bundle").contains("unexpected archive member \"manifest.json\""), "\(report.checks)")
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
