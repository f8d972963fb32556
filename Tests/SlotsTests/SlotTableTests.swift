import GPT
import Slots
import Testing

/// The one slot model: pairing by position, finding by root hash, the running slot.
@Suite struct SlotTableTests {
    static let hashA: [UInt8] = (0..<32).map { UInt8($0) }
    static let hashB: [UInt8] = (0..<32).map { UInt8(0xA0 + $0) }

    static func entry(_ number: Int, _ type: GPT.GUID, _ uuid: GPT.GUID, _ name: String) -> GPT.NumberedPartition {
        let first = UInt64(number) * 2048
        return GPT.NumberedPartition(number: number, partition: GPT.Partition(type: type, uuid: uuid, name: name,
                                                                               firstLBA: first, lastLBA: first + 2047))
    }

    static func uuid(_ byte: UInt8) -> GPT.GUID { GPT.GUID(bytes: Array(repeating: byte, count: 16)) }

    /// ESP, slot A written with `hashA`, slot B empty or written with `hashB`, state.
    static func table(slotB: [UInt8]? = nil, numbers: [Int] = [1, 2, 3, 4, 5, 6, 7, 8]) -> [GPT.NumberedPartition] {
        let a = Slot.boundUUIDs(rootHash: hashA)
        let b = slotB.map { Slot.boundUUIDs(rootHash: $0) } ?? (root: uuid(0x51), verity: uuid(0x52))
        let labelB = slotB == nil ? Slot.emptyLabel : "host_2"
        return [
            entry(numbers[0], GPT.PartitionType.esp, uuid(1), "esp"),
            entry(numbers[1], Slot.rootType, a.root, "host_1"),
            entry(numbers[2], Slot.verityType, a.verity, "host_1"),
            entry(numbers[3], Slot.signatureType, uuid(4), "host_1"),
            entry(numbers[4], Slot.rootType, b.root, labelB),
            entry(numbers[5], Slot.verityType, b.verity, labelB),
            entry(numbers[6], Slot.signatureType, uuid(7), labelB),
            entry(numbers[7], GPT.PartitionType.variableData, uuid(8), "state"),
        ]
    }

    @Test func pairsByPosition() throws {
        let slots = SlotTable(Self.table()).slots
        #expect(slots.map(\.letter) == ["A", "B"])
        #expect(slots.map(\.state) == [.written, .empty])
        #expect(slots[0].root.number == 2 && slots[0].verity.number == 3 && slots[0].signature.number == 4)
        #expect(slots[1].root.number == 5 && slots[1].signature.number == 7)
        #expect(slots[0].rootHash == Self.hashA)
        #expect(slots[0].label == "host_1")
    }

    @Test func keepsEntryNumbersWithGaps() throws {
        let slots = SlotTable(Self.table(numbers: [1, 3, 4, 9, 10, 11, 20, 21])).slots
        #expect(slots[0].signature.number == 9)
        #expect(slots[1].root.number == 10 && slots[1].signature.number == 20)
    }

    @Test func findsBySlotRootHash() throws {
        let table = SlotTable(Self.table(slotB: Self.hashB))
        let b = try #require(try table.slot(rootHash: Self.hashB))
        #expect(b.letter == "B" && b.root.number == 5 && b.signature.number == 7)
        #expect(try table.slot(rootHash: Self.hashA)?.letter == "A")
        #expect(try table.slot(rootHash: Array(repeating: 9, count: 32)) == nil)
        #expect(try table.slot(rootHash: [1, 2, 3]) == nil)
        #expect(try table.statePartition()?.number == 8)
    }

    @Test func refusesAHalfWrittenSlot() throws {
        var entries = Self.table(slotB: Self.hashB)
        entries[4].partition.type = GPT.PartitionType.linuxData
        #expect(throws: SlotError.wrongType(role: "root", number: 5, type: GPT.PartitionType.linuxData, expected: Slot.rootType)) {
            try SlotTable(entries).slot(rootHash: Self.hashB)
        }
    }

    @Test func refusesAnAmbiguousSignature() throws {
        var entries = Self.table()
        entries[6].partition.name = "host_1"
        #expect(throws: SlotError.signatureNotUnique(label: "host_1", rootNumber: 2, count: 2)) {
            try SlotTable(entries).slot(rootHash: Self.hashA)
        }
        var states = Self.table()
        states.append(Self.entry(9, GPT.PartitionType.variableData, Self.uuid(9), "state2"))
        #expect(throws: SlotError.multipleStatePartitions(count: 2)) { try SlotTable(states).statePartition() }
    }

    @Test func runningSlotFromTheCommandLine() throws {
        let table = SlotTable(Self.table(slotB: Self.hashB))
        let hex = Self.hashB.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
        let running = try table.running(commandLine: "console=ttyS0 roothash=\(hex.uppercased()) quiet\n")
        #expect(running?.letter == "B")
        #expect(try table.running(commandLine: "console=ttyS0") == nil)
        #expect(try table.running(commandLine: "roothash=xyz") == nil)
        // The last value wins, as for the kernel's own parameters.
        #expect(try table.running(commandLine: "roothash=\(hex) roothash=\(String(repeating: "0", count: 64))") == nil)
    }

    @Test func commandLineSplitsLikeTheKernel() {
        let line = KernelCommandLine("a=1 \"b=x y\" c=\"p q\" flag")
        #expect(line.value("a") == "1")
        #expect(line.value("b") == "x y")
        #expect(line.value("c") == "p q")
        #expect(line.contains("flag") && line.value("flag") == nil)
    }
}
