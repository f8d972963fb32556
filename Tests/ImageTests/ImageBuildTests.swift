import Foundation
import GPT
import BuildPipeline
import Manifests
import Testing
import TestSupport

/// The image stage end to end on a synthetic tree, each part checked by its upstream tool.
@Suite struct ImageBuildTests {
    static let tools = ["sgdisk", "sfdisk", "fsck.erofs", "veritysetup", "openssl"]
    static let toolsPresent = tools.allSatisfy { Tools.find($0) != nil }

    @Test(.enabled(if: toolsPresent, "needs sgdisk, sfdisk, fsck.erofs, veritysetup and openssl"))
    func upstreamToolsAcceptEveryPart() async throws {
        let fixture = try ImageFixture()
        let (result, options) = try await fixture.build(into: "out", signer: ImageFixture.identity.0)
        let image = options.imagePath
        let report = result.report

        let sgdisk = try Tools.run(try #require(Tools.find("sgdisk")), ["-v", image])
        #expect(sgdisk.status == 0)
        #expect(sgdisk.stdoutText.contains("No problems found"), "\(sgdisk.stdoutText)")

        let sfdisk = try Tools.run(try #require(Tools.find("sfdisk")), ["--json", image])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(sfdisk.stdout)) as? [String: Any])
        let table = try #require(json["partitiontable"] as? [String: Any])
        let partitions = try #require(table["partitions"] as? [[String: Any]])
        #expect(partitions.map { ($0["type"] as? String)?.lowercased() ?? "" } == [
            "c12a7328-f81f-11d2-ba4b-00a0c93ec93b",
            "4f68bce3-e8cd-4db1-96e7-fbcaf984b709", "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5", "41092b05-9fc8-4523-994f-2def0408b176",
            "4f68bce3-e8cd-4db1-96e7-fbcaf984b709", "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5", "41092b05-9fc8-4523-994f-2def0408b176",
            "4d21b016-b534-45c2-a9fb-5c16e091fd2d",
        ])
        #expect(partitions.map { $0["name"] as? String ?? "" } == ["esp", "test_1.0", "test_1.0", "test_1.0", "_empty", "_empty", "_empty", "state"])
        // The verity binding: PARTUUIDs are the root hash halves.
        let uuids = partitions.map { ($0["uuid"] as? String ?? "").lowercased().replacingOccurrences(of: "-", with: "") }
        #expect(uuids[1] + uuids[2] == report.rootHash)
        let sectors = partitions.map { ($0["size"] as? Int) ?? 0 }
        #expect(sectors[1] + sectors[2] + sectors[3] == (16 << 20) / 512)

        // The root partition holds an EROFS image fsck.erofs accepts.
        let root = report.partitions[1]
        let rootFile = fixture.scratch.path("root.erofs")
        try extract(image, offset: root.offset, length: report.fileSystem.bytes, to: rootFile)
        let fsck = try Tools.run(try #require(Tools.find("fsck.erofs")), [rootFile])
        #expect(fsck.status == 0, "\(fsck.stderr)")

        // veritysetup agrees with the tree in the verity partition.
        let verity = report.partitions[2]
        let hashFile = fixture.scratch.path("root.verity")
        try extract(image, offset: verity.offset, length: report.verity.hashBytes, to: hashFile)
        let check = try Tools.run(try #require(Tools.find("veritysetup")), ["verify", rootFile, hashFile, report.rootHash])
        #expect(check.status == 0, "\(check.stderr)")

        // The verity-sig JSON carries a PKCS#7 signature openssl accepts over the hex root hash.
        let signature = report.partitions[3]
        let sigFile = fixture.scratch.path("sig.json")
        try extract(image, offset: signature.offset, length: 16384, to: sigFile)
        let raw = try Data(contentsOf: URL(fileURLWithPath: sigFile))
        let jsonBytes = raw.prefix { $0 != 0 }
        let object = try #require(try JSONSerialization.jsonObject(with: jsonBytes) as? [String: String])
        #expect(object["rootHash"] == report.rootHash)
        let der = try #require(Data(base64Encoded: object["signature"] ?? ""))
        try der.write(to: URL(fileURLWithPath: fixture.scratch.path("sig.der")))
        try Data(report.rootHash.utf8).write(to: URL(fileURLWithPath: fixture.scratch.path("roothash.txt")))
        let (_, cert) = try fixture.writeIdentity()
        let smime = try Tools.run(try #require(Tools.find("openssl")), [
            "smime", "-verify", "-binary", "-inform", "DER", "-in", fixture.scratch.path("sig.der"),
            "-content", fixture.scratch.path("roothash.txt"), "-certfile", cert, "-CAfile", cert, "-purpose", "any",
            "-out", "/dev/null",
        ])
        #expect(smime.status == 0, "\(smime.stderr)")

        #expect(report.signing.signed && report.signing.developmentKey)
        #expect(report.bundlePayloads.map(\.role) == ["root", "verity", "verity-sig"])
    }

    @Test func verifyPassesAndNamesEachCorruptedPart() async throws {
        let fixture = try ImageFixture()
        let (result, options) = try await fixture.build(into: "out", signer: ImageFixture.identity.0)
        let certificate = ImageFixture.identity.0.certificate
        let clean = try ArtifactVerifier.verify(path: options.imagePath, certificate: certificate)
        #expect(clean.passed, "\(clean.checks)")
        #expect(clean.checks.contains { $0.part == "slot A signature" && $0.status == .ok })
        #expect(clean.checks.contains { $0.part == "slot B" && $0.status == .skipped })
        let bundle = try ArtifactVerifier.verify(path: options.bundlePath, certificate: certificate)
        #expect(bundle.passed, "\(bundle.checks)")

        let parts = result.report.partitions
        let cases: [(offset: UInt64, part: String)] = [
            (parts[1].offset + 5000, "slot A verity"),             // a data block of the root
            (parts[2].offset + 4096 + 7, "slot A verity"),          // the hash tree
            (parts[3].offset + 40, "slot A signature"),             // the verity signature
        ]
        for (offset, part) in cases {
            let copy = fixture.scratch.path("corrupt.img")
            try? FileManager.default.removeItem(atPath: copy)
            try FileManager.default.copyItem(atPath: options.imagePath, toPath: copy)
            try flipByte(in: copy, at: offset)
            let report = try ArtifactVerifier.verify(path: copy, certificate: certificate)
            #expect(!report.passed)
            #expect(report.checks.filter { $0.status == .failed }.map(\.part).contains(part),
                    "flipping byte \(offset) should fail \(part): \(report.checks)")
        }

        // A flipped byte in the bundle's root payload fails that payload, by name.
        let reader = try UpdateBundleProbe.payloadOffset(bundle: options.bundlePath, member: "root")
        let copy = fixture.scratch.path("corrupt.bundle")
        try FileManager.default.copyItem(atPath: options.bundlePath, toPath: copy)
        try flipByte(in: copy, at: reader + 100)
        let broken = try ArtifactVerifier.verify(path: copy, certificate: certificate)
        #expect(broken.checks.filter { $0.status == .failed }.map(\.part) == ["payload root"], "\(broken.checks)")

        // Another certificate: the signatures fail, the hashes still match.
        let other = try ImageFixture.otherCertificate()
        let untrusted = try ArtifactVerifier.verify(path: options.imagePath, certificate: other)
        #expect(untrusted.checks.filter { $0.status == .failed }.map(\.part) == ["slot A signature"])
    }

