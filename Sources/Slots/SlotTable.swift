import GPT

/// The slots of one partition table, found by the one pairing rule (`Slot`).
public struct SlotTable: Sendable, Equatable {
    /// Every used entry with its entry number (1-based, as the kernel numbers partitions).
    public var partitions: [GPT.NumberedPartition]

    public init(_ partitions: [GPT.NumberedPartition]) {
        self.partitions = partitions
    }

    /// A table as the writer lays it out: entry k holds the k-th partition.
    public init(_ table: GPT.Table) {
        self.init(table.partitions.enumerated().map { GPT.NumberedPartition(number: $0.offset + 1, partition: $0.element) })
    }

    /// The slots by position: the k-th root, verity and verity-sig partitions in entry order
    /// (an unsigned slot's verity-sig partition has `Slot.unsignedSignatureType`).
    /// Partitions past the shortest of the three lists belong to no slot.
    public var slots: [Slot] {
        let roots = partitions.filter { $0.partition.type == Slot.rootType }
        let verities = partitions.filter { $0.partition.type == Slot.verityType }
        let signatures = partitions.filter { Slot.isSignatureType($0.partition.type) }
        let count = min(roots.count, verities.count, signatures.count)
        return (0..<count).map { index in
            Slot(letter: Self.letter(index), root: roots[index], verity: verities[index], signature: signatures[index])
        }
    }

    /// The state partition (type /var), when there is exactly one.
    public func statePartition() throws(SlotError) -> GPT.NumberedPartition? {
        let states = partitions.filter { $0.partition.type == GPT.PartitionType.variableData }
        guard states.count <= 1 else { throw .multipleStatePartitions(count: states.count) }
        return states.first
    }

    /// The slot whose PARTUUIDs carry `rootHash`, or nil when no entry has both halves.
    ///
    /// Throws when the halves are there but the table is not a slot a host may boot: a type
    /// is wrong (a slot being written carries another type until it is complete), or the
    /// root's label is not on exactly one verity-sig partition.
    public func slot(rootHash: [UInt8]) throws(SlotError) -> Slot? {
        guard rootHash.count == 32 else { return nil }
        let bound = Slot.boundUUIDs(rootHash: rootHash)
        guard let root = partitions.first(where: { $0.partition.uuid == bound.root }),
            let verity = partitions.first(where: { $0.partition.uuid == bound.verity })
        else { return nil }
        for (role, found, expected) in [("root", root, Slot.rootType), ("verity", verity, Slot.verityType)]
        where found.partition.type != expected {
            throw .wrongType(role: role, number: found.number, type: found.partition.type, expected: expected)
        }
        let label = root.partition.name
        let signatures = partitions.filter { Slot.isSignatureType($0.partition.type) && $0.partition.name == label }
        guard signatures.count == 1, let signature = signatures.first else {
            throw .signatureNotUnique(label: label, rootNumber: root.number, count: signatures.count)
        }
        let position = slots.firstIndex { $0.root.number == root.number }
        return Slot(letter: position.map(Self.letter) ?? "?", root: root, verity: verity, signature: signature)
    }

    /// The running slot: the one whose root hash the kernel command line names (`roothash=`).
    public func running(commandLine: String) throws(SlotError) -> Slot? {
        guard let rootHash = RunningSlot.rootHash(commandLine: commandLine) else { return nil }
        return try slot(rootHash: rootHash)
    }

    public static func letter(_ index: Int) -> String {
        String(UnicodeScalar(UInt8(65 + min(index, 25))))
    }
}

/// Why a table holds no bootable slot for a root hash; each names the entry and the rule.
public enum SlotError: Error, Sendable, Equatable, CustomStringConvertible {
    case wrongType(role: String, number: Int, type: GPT.GUID, expected: GPT.GUID)
    case signatureNotUnique(label: String, rootNumber: Int, count: Int)
    case multipleStatePartitions(count: Int)

    public var description: String {
        switch self {
        case let .wrongType(role, number, type, expected):
            return "partition \(number) has the \(role) PARTUUID of this root hash but type \(type), not \(expected); a slot that is still being written must not boot"
        case let .signatureNotUnique(label, rootNumber, count):
            return "\(count) verity-sig partitions (type \(Slot.signatureType)) are labelled \"\(label)\" like the root partition \(rootNumber); exactly one must be"
        case let .multipleStatePartitions(count):
            return "\(count) state partitions (type \(GPT.PartitionType.variableData)); at most one may exist"
        }
    }
}
