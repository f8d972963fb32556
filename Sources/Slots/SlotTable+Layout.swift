import GPT

/// The geometry a hostimg disk's slots must have (docs/image.md, "Disk layout"), checked on
/// any table: the verifier reports every rule a table breaks, and the agent refuses to write
/// into a table that breaks one.
///
/// ```
/// │ ESP │ root A │ verity A │ sig A │ root B │ verity B │ sig B │ state │
///         └── adjacent, in order ─┘   └── the same sizes as A ──┘
/// ```
extension SlotTable {
    /// Slots a hostimg disk has: A and B.
    public static let slotCount = 2
    /// Bytes of a verity-sig partition that readers take (`VeritySignature.partitionSize`,
    /// what systemd-repart reserves); a smaller partition cannot hold a signature.
    public static let signatureBytes: UInt64 = 16384

    /// One broken rule: which, and a sentence naming the partitions, the values and the rule.
    public struct LayoutProblem: Sendable, Equatable, CustomStringConvertible {
        public enum Rule: String, Sendable, Equatable {
            case overlap, unpaired, tooManySlots, notAdjacent, sizeDiffers, signatureTooSmall, labels
        }

        public var rule: Rule
        public var message: String
        public var description: String { message }
    }

    /// Every rule the table breaks, in the order above; empty for a valid layout. LBAs count
    /// in `sectorSize` bytes.
    public func validateLayout(sectorSize: UInt64 = GPT.Table.defaultSectorSize) -> [LayoutProblem] {
        var problems = overlaps()
        let roots = partitions.filter { $0.partition.type == Slot.rootType }.count
        let verities = partitions.filter { $0.partition.type == Slot.verityType }.count
        let signatures = partitions.filter { Slot.isSignatureType($0.partition.type) }.count
        if roots != verities || verities != signatures {
            problems.append(LayoutProblem(
                rule: .unpaired,
                message: "\(roots) root, \(verities) verity and \(signatures) verity-sig partitions; every slot has one of each"))
        }
        let most = max(roots, verities, signatures)
        if most > Self.slotCount {
            problems.append(LayoutProblem(
                rule: .tooManySlots,
                message: "\(most) partitions of one slot type; a hostimg disk has \(Self.slotCount) slots (A and B)"))
        }
        let slots = self.slots
        for slot in slots {
            problems += adjacency(of: slot) + labels(of: slot)
            let signature = slot.signature.partition
            if signature.lastLBA >= signature.firstLBA, signature.size(sectorSize: sectorSize) < Self.signatureBytes {
                problems.append(LayoutProblem(
                    rule: .signatureTooSmall,
                    message: "slot \(slot.letter): verity-sig partition \(slot.signature.number) has "
                        + "\(signature.size(sectorSize: sectorSize)) bytes; a signature takes \(Self.signatureBytes)"))
            }
        }
        if let first = slots.first {
            for slot in slots.dropFirst() { problems += sizes(of: slot, against: first) }
        }
        return problems
    }

    /// Pairs of partitions sharing a sector, in disk order.
    private func overlaps() -> [LayoutProblem] {
        let sorted = partitions.sorted { ($0.partition.firstLBA, $0.number) < ($1.partition.firstLBA, $1.number) }
        var problems: [LayoutProblem] = []
        var reach: GPT.NumberedPartition?
        for entry in sorted {
            if let earlier = reach, entry.partition.firstLBA <= earlier.partition.lastLBA {
                problems.append(LayoutProblem(
                    rule: .overlap,
                    message: "partitions \(earlier.number) ('\(earlier.partition.name)', LBA \(earlier.partition.firstLBA)..."
                        + "\(earlier.partition.lastLBA)) and \(entry.number) ('\(entry.partition.name)', LBA "
                        + "\(entry.partition.firstLBA)...\(entry.partition.lastLBA)) overlap; each sector belongs to one partition"))
            }
            if reach.map({ entry.partition.lastLBA > $0.partition.lastLBA }) ?? true { reach = entry }
        }
        return problems
    }

    /// A slot's root, verity and verity-sig partitions follow each other in the table and on
    /// the disk, with nothing between them.
    private func adjacency(of slot: Slot) -> [LayoutProblem] {
        let members = [slot.root, slot.verity, slot.signature]
        let byDisk = partitions.sorted { ($0.partition.firstLBA, $0.number) < ($1.partition.firstLBA, $1.number) }
        let places = members.map { member in byDisk.firstIndex { $0.number == member.number } ?? -1 }
        let inEntryOrder = members[0].number < members[1].number && members[1].number < members[2].number
        guard inEntryOrder, places[1] == places[0] + 1, places[2] == places[0] + 2 else {
            let found = members.map { "\($0.number) (LBA \($0.partition.firstLBA)...\($0.partition.lastLBA))" }
            return [LayoutProblem(
                rule: .notAdjacent,
                message: "slot \(slot.letter): root, verity and verity-sig are partitions \(found.joined(separator: ", ")); "
                    + "they must follow each other in that order, in the table and on the disk, with nothing between")]
        }
        return []
    }

    /// An empty slot is `_empty` on all three partitions; a written one carries the root's
    /// label on all three (the initrd pairs the signature by label).
    private func labels(of slot: Slot) -> [LayoutProblem] {
        let names = [slot.verity, slot.signature].map(\.partition.name)
        guard names.allSatisfy({ $0 == slot.label }) else {
            let what = slot.state == .empty ? "is labelled \(Slot.emptyLabel)" : "is labelled '\(slot.label)'"
            return [LayoutProblem(
                rule: .labels,
                message: "slot \(slot.letter): root partition \(slot.root.number) \(what) but its verity and verity-sig "
                    + "partitions are labelled '\(names[0])' and '\(names[1])'; all three carry one label")]
        }
        return []
    }

    /// Every slot has slot A's geometry, so any root that fits A fits the other.
    private func sizes(of slot: Slot, against first: Slot) -> [LayoutProblem] {
        let roles = [("root", slot.root, first.root), ("verity", slot.verity, first.verity),
                     ("verity-sig", slot.signature, first.signature)]
        return roles.compactMap { role, member, reference in
            let sectors = member.partition.lastLBA &- member.partition.firstLBA
            let expected = reference.partition.lastLBA &- reference.partition.firstLBA
            guard sectors != expected else { return nil }
            return LayoutProblem(
                rule: .sizeDiffers,
                message: "slot \(slot.letter): \(role) partition \(member.number) spans \(sectors &+ 1) sectors, slot "
                    + "\(first.letter)'s spans \(expected &+ 1); both slots have the same geometry")
        }
    }
}