    @Test func twoBuildsGiveIdenticalBytes() async throws {
        let fixture = try ImageFixture()
        let (_, first) = try await fixture.build(into: "one", signer: ImageFixture.identity.0)
        let (_, second) = try await fixture.build(into: "two", signer: ImageFixture.identity.0)
        #expect(FileManager.default.contentsEqual(atPath: first.imagePath, andPath: second.imagePath))
        #expect(FileManager.default.contentsEqual(atPath: first.bundlePath, andPath: second.bundlePath))
    }

    @Test func signingLaterGivesTheSameBytesAsSigningInTheBuild() async throws {
        let fixture = try ImageFixture()
        let identity = ImageFixture.identity.0
        let (_, signed) = try await fixture.build(into: "signed", signer: identity)
        let (unsignedResult, unsigned) = try await fixture.build(into: "unsigned", signer: nil)
        #expect(!unsignedResult.report.signing.signed)
        #expect(!FileManager.default.contentsEqual(atPath: signed.imagePath, andPath: unsigned.imagePath))
        let before = try ArtifactVerifier.verify(path: unsigned.imagePath, certificate: identity.certificate)
        #expect(before.checks.contains { $0.part == "slot A signature" && $0.status == .failed })

        _ = try ArtifactSigner.signImage(unsigned.imagePath, identity: identity, force: false)
        _ = try ArtifactSigner.signBundle(unsigned.bundlePath, identity: identity, force: false)
        #expect(FileManager.default.contentsEqual(atPath: signed.imagePath, andPath: unsigned.imagePath))
        #expect(FileManager.default.contentsEqual(atPath: signed.bundlePath, andPath: unsigned.bundlePath))
        #expect(throws: ImageError.self) { try ArtifactSigner.signImage(unsigned.imagePath, identity: identity, force: false) }
    }

