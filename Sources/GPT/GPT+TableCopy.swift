extension GPT {
    /// One copy of the table, primary or backup: its header sector and its entry array, each
    /// checked on its own (signature, CRCs, LBAs inside the file).
    struct TableCopy {
        var header: Header
        /// The header's whole sector as read, so an update can patch it in place.
        var sector: [UInt8]
        /// `NumberOfPartitionEntries` × `SizeOfPartitionEntry` bytes.
        var entries: [UInt8]

        init(file: ImageFile, copy: GPTError.Copy, headerLBA: UInt64, lastLBA: UInt64, sectorSize: UInt64) throws(GPTError) {
            sector = try file.read(
                at: headerLBA * sectorSize, count: Int(sectorSize), what: "\(copy.rawValue) GPT header")
            header = try Header(sector: sector, copy: copy, expectedLBA: headerLBA)
            // A primary pointing past the end of the file means the file lost its tail: say
            // so before any field that the shorter file merely makes look wrong.
            if copy == .primary, header.alternateLBA > lastLBA {
                let (sectors, overflow) = header.alternateLBA.addingReportingOverflow(1)
                let (needed, overflow2) = sectors.multipliedReportingOverflow(by: sectorSize)
                throw .truncated(
                    path: file.path, fileSize: (lastLBA + 1) * sectorSize,
                    what: "backup GPT header (at LBA \(header.alternateLBA))",
                    needed: overflow || overflow2 ? UInt64.max : needed)
            }
            guard header.lastUsableLBA <= lastLBA else {
                throw .invalidHeader(
                    copy, field: "LastUsableLBA", found: "\(header.lastUsableLBA)",
                    expected: "at most \(lastLBA), the file's last sector")
            }
            // Both bounded by the header checks (≤ 4096 × 1024 bytes; LBA ≤ lastLBA), so no
            // product below can overflow.
            let entryLBA = header.partitionEntryLBA
            guard entryLBA >= 1, entryLBA <= lastLBA, entryLBA != headerLBA else {
                throw .invalidHeader(
                    copy, field: "PartitionEntryLBA", found: "\(entryLBA)",
                    expected: "a sector of the file other than the header's (1...\(lastLBA))")
            }
            let arrayBytes = header.entryArrayBytes
            let end = entryLBA * sectorSize + arrayBytes
            guard end <= (lastLBA + 1) * sectorSize else {
                throw .truncated(
                    path: file.path, fileSize: (lastLBA + 1) * sectorSize,
                    what: "\(copy.rawValue) partition entry array (LBA \(entryLBA), \(arrayBytes) bytes)", needed: end)
            }
            entries = try file.read(
                at: entryLBA * sectorSize, count: Int(arrayBytes), what: "\(copy.rawValue) partition entry array")
            let computed = CRC32.checksum(entries)
            guard computed == header.partitionEntryArrayCRC32 else {
                throw .checksumMismatch(
                    copy, area: "partition entry array", stored: header.partitionEntryArrayCRC32, computed: computed)
            }
        }

        /// Bytes of one entry slot (`SizeOfPartitionEntry`).
        var slotSize: Int { Int(header.sizeOfPartitionEntry) }

        /// The slot of entry `index` in `entries`.
        func slot(_ index: Int) -> Range<Int> { (index * slotSize)..<((index + 1) * slotSize) }

        /// Used entries in entry order, numbered as the kernel numbers their partitions.
        func usedEntries() throws(GPTError) -> [NumberedPartition] {
            var used: [NumberedPartition] = []
            for index in 0..<Int(header.numberOfPartitionEntries) {
                if let partition = try PartitionEntry.decode(entries[slot(index)], index: index) {
                    used.append(NumberedPartition(number: index + 1, partition: partition))
                }
            }
            return used
        }

        /// `usedEntries`, each checked to lie inside the usable LBAs with its first LBA not
        /// after its last; the first one that does not is thrown as `.invalidEntry`.
        func checkedEntries() throws(GPTError) -> [NumberedPartition] {
            let used = try usedEntries()
            for entry in used {
                let partition = entry.partition
                let index = entry.number - 1
                guard partition.firstLBA <= partition.lastLBA else {
                    throw .invalidEntry(
                        index: index, problem: "StartingLBA \(partition.firstLBA) is after EndingLBA \(partition.lastLBA)")
                }
                guard partition.firstLBA >= header.firstUsableLBA, partition.lastLBA <= header.lastUsableLBA else {
                    throw .invalidEntry(
                        index: index,
                        problem: "LBAs \(partition.firstLBA)...\(partition.lastLBA) are outside the usable LBAs "
                            + "\(header.firstUsableLBA)...\(header.lastUsableLBA)")
                }
            }
            try Self.checkNoOverlap(used)
            return used
        }

        /// No sector belongs to two partitions (UEFI 2.10 §5.3.3: partitions must not
        /// overlap); the first pair in disk order that shares one is thrown as `.overlap`.
        static func checkNoOverlap(_ used: [NumberedPartition]) throws(GPTError) {
            let sorted = used.sorted { ($0.partition.firstLBA, $0.number) < ($1.partition.firstLBA, $1.number) }
            for (earlier, later) in zip(sorted, sorted.dropFirst()) where later.partition.firstLBA <= earlier.partition.lastLBA {
                throw .overlap(
                    first: "\(earlier.number) (\(earlier.partition.name))", second: "\(later.number) (\(later.partition.name))",
                    sharedLBA: later.partition.firstLBA)
            }
        }
    }
}
