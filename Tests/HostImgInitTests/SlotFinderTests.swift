import ByteCodec
import Foundation
import GPT
import Slots
import Testing
import TestSupport

@testable import HostImgInit

/// Which entries of a disk's GPT are the slot a root hash names.
@Suite struct SlotFinderTests {
    typealias Partition = GPT.NumberedPartition
    typealias PartitionType = GPT.PartitionType

    /// Two slots' root hashes, deterministic.
    let hashA = Self.bytes(1, 32)
    let hashB = Self.bytes(2, 32)

    static func bytes(_ seed: UInt64, _ count: Int) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    static func guid(_ bytes: ArraySlice<UInt8>) -> GPT.GUID { GPT.GUID(bytes: Array(bytes)) }

    static func entry(_ number: Int, _ type: GPT.GUID, _ uuid: GPT.GUID, _ name: String) -> Partition {
        let first = UInt64(number) * 2048
        return Partition(number: number, partition: GPT.Partition(type: type, uuid: uuid, name: name, firstLBA: first, lastLBA: first + 2047))
    }

    static func other(_ seed: String) -> GPT.GUID { guid(bytes(UInt64(seed.utf8.reduce(7) { $0 &* 31 &+ Int($1) }.magnitude), 16)[...]) }

    /// The layout `hostimg build` writes (FORMATS.md): ESP, slot A (root, verity, sig), slot B, state.
    func hostimgTable(slotB: [UInt8]? = nil) -> [Partition] {
        let b = slotB ?? Array(repeating: 0, count: 32)
        return [
            Self.entry(1, PartitionType.esp, Self.other("esp"), "esp"),
            Self.entry(2, PartitionType.root, Self.guid(hashA[0..<16]), "root-a"),
            Self.entry(3, PartitionType.rootVerity, Self.guid(hashA[16..<32]), "root-a-verity"),
            Self.entry(4, PartitionType.rootVeritySignature, Self.other("sig a"), "root-a"),
            Self.entry(5, slotB == nil ? PartitionType.linuxData : PartitionType.root, slotB == nil ? Self.other("b") : Self.guid(b[0..<16]), "root-b"),
            Self.entry(6, slotB == nil ? PartitionType.linuxData : PartitionType.rootVerity, slotB == nil ? Self.other("bv") : Self.guid(b[16..<32]), "root-b-verity"),
            Self.entry(7, PartitionType.rootVeritySignature, Self.other("sig b"), "root-b"),
            Self.entry(8, PartitionType.variableData, Self.other("state"), "state"),
        ]
    }

    @Test func findsSlotAByItsRootHash() throws {
        let found = try #require(try SlotFinder.match(hostimgTable(), rootHash: hashA, device: "/dev/vda"))
        #expect(found.root.number == 2)
        #expect(found.verity.number == 3)
        #expect(found.signature.number == 4)
        #expect(found.state?.number == 8)
    }

    @Test func findsSlotBWithItsOwnSignature() throws {
        let found = try #require(try SlotFinder.match(hostimgTable(slotB: hashB), rootHash: hashB, device: "/dev/vda"))
        #expect([found.root.number, found.verity.number, found.signature.number] as [Int] == [5, 6, 7])
        #expect(found.state?.number == 8)
    }

    @Test func anotherRootHashIsNoMatch() throws {
        #expect(try SlotFinder.match(hostimgTable(), rootHash: hashB, device: "/dev/vda") == nil)
        #expect(try SlotFinder.match(hostimgTable(), rootHash: [], device: "/dev/vda") == nil)
        // Only one half of the hash is there: not this slot.
        var half = hashA
        half[31] ^= 1
        #expect(try SlotFinder.match(hostimgTable(), rootHash: half, device: "/dev/vda") == nil)
    }

    /// Swapped halves would put the hash tree where the data is expected.
    @Test func swappedTypesAreRefused() throws {
        var table = hostimgTable()
        table[1].partition.type = PartitionType.rootVerity
        table[2].partition.type = PartitionType.root
        let error = try #require(throws: InitError.self) { try SlotFinder.match(table, rootHash: hashA, device: "/dev/vda") }
        #expect(error.description.hasPrefix("partition table of /dev/vda: partition 2 has the root PARTUUID"), "\(error)")
        #expect(error.description.contains("must not boot"), "\(error)")
    }

    /// A slot the agent is writing still carries a placeholder type.
    @Test func aSlotStillBeingWrittenIsRefused() throws {
        var table = hostimgTable(slotB: hashB)
        table[5].partition.type = PartitionType.linuxData
        let error = try #require(throws: InitError.self) { try SlotFinder.match(table, rootHash: hashB, device: "/dev/nvme0n1") }
        #expect(error.description.contains("partition 6 has the verity PARTUUID"), "\(error)")
    }

