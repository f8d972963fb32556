import Agent
import Bundle
import ByteCodec
import Crypto
import DMVerity
import FAT
import Foundation
import GPT
import PE
import Slots
import SlotInstall
import Testing
import TestSupport

/// Installing a signed bundle into the second slot of a disk image file: a real GPT (checked
/// by sgdisk), a real dm-verity tree, a real signed bundle; and every refusal leaves the disk
/// byte-identical.
@Suite struct SlotInstallerTests {
    static let mib: UInt64 = 1 << 20
    static let keptHash = [UInt8](repeating: 0xaa, count: 32)

    final class Fixture {
        let scratch: ScratchDirectory
        let disk: String
        let bundle: String
        let certificate: Certificate
        let rootHash: [UInt8]
        let certificatePEM: [UInt8]

        /// `uki`: the bundle also carries a UKI (systemd's stub, a dummy kernel and initrd)
        /// whose command line boots its root hash, as a host install needs.
        init(name: String = "qemu-dev", version: String = "0.2.0", signer: DevelopmentIdentity? = nil, uki: Bool = false,
             slotFacts: (commandLine: String, qemu: String?)? = nil) throws {
            scratch = try ScratchDirectory()
            let identity = try DevelopmentIdentity.generate(commonName: "installer test", validityDays: 2, keyType: .rsa2048)
            certificatePEM = Array(identity.certificatePEM.utf8)
            certificate = try Certificate(pem: identity.certificatePEM)
            disk = try SlotInstallerTests.disk(at: scratch.path("disk.img"))
            let root = scratch.path("root.img")
            var generator = SystemRandomNumberGenerator()
            try Data((0..<(4 * SlotInstallerTests.mib)).map { _ in UInt8.random(in: 0...255, using: &generator) })
                .write(to: URL(fileURLWithPath: root))
            let verity = scratch.path("verity.img")
            #expect(FileManager.default.createFile(atPath: verity, contents: nil))
            let formatted = try DMVerity.format(
                data: DMVerity.Region(path: root, offset: 0, length: 4 * SlotInstallerTests.mib),
                hash: DMVerity.Region(path: verity, offset: 0, length: SlotInstallerTests.mib),
                parameters: try DMVerity.Parameters(seed: [UInt8](repeating: 7, count: 16)))
            rootHash = formatted.rootHash
            let signing = signer ?? identity
            let key = try PrivateKey(pem: signing.privateKeyPEM)
            let signingCertificate = try Certificate(pem: signing.certificatePEM)
            let signature = scratch.path("verity.p7s")
            try Data(try VeritySignature.sign(rootHash: rootHash, key: key, certificate: signingCertificate).encoded())
                .write(to: URL(fileURLWithPath: signature))
            bundle = scratch.path("update.bundle")
            func source(_ role: UpdateBundle.PayloadRole, _ path: String, _ length: UInt64) -> UpdateBundle.PayloadSource {
                UpdateBundle.PayloadSource(role: role, path: path, offset: 0, length: length)
            }
            let signatureSize = UInt64(try FileManager.default.attributesOfItem(atPath: signature)[.size] as? Int ?? 0)
            var payloads = [source(.root, root, 4 * SlotInstallerTests.mib), source(.verity, verity, formatted.hashBytes),
                            source(.veritySignature, signature, signatureSize)]
            if uki {
                let path = scratch.path("uki.efi")
                let bytes = try SlotInstallerTests.uki(rootHash: rootHash)
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                payloads.append(source(.uki, path, UInt64(bytes.count)))
            }
            try UpdateBundle.write(
                to: bundle, name: name, version: version, rootHash: Hex.encode(rootHash),
                payloads: payloads,
                signer: UpdateBundle.Signer(key: key, certificate: signingCertificate), mtime: 0,
                commandLine: slotFacts.map { "console=ttyS0 roothash=\(Hex.encode(rootHash)) ro " + $0.commandLine },
                qemuVersion: slotFacts?.qemu)
        }

        var diskBytes: Data { (try? Data(contentsOf: URL(fileURLWithPath: disk))) ?? Data() }

        func installer(trusting certificates: [Certificate]? = nil) -> SlotInstaller {
            SlotInstaller(disk: disk, trusted: certificates ?? [certificate])
        }

        func emptier() -> SlotEmptier {
            SlotEmptier(disk: disk, entriesDirectory: nil, commandLineOfUKI: { _ in "" })
        }
    }

    static let stubPath = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"

    /// A UKI booting `rootHash`: systemd's stub, a dummy kernel and initrd.
    static func uki(rootHash: [UInt8]) throws -> [UInt8] {
        let stub = try #require(FileManager.default.contents(atPath: stubPath), "apt-get install systemd-boot-efi")
        return try PE.UKI.assemble(stub: [UInt8](stub), parts: [
            .linux: [UInt8](repeating: 0x4c, count: 8192), .initrd: [UInt8](repeating: 0x49, count: 4096),
            .cmdline: Array("console=ttyS0 roothash=\(Hex.encode(rootHash)) ro".utf8),
        ])
    }