    @Test func aRootThatDoesNotFitItsSlotSaysBySomuch() async throws {
        let fixture = try ImageFixture(files: 40)
        var options = fixture.options(output: fixture.scratch.path("small"), signer: nil)
        options.slotSize = 8 << 20
        var tree = fixture.tree
        let big = try fixture.store.put([UInt8](repeating: 7, count: 9 << 20))
        try tree.insert(.init(.regular(big), mode: 0o644), at: "/big")
        try FileManager.default.createDirectory(atPath: options.output, withIntermediateDirectories: true)
        let error = try await #require(throws: BuildError.self) { try await ImageBuild(options).run(tree: tree, store: fixture.store) }
        #expect(error.description.contains("does not fit"), "\(error)")
        #expect(error.description.contains("raise disk.slotSize to at least 12M"), "\(error)")
        #expect(!FileManager.default.fileExists(atPath: options.imagePath))
        #expect(try FileManager.default.contentsOfDirectory(atPath: options.output).isEmpty, "no temporary file is left")
        // The size it suggests is enough, and one MiB less is not.
        options.slotSize = 12 << 20
        #expect(try await ImageBuild(options).run(tree: tree, store: fixture.store).report.fileSystem.bytes > 9 << 20)
        options.slotSize = 11 << 20
        await #expect(throws: BuildError.self) { try await ImageBuild(options).run(tree: tree, store: fixture.store) }
    }

    @Test func inspectListsPartitionsSlotsAndFiles() async throws {
        let fixture = try ImageFixture(files: 20)
        let (result, options) = try await fixture.build(into: "out", signer: ImageFixture.identity.0)
        let inspection = try Inspection.inspect(path: options.imagePath, listFiles: true)
        #expect(inspection.partitions.count == 8)
        #expect(inspection.slots.map(\.empty) == [false, true])
        #expect(inspection.slots[0].rootHash == result.report.rootHash)
        #expect(inspection.slots[0].signedBy == ImageFixture.identity.0.certificate.sha256Fingerprint)
        let files = try #require(inspection.slots[0].files)
        #expect(files.contains { $0.path == "/bin" && $0.target == "usr/bin" })
        #expect(files.contains { $0.path == "/usr/bin/ping6" })
        let bundle = try Inspection.inspect(path: options.bundlePath, listFiles: false)
        #expect(bundle.bundle?.rootHash == result.report.rootHash)
    }
}
