import ByteCodec
import Foundation
import GPT
import BuildPipeline
import Slots
import Testing
import TestSupport

/// `hostimg sign` on a disk image and an unsigned image's verity-sig partitions: typed as
/// unsigned until signed, so systemd-dissect reads both kinds of image.
@Suite struct SignImageTests {
    static let dissect = Tools.find("systemd-dissect")

    @Test func partUUIDsThatAreNotTheTreesRootHashAreNotSigned() async throws {
        let fixture = try ImageFixture(files: 20)
        let (result, options) = try await fixture.build(into: "out", signer: nil)
        let image = options.imagePath
        // Slot A's root PARTUUID now claims another root hash.
        let forged = GPT.GUID(bytes: Array(repeating: 0xAB, count: 16))
        _ = try GPT.update(path: image, changes: [GPT.EntryChange(index: 1, uuid: forged)])
        let before = try Data(contentsOf: URL(fileURLWithPath: image))
        let error = try #require(throws: ImageError.self) {
            try ArtifactSigner.signImage(image, identity: ImageFixture.identity.0, force: false)
        }
        #expect("\(error)".contains(result.report.rootHash), "the hash the tree gives: \(error)")
        #expect("\(error)".contains(Hex.encode(forged.bytes)), "the hash the PARTUUIDs claim: \(error)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: image)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: options.output).filter { $0.hasPrefix(".") }.isEmpty)
    }

    /// A verity superblock claiming 2^63 data blocks: `dataBlocks × blockSize` overflowed and
    /// trapped before; now the data is bounded by the root partition.
    @Test func aHostileVeritySuperblockIsRefusedNotACrash() async throws {
        let fixture = try ImageFixture(files: 20)
        let (result, options) = try await fixture.build(into: "out", signer: nil)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: options.imagePath))
        try handle.seek(toOffset: result.report.partitions[2].offset + 72)  // data_blocks
        handle.write(Data([0, 0, 0, 0, 0, 0, 0, 0x80]))
        try handle.close()
        let error = try #require(throws: ImageError.self) {
            try ArtifactSigner.signImage(options.imagePath, identity: ImageFixture.identity.0, force: false)
        }
        #expect("\(error)".contains("slot A does not verify"), "\(error)")
    }

    /// The same for a bundle: a verity payload whose superblock claims more data than the
    /// root payload holds (or an overflowing amount) is refused before anything is hashed.
    @Test func aBundleTreeThatDoesNotCoverItsRootIsRefused() async throws {
        let fixture = try ImageFixture(files: 20)
        let (result, options) = try await fixture.build(into: "out", signer: nil)
        let payloads = try UpdateBundleProbe.payloads(of: options.bundlePath, into: fixture.scratch.path("payloads"))
        let verity = try #require(payloads.first { $0.role == "verity" }).path
        for blocks: [UInt8] in [[0, 0, 0, 0, 0, 0, 0, 0x80], [1, 0, 0, 0, 0, 0, 0, 0]] {
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: verity)))
            bytes.replaceSubrange(72..<80, with: blocks)
            let hostile = fixture.scratch.path("hostile.verity")
            try Data(bytes).write(to: URL(fileURLWithPath: hostile))
            let bundle = fixture.scratch.path("hostile.bundle")
            try UpdateBundleProbe.write(bundle, rootHash: result.report.rootHash, payloads: payloads, replacing: ["verity": hostile])
            let error = try #require(throws: ImageError.self) {
                try ArtifactSigner.signBundle(bundle, identity: ImageFixture.identity.0, force: false)
            }
            // Too many blocks for 64 bits is refused when the superblock is decoded; a size
            // that fits but is not the root payload's, when it is compared with it.
            let text = "\(error)"
            #expect(text.contains("what the tree does not cover cannot be signed") || text.contains("do not fit in 64 bits"), "\(text)")
        }
    }

    @Test func anUnsignedImageTypesItsSignaturePartitionsUntilSigned() async throws {
        let fixture = try ImageFixture(files: 20)
        let (unsigned, options) = try await fixture.build(into: "unsigned", signer: nil)
        let (signed, _) = try await fixture.build(into: "signed", signer: ImageFixture.identity.0)
        let types = { (path: String) in try GPT.readPrimary(path: path).map(\.partition.type) }
        let before = try types(options.imagePath)
        #expect(before[3] == Slot.unsignedSignatureType && before[6] == Slot.unsignedSignatureType)
        #expect(unsigned.report.partitions[3].type == "root-x86-64-verity-sig-unsigned")
        #expect(signed.report.partitions[3].type == "root-x86-64-verity-sig")
        // The slot model still pairs them: slot A is written, slot B empty, each with its signature partition.
        let slots = SlotTable(try GPT.readPrimary(path: options.imagePath)).slots
        #expect(slots.map(\.state) == [.written, .empty])
        #expect(slots.map(\.signature.number) == [4, 7])
        if let sgdisk = Tools.find("sgdisk") {
            #expect(try Tools.run(sgdisk, ["-v", options.imagePath]).stdoutText.contains("No problems found"))
        }

        _ = try ArtifactSigner.signImage(options.imagePath, identity: ImageFixture.identity.0, force: false)
        let after = try types(options.imagePath)
        #expect(after[3] == Slot.signatureType && after[6] == Slot.signatureType)
        #expect(after == (try types(signed.report.path)))
    }

    /// systemd-dissect reads the slot's verity-sig partition as JSON: an all-zero one typed as
    /// a signature failed ("Failed to parse signature JSON data").
    @Test(.enabled(if: dissect != nil, "systemd-dissect is not installed (apt-get install systemd-container)"))
    func signedAndUnsignedImagesDissect() async throws {
        let fixture = try ImageFixture(files: 20)
        let (_, unsigned) = try await fixture.build(into: "unsigned", signer: nil)
        let (_, signed) = try await fixture.build(into: "signed", signer: ImageFixture.identity.0)
        try FileManager.default.copyItem(atPath: unsigned.imagePath, toPath: fixture.scratch.path("later.img"))
        _ = try ArtifactSigner.signImage(fixture.scratch.path("later.img"), identity: ImageFixture.identity.0, force: false)
        for image in [signed.imagePath, unsigned.imagePath, fixture.scratch.path("later.img")] {
            let run = try Self.runDissect(image)
            if run.stderr.contains("loopback device") {
                try Test.cancel("systemd-dissect cannot set up a loop device here: \(run.stderr)")
            }
            #expect(run.status == 0, "\(image): \(run.stderr)")
            #expect(!run.stderr.contains("Failed"), "\(image): \(run.stderr)")
        }
    }

    static func runDissect(_ image: String) throws -> Tools.Result {
        let dissect = try #require(Self.dissect)
        // Without udev in a container it may wait for partition devices: bounded.
        guard let timeout = Tools.find("timeout") else { return try Tools.run(dissect, [image]) }
        return try Tools.run(timeout, ["120", dissect, image])
    }
}