    /// An image built --unsigned types its verity-sig partitions as unsigned until `hostimg
    /// sign`; an initrd without a certificate still boots its slot.
    @Test func findsAnUnsignedSlot() throws {
        var table = hostimgTable(slotB: hashB)
        table[3].partition.type = Slot.unsignedSignatureType
        table[6].partition.type = Slot.unsignedSignatureType
        let found = try #require(try SlotFinder.match(table, rootHash: hashA, device: "/dev/vda"))
        #expect([found.root.number, found.verity.number, found.signature.number] as [Int] == [2, 3, 4])
        #expect(SlotTable(table).slots.map(\.signature.number) == [4, 7])
    }

    @Test func theSignatureMustBeUniqueAndLabelledLikeTheRoot() throws {
        var missing = hostimgTable()
        missing[3].partition.name = "root-x"
        let none = try #require(throws: InitError.self) { try SlotFinder.match(missing, rootHash: hashA, device: "/dev/vda") }
        #expect(none.description.contains("0 verity-sig partitions"), "\(none)")
        #expect(none.description.contains("labelled \"root-a\""), "\(none)")

        var twice = hostimgTable()
        twice[6].partition.name = "root-a"
        let two = try #require(throws: InitError.self) { try SlotFinder.match(twice, rootHash: hashA, device: "/dev/vda") }
        #expect(two.description.contains("2 verity-sig partitions"), "\(two)")
    }

    @Test func stateIsOptionalButAtMostOne() throws {
        let without = Array(hostimgTable().dropLast())
        #expect(try SlotFinder.match(without, rootHash: hashA, device: "/dev/vda")?.state == nil)

        var two = hostimgTable()
        two.append(Self.entry(9, PartitionType.variableData, Self.other("state 2"), "state"))
        let error = try #require(throws: InitError.self) { try SlotFinder.match(two, rootHash: hashA, device: "/dev/vda") }
        #expect(error.description.contains("2 state partitions"), "\(error)")
    }

    /// The GUID byte order against a table the real sgdisk wrote from the PARTUUID strings, with
    /// a hole before the root: the kernel numbers are the entry numbers.
    @Test(.enabled(if: Tools.find("sgdisk") != nil, "sgdisk is not installed (apt-get install gdisk)"))
    func matchesATableSgdiskWrote() throws {
        let sgdisk = try #require(Tools.find("sgdisk"))
        let scratch = try ScratchDirectory()
        let disk = scratch.path("disk.img")
        try Data().write(to: URL(fileURLWithPath: disk))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: disk))
        try handle.truncate(atOffset: 16 << 20)
        try handle.close()
        let root = Self.guid(hashA[0..<16]).description
        let verity = Self.guid(hashA[16..<32]).description
        let made = try Tools.run(sgdisk, [
            "-n", "3:2048:+2M", "-t", "3:\(PartitionType.root)", "-u", "3:\(root)", "-c", "3:root-a",
            "-n", "4:0:+1M", "-t", "4:\(PartitionType.rootVerity)", "-u", "4:\(verity)", "-c", "4:root-a-verity",
            "-n", "6:0:+1M", "-t", "6:\(PartitionType.rootVeritySignature)", "-c", "6:root-a",
            "-n", "9:0:+1M", "-t", "9:\(PartitionType.variableData)", "-c", "9:state",
            disk,
        ])
        #expect(made.status == 0, "\(made.stderr)")
        let found = try #require(try SlotFinder.match(try GPT.readPrimary(path: disk), rootHash: hashA, device: disk))
        #expect([found.root.number, found.verity.number, found.signature.number] as [Int] == [3, 4, 6])
        #expect(found.state?.number == 9)
        #expect(found.root.partition.uuid.description == root)
    }

    @Test func theTimeoutNamesWhatItSaw() {
        let error = InitError.partitionsNotFound(rootHash: Hex.encode(hashA), seconds: 30, disks: ["vda", "vdb (no protective MBR)"])
        #expect(error.description.contains("PARTUUIDs \(Hex.encode(hashA).prefix(32)) (root) and \(Hex.encode(hashA).suffix(32)) (verity) after 30 s"))
        #expect(error.description.hasSuffix("(disks vda, vdb (no protective MBR))"))
        #expect(InitError.partitionsNotFound(rootHash: "x", seconds: 1, disks: []).description.hasSuffix("(no disks)"))
    }
}
