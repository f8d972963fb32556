extension GPT {
    /// New values for fields of one existing entry; nil leaves a field as it is. An update
    /// changes what a partition is called and what it is, never where it lies: LBAs stay.
    public struct EntryChange: Sendable, Hashable {
        /// The entry's index in the array, from 0: partition number - 1. Entries keep their
        /// indexes (nothing is compacted), so the kernel's partition numbers stay.
        public var index: Int
        /// `PartitionTypeGUID`; never the all-zero GUID (that would delete the partition).
        public var type: GUID?
        /// `UniquePartitionGUID`, the PARTUUID.
        public var uuid: GUID?
        /// `PartitionName`, the PARTLABEL: at most 36 UTF-16 code units.
        public var name: String?
        /// `Attributes`.
        public var attributes: Attributes?

        public init(index: Int, type: GUID? = nil, uuid: GUID? = nil, name: String? = nil, attributes: Attributes? = nil) {
            self.index = index
            self.type = type
            self.uuid = uuid
            self.name = name
            self.attributes = attributes
        }
    }

    /// What `update` did.
    public struct UpdateResult: Sendable, Hashable {
        /// The used entries after the update, numbered as the kernel numbers them.
        public var partitions: [NumberedPartition]
        /// Bytes per LBA of the disk.
        public var sectorSize: UInt64
        /// A copy that was damaged (or did not match the other) and was rewritten from it.
        public var repaired: GPTError.Copy?
        /// Set when the kernel could not re-read the table (EBUSY: a partition of the disk is
        /// in use); it keeps its old view until the next boot, which reads the new table.
        public var kernelNotice: String?
    }

    /// Changes fields of existing entries of the table on `path` (an image file or a block
    /// device) in place, with the table's geometry, the other entries and every partition's
    /// contents left alone.
    ///
    /// Every change is checked before anything is written. Then the copy not being trusted
    /// (normally the backup) is written, entries before header, and fsynced; then the trusted
    /// one (normally the primary). A crash at any point leaves one intact copy describing the
    /// old or the new table: while the backup is being written the primary is the old one,
    /// and while the primary is torn the backup already holds the new one (`readRecovering`
    /// reads either). Finally a block device's kernel view is refreshed (BLKRRPART).
    ///
    /// `sectorSize` is the LBA size of an image file (512 by default); a block device's own
    /// logical sector size is always used. A copy that is damaged is rebuilt from the other.
    public static func update(path: String, changes: [EntryChange], sectorSize: UInt64? = nil) throws -> UpdateResult {
        let file = try ImageFile(path: path, access: .update)
        let copies = try Copies(file: file, sectorSize: try resolveSectorSize(of: file, requested: sectorSize))
        let (trustedCopy, trusted) = try copies.trusted()
        let entries = try applied(changes, to: trusted)
        let plan = try planWrites(copies: copies, trusted: trustedCopy, entriesCRC: CRC32.checksum(entries))
        for write in plan.writes {
            let name = write.copy.rawValue
            try file.write(entries, at: write.entriesLBA * copies.sectorSize, what: "\(name) partition entries")
            try file.write(write.header, at: write.headerLBA * copies.sectorSize, what: "\(name) GPT header")
            try file.sync(after: "the \(name) GPT")
        }
        var updated = trusted
        updated.entries = entries
        return UpdateResult(
            partitions: try updated.usedEntries(), sectorSize: copies.sectorSize, repaired: plan.repaired,
            kernelNotice: try file.tellKernel())
    }

    /// `trusted`'s entry array with `changes` applied, after every change has been checked:
    /// the entry exists and is used, types and PARTUUIDs are not all zero, names fit, no
    /// entry is changed twice, and no changed PARTUUID is another used entry's too (the
    /// initrd finds a slot by PARTUUID, so two would be ambiguous).
    static func applied(_ changes: [EntryChange], to trusted: TableCopy) throws(GPTError) -> [UInt8] {
        let count = Int(trusted.header.numberOfPartitionEntries)
        var partitions: [Int: Partition] = [:]
        for entry in try trusted.usedEntries() { partitions[entry.number - 1] = entry.partition }
        for change in changes {
            let index = change.index
            guard index >= 0, index < count else {
                throw .invalidChange(index: index, problem: "the table has entries 1...\(count)")
            }
            guard var partition = partitions[index] else {
                throw .invalidChange(index: index, problem: "the entry is unused; an update changes partitions, it does not create them")
            }
            guard changes.filter({ $0.index == index }).count == 1 else {
                throw .invalidChange(index: index, problem: "it is changed more than once in one update")
            }
            if change.type == .zero || change.uuid == .zero {
                throw .invalidChange(index: index, problem: "the all-zero GUID marks an unused entry; give a real one")
            }
            if let name = change.name { try Table.checkName(name) }
            partition.type = change.type ?? partition.type
            partition.uuid = change.uuid ?? partition.uuid
            partitions[index] = partition
        }
        for change in changes where change.uuid != nil {
            let uuid = partitions[change.index]?.uuid
            if let other = partitions.keys.sorted().first(where: { $0 != change.index && partitions[$0]?.uuid == uuid }) {
                throw .invalidChange(
                    index: change.index, problem: "PARTUUID \(uuid ?? .zero) is entry \(other + 1)'s too; PARTUUIDs must be unique")
            }
        }
        var entries = trusted.entries
        for change in changes { PartitionEntry.patch(&entries, at: trusted.slot(change.index).lowerBound, with: change) }
        return entries
    }

    /// One copy's place on the disk and its new header sector.
    struct CopyWrite {
        var copy: GPTError.Copy
        var headerLBA: UInt64
        var entriesLBA: UInt64
        var header: [UInt8]
    }

    /// Both copies' writes, the untrusted one first. An intact copy that matches the trusted
    /// one keeps its header bytes (only the two CRCs change); any other is rebuilt from the
    /// trusted header, with its standard place on the disk.
    static func planWrites(
        copies: Copies, trusted: GPTError.Copy, entriesCRC: UInt32
    ) throws(GPTError) -> (writes: [CopyWrite], repaired: GPTError.Copy?) {
        let (source, other) = trusted == .primary ? (copies.primary, copies.backup) : (copies.backup, copies.primary)
        guard case .success(let table) = source else { preconditionFailure("the trusted copy is intact") }
        let otherCopy: GPTError.Copy = trusted == .primary ? .backup : .primary
        let sourceWrite = CopyWrite(
            copy: trusted, headerLBA: table.header.myLBA, entriesLBA: table.header.partitionEntryLBA,
            header: Header.patched(table.sector, partitionEntryArrayCRC32: entriesCRC))
        var otherWrite: CopyWrite
        var repaired: GPTError.Copy?
        if case .success(let counterpart) = other, counterpart.header.isCounterpart(of: table.header) {
            otherWrite = CopyWrite(
                copy: otherCopy, headerLBA: counterpart.header.myLBA, entriesLBA: counterpart.header.partitionEntryLBA,
                header: Header.patched(counterpart.sector, partitionEntryArrayCRC32: entriesCRC))
        } else {
            otherWrite = try rebuilt(otherCopy, from: table.header, sectorSize: copies.sectorSize, entriesCRC: entriesCRC)
            repaired = otherCopy
        }
        for write in [otherWrite, sourceWrite] {
            try checkPlacement(write, header: table.header, sectorSize: copies.sectorSize)
        }
        return ([otherWrite, sourceWrite], repaired)
    }

    /// The `copy` header that belongs with `header`, at its standard place: the primary at
    /// LBA 1 with its entries from LBA 2, the backup at the primary's AlternateLBA with its
    /// entries just before it.
    static func rebuilt(
        _ copy: GPTError.Copy, from header: Header, sectorSize: UInt64, entriesCRC: UInt32
    ) throws(GPTError) -> CopyWrite {
        let arraySectors = (header.entryArrayBytes + sectorSize - 1) / sectorSize
        var new = header
        new.partitionEntryArrayCRC32 = entriesCRC
        new.myLBA = copy == .primary ? 1 : header.alternateLBA
        new.alternateLBA = header.myLBA
        guard copy == .primary || header.alternateLBA > arraySectors else {
            throw .invalidHeader(.primary, field: "AlternateLBA", found: "\(header.alternateLBA)", expected: "room for the backup entries")
        }
        new.partitionEntryLBA = copy == .primary ? 2 : header.alternateLBA - arraySectors
        return CopyWrite(
            copy: copy, headerLBA: new.myLBA, entriesLBA: new.partitionEntryLBA, header: new.encodedSector(sectorSize: sectorSize))
    }

    /// The update writes only table sectors: a copy's entries and header must not overlap
    /// each other or the usable area, where partition contents live.
    static func checkPlacement(_ write: CopyWrite, header: Header, sectorSize: UInt64) throws(GPTError) {
        let arraySectors = (header.entryArrayBytes + sectorSize - 1) / sectorSize
        let entries = write.entriesLBA..<(write.entriesLBA + arraySectors)
        let usable = header.firstUsableLBA...header.lastUsableLBA
        guard !entries.contains(write.headerLBA), !usable.contains(write.headerLBA),
            !entries.overlaps(usable.lowerBound..<(usable.upperBound + 1))
        else {
            throw .invalidHeader(
                write.copy, field: "PartitionEntryLBA", found: "\(write.entriesLBA)",
                expected: "an entry array (\(arraySectors) sectors) outside the header's LBA \(write.headerLBA) "
                    + "and the usable LBAs \(usable.lowerBound)...\(usable.upperBound)")
        }
    }
}

extension GPT.Header {
    /// Whether `self` is the other copy of `header`: each names the other's LBA, and the
    /// fields both copies must share agree (the entry CRC may differ: an update was cut short).
    func isCounterpart(of header: Self) -> Bool {
        myLBA == header.alternateLBA && alternateLBA == header.myLBA && firstUsableLBA == header.firstUsableLBA
            && lastUsableLBA == header.lastUsableLBA && diskGUID == header.diskGUID
            && numberOfPartitionEntries == header.numberOfPartitionEntries
            && sizeOfPartitionEntry == header.sizeOfPartitionEntry
    }
}