    /// 64 MiB: ESP, slot A written (0.1.0), slot B empty, state.
    static func disk(at path: String) throws -> String {
        func request(_ name: String, _ type: GPT.GUID, _ uuid: GPT.GUID, _ size: UInt64) -> GPT.Layout.Request {
            GPT.Layout.Request(name: name, type: type, uuid: uuid, size: size * mib)
        }
        func uuid(_ byte: UInt8) -> GPT.GUID { GPT.GUID(bytes: [UInt8](repeating: byte, count: 16)) }
        let bound = Slot.boundUUIDs(rootHash: keptHash)
        let requests = [
            request("esp", GPT.PartitionType.esp, uuid(1), 8),
            request("qemu-dev_0.1.0", Slot.rootType, bound.root, 16), request("qemu-dev_0.1.0", Slot.verityType, bound.verity, 2),
            request("qemu-dev_0.1.0", Slot.signatureType, uuid(4), 1),
            request(Slot.emptyLabel, Slot.rootType, uuid(5), 16), request(Slot.emptyLabel, Slot.verityType, uuid(6), 2),
            request(Slot.emptyLabel, Slot.signatureType, uuid(7), 1),
            request("state", GPT.PartitionType.variableData, uuid(2), 8),
        ]
        let table = try GPT.Layout.plan(diskSize: 64 * mib, diskGUID: uuid(3), requests: requests)
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 64 * mib)
        try handle.close()
        _ = try GPT.write(table, to: path)
        // The ESP as the image has it: FAT, with EFI/Linux.
        let esp = try #require(table.partitions.first)
        _ = try FAT.write(files: [], directories: ["EFI", "EFI/Linux"], to: path, at: esp.offset, size: esp.size,
                          options: FAT.Options(volumeID: 0x1234_5678, volumeLabel: "ESP", timestamp: 0))
        return path
    }

    @Test func installsIntoTheSecondSlot() throws {
        let fixture = try Fixture()
        var lines: [String] = []
        var installer = fixture.installer()
        installer.report = { lines.append($0) }
        let reader = try UpdateBundle.Reader(path: fixture.bundle)
        let plan = try installer.check(reader, keepRootHash: Self.keptHash)
        #expect(plan.slotLetter == "B" && plan.previousLabel == Slot.emptyLabel && plan.version == "0.2.0")
        try installer.install(reader, plan: plan, emptier: fixture.emptier(), runningRootHash: Self.keptHash)
        let slots = SlotTable(try GPT.read(path: fixture.disk)).slots
        #expect(slots[0].label == "qemu-dev_0.1.0" && slots[0].holds(rootHash: Self.keptHash))
        #expect(slots[1].label == "qemu-dev_0.2.0" && slots[1].holds(rootHash: fixture.rootHash))
        #expect(lines.contains { $0.contains("reads back through its verity tree") }, "\(lines)")
        #expect(lines.last?.contains("the bundle has no UKI") == true, "\(lines)")
        if let sgdisk = Tools.find("sgdisk") {
            let verified = try Tools.run(sgdisk, ["-v", fixture.disk])
            #expect(verified.stdoutText.contains("No problems found"), "\(verified.stdoutText)")
        }
        // The same bundle again is refused: the other slot holds nothing to replace it with.
        #expect(throws: InstallError.self) { try installer.check(reader, keepRootHash: fixture.rootHash) }
    }

    @Test("refusals write nothing: a flipped payload byte, another key, no trust store, another image")
    func refusalsWriteNothing() throws {
        let fixture = try Fixture()
        let before = fixture.diskBytes
        // A byte deep in the bundle (inside the compressed root payload).
        let damaged = fixture.scratch.path("damaged.bundle")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: fixture.bundle))
        bytes[bytes.count - 20_000] ^= 0x40
        try bytes.write(to: URL(fileURLWithPath: damaged))
        #expect(throws: (any Error).self) { try fixture.installer().check(try UpdateBundle.Reader(path: damaged), keepRootHash: Self.keptHash) }
        let other = try DevelopmentIdentity.generate(commonName: "another key", validityDays: 2, keyType: .rsa2048)
        let foreign = try Fixture(signer: other)
        let foreignReader = try UpdateBundle.Reader(path: foreign.bundle)
        #expect(throws: InstallError.self) { try fixture.installer().check(foreignReader, keepRootHash: Self.keptHash) }
        let reader = try UpdateBundle.Reader(path: fixture.bundle)
        #expect(throws: InstallError.self) { try fixture.installer(trusting: []).check(reader, keepRootHash: Self.keptHash) }
        let renamed = try Fixture(name: "hv-host")
        #expect(throws: InstallError.self) {
            try renamed.installer().check(try UpdateBundle.Reader(path: renamed.bundle), keepRootHash: Self.keptHash)
        }
        #expect(fixture.diskBytes == before)
        #expect(renamed.diskBytes == (try Data(contentsOf: URL(fileURLWithPath: SlotInstallerTests.disk(at: fixture.scratch.path("fresh.img"))))))
    }
}
