extension GPT {
    /// Reads and validates the table of an image file.
    ///
    /// Checks, in order: the protective MBR; the primary header (signature, revision, size,
    /// header CRC32, MyLBA, entry geometry) and its entry array CRC32; that AlternateLBA is the
    /// file's last sector; the backup header the same way; that both copies agree field by
    /// field and hold the same entries; and that every used entry lies in the usable area.
    /// The first problem found is thrown as a `GPTError`. A damaged primary is reported even
    /// when the backup could replace it (`GPTError.primaryDamaged` says whether it could),
    /// because a verifier wants to know.
    ///
    /// Partitions come back in entry order with unused entries skipped; `diskSize` is the
    /// file size rounded down to whole sectors.
    public static func read(path: String) throws -> Table {
        let file = try ImageFile(path: path, writable: false)
        let fileSize = try file.size
        let sectorSize = Table.sectorSize
        guard fileSize >= 2 * sectorSize else {
            throw GPTError.truncated(
                path: path, fileSize: fileSize, what: "protective MBR and primary GPT header", needed: 2 * sectorSize)
        }
        let lastLBA = fileSize / sectorSize - 1
        try ProtectiveMBR.check(try file.read(at: 0, count: Int(sectorSize), what: "protective MBR"))

        let primary: TableCopy
        do {
            primary = try TableCopy(file: file, copy: .primary, headerLBA: 1, lastLBA: lastLBA)
        } catch {
            guard error.isContentDamage else { throw error }
            var backupProblem: String?
            do {
                _ = try TableCopy(file: file, copy: .backup, headerLBA: lastLBA, lastLBA: lastLBA)
            } catch {
                backupProblem = error.description
            }
            throw GPTError.primaryDamaged(error, backupIntact: backupProblem == nil, backupProblem: backupProblem)
        }

        // TableCopy already reported an AlternateLBA past the end as truncation.
        let alternate = primary.header.alternateLBA
        guard alternate == lastLBA else {
            throw GPTError.invalidHeader(
                .primary, field: "AlternateLBA", found: "\(alternate)",
                expected: "\(lastLBA), the file's last sector (the file grew after the table was written?)")
        }
        let backup = try TableCopy(file: file, copy: .backup, headerLBA: lastLBA, lastLBA: lastLBA)
        try checkAgreement(primary, backup)

        var partitions: [Partition] = []
        let slot = Int(primary.header.sizeOfPartitionEntry)
        for index in 0..<Int(primary.header.numberOfPartitionEntries) {
            let start = index * slot
            let entry = primary.entries[start..<(start + slot)]
            guard let partition = try PartitionEntry.decode(entry, index: index) else { continue }
            let header = primary.header
            guard partition.firstLBA <= partition.lastLBA else {
                throw GPTError.invalidEntry(
                    index: index, problem: "StartingLBA \(partition.firstLBA) is after EndingLBA \(partition.lastLBA)")
            }
            guard partition.firstLBA >= header.firstUsableLBA, partition.lastLBA <= header.lastUsableLBA else {
                throw GPTError.invalidEntry(
                    index: index,
                    problem: "LBAs \(partition.firstLBA)...\(partition.lastLBA) are outside the usable LBAs "
                        + "\(header.firstUsableLBA)...\(header.lastUsableLBA)")
            }
            partitions.append(partition)
        }
        return Table(diskGUID: primary.header.diskGUID, diskSize: (lastLBA + 1) * sectorSize, partitions: partitions)
    }

    /// A used entry with the number the kernel gives its partition: entry index + 1, so an
    /// unused entry before it still counts (`/sys/class/block/DISK/PART/partition`).
    public struct NumberedPartition: Sendable, Hashable {
        public var number: Int
        public var partition: Partition

        public init(number: Int, partition: Partition) {
            self.number = number
            self.partition = partition
        }
    }

    /// The primary table alone, read as the kernel reads it at boot (block/partitions/efi.c):
    /// the protective MBR, the primary header and its entry array with their CRCs. The
    /// backup is not required at the disk's end, because an image written to a larger disk
    /// leaves it in the middle; `read(path:)` is the strict check for image files.
    public static func readPrimary(path: String) throws -> [NumberedPartition] {
        let file = try ImageFile(path: path, writable: false)
        let size = try file.size
        let sectorSize = Table.sectorSize
        guard size >= 2 * sectorSize else {
            throw GPTError.truncated(path: path, fileSize: size, what: "protective MBR and primary GPT header", needed: 2 * sectorSize)
        }
        try ProtectiveMBR.check(try file.read(at: 0, count: Int(sectorSize), what: "protective MBR"))
        let primary = try TableCopy(file: file, copy: .primary, headerLBA: 1, lastLBA: size / sectorSize - 1)
        let slot = Int(primary.header.sizeOfPartitionEntry)
        return try (0..<Int(primary.header.numberOfPartitionEntries)).compactMap { index in
            try PartitionEntry.decode(primary.entries[(index * slot)..<(index * slot + slot)], index: index).map {
                NumberedPartition(number: index + 1, partition: $0)
            }
        }
    }

    /// Every header field that must be equal in both copies (UEFI 2.10 §5.3.2: the backup
    /// differs only in MyLBA, AlternateLBA, PartitionEntryLBA and the CRCs that cover them).
    private static func checkAgreement(_ primary: TableCopy, _ backup: TableCopy) throws(GPTError) {
        let p = primary.header
        let b = backup.header
        let fields: [(String, UInt64, UInt64)] = [
            ("FirstUsableLBA", p.firstUsableLBA, b.firstUsableLBA),
            ("LastUsableLBA", p.lastUsableLBA, b.lastUsableLBA),
            ("NumberOfPartitionEntries", UInt64(p.numberOfPartitionEntries), UInt64(b.numberOfPartitionEntries)),
            ("SizeOfPartitionEntry", UInt64(p.sizeOfPartitionEntry), UInt64(b.sizeOfPartitionEntry)),
            ("PartitionEntryArrayCRC32", UInt64(p.partitionEntryArrayCRC32), UInt64(b.partitionEntryArrayCRC32)),
        ]
        for (name, primaryValue, backupValue) in fields where primaryValue != backupValue {
            throw .copiesDisagree(field: name, primary: "\(primaryValue)", backup: "\(backupValue)")
        }
        guard p.diskGUID == b.diskGUID else {
            throw .copiesDisagree(field: "DiskGUID", primary: "\(p.diskGUID)", backup: "\(b.diskGUID)")
        }
        guard b.alternateLBA == 1 else {
            throw .invalidHeader(.backup, field: "AlternateLBA", found: "\(b.alternateLBA)", expected: "1")
        }
        if let index = primary.entries.indices.first(where: { primary.entries[$0] != backup.entries[$0] }) {
            throw .copiesDisagree(
                field: "partition entry array", primary: "byte \(index) differs", backup: "byte \(index) differs")
        }
    }

    /// One header with its entry array, each checked on its own.
    private struct TableCopy {
        var header: Header
        var entries: [UInt8]

        init(file: ImageFile, copy: GPTError.Copy, headerLBA: UInt64, lastLBA: UInt64) throws(GPTError) {
            let sectorSize = Table.sectorSize
            let sector = try file.read(
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
    }
}

extension GPTError {
    /// Problems in a table's bytes (as opposed to a short file or a failed system call), the
    /// ones a backup copy can repair.
    var isContentDamage: Bool {
        switch self {
        case .invalidHeader, .checksumMismatch: true
        default: false
        }
    }
}
