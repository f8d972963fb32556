extension GPT {
    /// Writes the protective MBR (LBA 0), the primary header (LBA 1) and entries (LBA 2-33),
    /// the backup entries (LBA n-33...n-2) and the backup header (LBA n-1), and nothing else:
    /// partition contents already in the file stay as they are. The file is created when
    /// missing and extended (sparsely) to `table.diskSize` when shorter; a longer file is
    /// refused because its last sector would not be the backup header. LBAs are in
    /// `table.sectorSize` units (with 4096-byte sectors the entries fill LBA 2-5).
    ///
    /// The backup copy is written and fsynced before the primary, as `update` does: over an
    /// existing table, a crash leaves the old primary whole (which the kernel reads) or a new
    /// backup whole, never two torn copies.
    ///
    /// On a block device the kernel is then told to re-read the table (BLKRRPART); what it
    /// answered when a partition is in use is returned (nil otherwise, and for a file).
    ///
    /// The output depends only on `table`: equal tables give identical bytes.
    @discardableResult
    public static func write(_ table: Table, to path: String) throws -> String? {
        try table.validate()
        let file = try ImageFile(path: path, access: .create)
        let fileSize = try file.size
        guard fileSize <= table.diskSize else {
            throw GPTError.fileLargerThanDisk(path: path, fileSize: fileSize, diskSize: table.diskSize)
        }
        if fileSize < table.diskSize { try file.truncate(to: table.diskSize) }

        let sectors = encodedSectors(table)
        let sectorSize = table.sectorSize
        try file.write(sectors.entries, at: table.backupEntriesLBA * sectorSize, what: "backup partition entries")
        try file.write(sectors.backupHeader, at: table.backupHeaderLBA * sectorSize, what: "backup GPT header")
        try file.sync(after: "the backup GPT")
        try file.write(sectors.mbr, at: 0, what: "protective MBR")
        try file.write(sectors.entries, at: 2 * sectorSize, what: "primary partition entries")
        try file.write(sectors.primaryHeader, at: sectorSize, what: "primary GPT header")
        try file.sync(after: "the primary GPT")
        return try file.tellKernel()
    }

    /// The table's sectors in memory (for `write`, and for tests that compare bytes).
    /// `table` must be valid (`validate()`).
    static func encodedSectors(_ table: Table) -> (mbr: [UInt8], primaryHeader: [UInt8], entries: [UInt8], backupHeader: [UInt8]) {
        var entries = [UInt8](repeating: 0, count: Int(Table.entryCount * Table.entrySize))
        for (index, partition) in table.partitions.enumerated() {
            let offset = index * Int(Table.entrySize)
            entries.replaceSubrange(offset..<(offset + PartitionEntry.size), with: PartitionEntry.encode(partition))
        }
        let entriesCRC = CRC32.checksum(entries)
        func header(myLBA: UInt64, alternateLBA: UInt64, entriesLBA: UInt64) -> Header {
            Header(
                myLBA: myLBA, alternateLBA: alternateLBA, firstUsableLBA: table.firstUsableLBA,
                lastUsableLBA: table.lastUsableLBA, diskGUID: table.diskGUID, partitionEntryLBA: entriesLBA,
                numberOfPartitionEntries: UInt32(Table.entryCount), sizeOfPartitionEntry: UInt32(Table.entrySize),
                partitionEntryArrayCRC32: entriesCRC)
        }
        let primary = header(myLBA: 1, alternateLBA: table.backupHeaderLBA, entriesLBA: 2)
        let backup = header(myLBA: table.backupHeaderLBA, alternateLBA: 1, entriesLBA: table.backupEntriesLBA)
        let mbr = ProtectiveMBR.encode(diskSectors: table.diskSectors, sectorSize: table.sectorSize)
        return (mbr, primary.encodedSector(sectorSize: table.sectorSize), entries, backup.encodedSector(sectorSize: table.sectorSize))
    }
}
