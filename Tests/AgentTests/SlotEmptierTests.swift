import Agent
import ByteCodec
import Foundation
import GPT
import Slots
import Testing
import TestSupport

/// Emptying a slot on a real GPT disk image (checked with sgdisk) and a directory that plays
/// the mounted ESP, whose `.efi` files hold their command line as text.
@Suite struct SlotEmptierTests {
    static let hashA = [UInt8](repeating: 0xaa, count: 32)
    static let hashB = [UInt8](repeating: 0xbb, count: 32)
    static let mib: UInt64 = 1 << 20

    /// A 64 MiB disk with the image's layout: ESP, slot A (0.1.0), slot B (0.2.0), state.
    static func disk(in scratch: ScratchDirectory) throws -> String {
        func request(_ name: String, _ type: GPT.GUID, _ uuid: GPT.GUID, _ size: UInt64) -> GPT.Layout.Request {
            GPT.Layout.Request(name: name, type: type, uuid: uuid, size: size * mib)
        }
        func uuid(_ byte: UInt8) -> GPT.GUID { GPT.GUID(bytes: [UInt8](repeating: byte, count: 16)) }
        var requests = [request("esp", GPT.PartitionType.esp, uuid(1), 8)]
        for (hash, label, seed) in [(hashA, "qemu-dev_0.1.0", UInt8(0x10)), (hashB, "qemu-dev_0.2.0", UInt8(0x20))] {
            let bound = Slot.boundUUIDs(rootHash: hash)
            requests += [request(label, Slot.rootType, bound.root, 16), request(label, Slot.verityType, bound.verity, 2),
                         request(label, Slot.signatureType, uuid(seed), 1)]
        }
        requests.append(request("state", GPT.PartitionType.variableData, uuid(2), 8))
        let table = try GPT.Layout.plan(diskSize: 64 * mib, diskGUID: uuid(3), requests: requests)
        let path = scratch.path("disk.img")
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 64 * mib)
        try handle.close()
        _ = try GPT.write(table, to: path)
        return path
    }

    /// The fake ESP: one UKI per slot (B's still counting), each file its command line.
    static func esp(in scratch: ScratchDirectory) throws -> String {
        let directory = scratch.path("EFI-Linux")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try "roothash=\(Hex.encode(hashA)) console=ttyS0".write(toFile: directory + "/qemu-dev_0.1.0.efi", atomically: true, encoding: .utf8)
        try "roothash=\(Hex.encode(hashB)) console=ttyS0".write(toFile: directory + "/qemu-dev_0.2.0+3.efi", atomically: true, encoding: .utf8)
        return directory
    }

    static func emptier(_ disk: String, _ esp: String?) -> SlotEmptier {
        SlotEmptier(disk: disk, entriesDirectory: esp, commandLineOfUKI: { try String(contentsOfFile: $0, encoding: .utf8) })
    }

    @Test func emptiesTheInactiveSlotAndItsEntry() throws {
        let scratch = try ScratchDirectory()
        let (disk, esp) = (try Self.disk(in: scratch), try Self.esp(in: scratch))
        let report = try Self.emptier(disk, esp).empty(slot: 1, runningRootHash: Self.hashA)
        #expect(report.removedEntries == ["qemu-dev_0.2.0+3.efi"] && report.previousLabel == "qemu-dev_0.2.0")
        #expect(try FileManager.default.contentsOfDirectory(atPath: esp) == ["qemu-dev_0.1.0.efi"])
        let slots = SlotTable(try GPT.read(path: disk)).slots
        #expect(slots[0].label == "qemu-dev_0.1.0" && slots[0].holds(rootHash: Self.hashA), "slot A untouched")
        #expect(slots[1].state == .empty && !slots[1].holds(rootHash: Self.hashB))
        for partition in [slots[1].root, slots[1].verity, slots[1].signature] {
            #expect(partition.partition.name == Slot.emptyLabel)
            #expect(partition.partition.uuid.bytes[6] >> 4 == 4, "a version 4 UUID")
        }
        if let sgdisk = Tools.find("sgdisk") {
            let verified = try Tools.run(sgdisk, ["-v", disk])
            #expect(verified.status == 0 && verified.stdoutText.contains("No problems found"), "\(verified.stdoutText)")
        }
        // Emptying it again finds no entry and keeps it empty.
        #expect(try Self.emptier(disk, esp).empty(slot: 1, runningRootHash: Self.hashA).removedEntries.isEmpty)
    }

    @Test func theRunningSlotIsNeverEmptied() throws {
        let scratch = try ScratchDirectory()
        let (disk, esp) = (try Self.disk(in: scratch), try Self.esp(in: scratch))
        let before = try Data(contentsOf: URL(fileURLWithPath: disk))
        #expect(throws: AgentError.self) { try Self.emptier(disk, esp).empty(slot: 0, runningRootHash: Self.hashA) }
        #expect(throws: AgentError.self) { try Self.emptier(disk, esp).empty(slot: 2, runningRootHash: Self.hashA) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: disk)) == before, "the disk is byte-identical")
        #expect(try FileManager.default.contentsOfDirectory(atPath: esp).sorted() == ["qemu-dev_0.1.0.efi", "qemu-dev_0.2.0+3.efi"])
    }

    @Test func aFailingRandomSourceWritesNothing() throws {
        let scratch = try ScratchDirectory()
        let (disk, esp) = (try Self.disk(in: scratch), try Self.esp(in: scratch))
        let before = try Data(contentsOf: URL(fileURLWithPath: disk))
        var emptier = Self.emptier(disk, esp)
        emptier.random = { [UInt8](repeating: 1, count: 3) }
        #expect(throws: AgentError.self) { try emptier.empty(slot: 1, runningRootHash: Self.hashA) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: disk)) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: esp).count == 2)
    }
}
