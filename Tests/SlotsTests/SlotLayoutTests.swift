import GPT
import Slots
import Testing

/// The slot geometry rules (`SlotTable.validateLayout`): a valid A/B table passes, and each
/// rule a table can break is reported with the partitions it concerns.
@Suite struct SlotLayoutTests {
    typealias Entry = GPT.NumberedPartition

    static func uuid(_ byte: UInt8) -> GPT.GUID { GPT.GUID(bytes: Array(repeating: byte, count: 16)) }

    /// ESP, root/verity/sig A (written), the same three for B (empty), state: each partition
    /// `sizes[i]` MiB, laid out one after the other from LBA 2048.
    static func table(sizes: [UInt64] = [8, 12, 2, 1, 12, 2, 1, 8], labelB: String = Slot.emptyLabel) -> [Entry] {
        let types = [GPT.PartitionType.esp, Slot.rootType, Slot.verityType, Slot.signatureType,
                     Slot.rootType, Slot.verityType, Slot.signatureType, GPT.PartitionType.variableData]
        let names = ["esp", "host_1", "host_1", "host_1", labelB, labelB, labelB, "state"]
        var next: UInt64 = 2048
        return types.indices.map { index in
            let first = next
            next += sizes[index] * 2048
            return Entry(number: index + 1, partition: GPT.Partition(
                type: types[index], uuid: uuid(UInt8(index + 1)), name: names[index], firstLBA: first, lastLBA: next - 1))
        }
    }

    static func rules(_ entries: [Entry]) -> [SlotTable.LayoutProblem.Rule] {
        SlotTable(entries).validateLayout().map(\.rule)
    }

    @Test func theImageLayoutIsValid() {
        #expect(SlotTable(Self.table()).validateLayout() == [])
        #expect(SlotTable(Self.table(labelB: "host_2")).validateLayout() == [])
    }

    @Test func overlappingPartitionsAreNamed() {
        var entries = Self.table()
        entries[7].partition.firstLBA = entries[1].partition.firstLBA + 10  // state over root A
        let problems = SlotTable(entries).validateLayout()
        #expect(problems.map(\.rule).contains(.overlap))
        #expect(problems.contains { $0.message.contains("partitions 2 ('host_1'") && $0.message.contains("and 8 ('state'") })
        var rootOverVerity = Self.table()
        rootOverVerity[1].partition.lastLBA += 100
        #expect(Self.rules(rootOverVerity).contains(.overlap))
    }

    @Test func aNinthRootPartitionIsMoreSlotsThanTheLayoutHas() {
        var entries = Self.table()
        entries[7].partition.lastLBA -= 2048
        entries.append(Entry(number: 9, partition: GPT.Partition(
            type: Slot.rootType, uuid: Self.uuid(9), name: "host_3",
            firstLBA: entries[7].partition.lastLBA + 1, lastLBA: entries[7].partition.lastLBA + 2048)))
        let rules = Self.rules(entries)
        #expect(rules.contains(.unpaired) && rules.contains(.tooManySlots), "\(rules)")
    }

    @Test func aSlotsPartitionsFollowEachOtherInOrder() {
        var swapped = Self.table()
        swapped[5].partition.type = Slot.signatureType  // slot B: root, sig, verity
        swapped[6].partition.type = Slot.verityType
        #expect(Self.rules(swapped).contains(.notAdjacent))
        var apart = Self.table()
        (apart[2].partition, apart[7].partition) = (apart[7].partition, apart[2].partition)
        apart[2].partition.type = Slot.verityType
        apart[7].partition.type = GPT.PartitionType.variableData
        #expect(Self.rules(apart).contains(.notAdjacent))
    }

    @Test func bothSlotsHaveOneGeometry() {
        let problems = SlotTable(Self.table(sizes: [8, 12, 2, 1, 11, 2, 1, 8])).validateLayout()
        #expect(problems.map(\.rule) == [.sizeDiffers])
        #expect(problems.first?.message.contains("root partition 5 spans 22528 sectors, slot A's spans 24576") == true)
    }

    @Test func aSignaturePartitionHoldsSixteenKiB() {
        var entries = Self.table()
        entries[3].partition.lastLBA = entries[3].partition.firstLBA + 15  // 8 KiB
        entries[6].partition.lastLBA = entries[6].partition.firstLBA + 15
        let problems = SlotTable(entries).validateLayout()
        #expect(problems.filter { $0.rule == .signatureTooSmall }.count == 2)
        #expect(problems.contains { $0.message.contains("has 8192 bytes; a signature takes 16384") })
    }

    @Test func labelsAgreeWithinASlot() {
        var entries = Self.table()
        entries[1].partition.name = Slot.emptyLabel  // slot A's root relabelled, verity and sig still host_1
        let problems = SlotTable(entries).validateLayout()
        #expect(problems.map(\.rule) == [.labels])
        #expect(problems.first?.message.contains("is labelled _empty but its verity and verity-sig partitions are labelled 'host_1'") == true)
    }
}
