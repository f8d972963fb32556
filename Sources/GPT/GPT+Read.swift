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
    /// Partitions come back in entry order with unused entries skipped, none sharing a sector
    /// with another (`.overlap`); `diskSize` is the file size rounded down to whole sectors.
    /// Only a regular file or a block device is read (a FIFO would block); memory is at most
    /// two entry arrays of 4096 × 1024 bytes, the largest geometry the header check accepts. `sectorSize` is the LBA size: by default the
    /// device's logical sector size for a block device and 512 for a file.
    public static func read(path: String, sectorSize: UInt64? = nil) throws -> Table {
        let file = try ImageFile(path: path, access: .read)
        let sectorSize = try resolveSectorSize(of: file, requested: sectorSize)
        let fileSize = try file.size
        guard fileSize >= 2 * sectorSize else {
            throw GPTError.truncated(
                path: path, fileSize: fileSize, what: "protective MBR and primary GPT header", needed: 2 * sectorSize)
        }
        let lastLBA = fileSize / sectorSize - 1
        try ProtectiveMBR.check(try file.read(at: 0, count: Int(sectorSize), what: "protective MBR"))

        let primary: TableCopy
        do {
            primary = try TableCopy(file: file, copy: .primary, headerLBA: 1, lastLBA: lastLBA, sectorSize: sectorSize)
        } catch {
            guard error.isContentDamage else { throw error }
            var backupProblem: String?
            do {
                _ = try TableCopy(file: file, copy: .backup, headerLBA: lastLBA, lastLBA: lastLBA, sectorSize: sectorSize)
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
        let backup = try TableCopy(file: file, copy: .backup, headerLBA: lastLBA, lastLBA: lastLBA, sectorSize: sectorSize)
        try checkAgreement(primary, backup)
        let partitions = try primary.checkedEntries().map(\.partition)
        return Table(
            diskGUID: primary.header.diskGUID, diskSize: (lastLBA + 1) * sectorSize, partitions: partitions,
            sectorSize: sectorSize)
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
    /// leaves it in the middle; `read(path:)` is the strict check for image files. LBAs
    /// count in the device's logical sectors (BLKSSZGET), or `sectorSize` bytes.
    public static func readPrimary(path: String, sectorSize: UInt64? = nil) throws -> [NumberedPartition] {
        let file = try ImageFile(path: path, access: .read)
        let sectorSize = try resolveSectorSize(of: file, requested: sectorSize)
        let size = try file.size
        guard size >= 2 * sectorSize else {
            throw GPTError.truncated(path: path, fileSize: size, what: "protective MBR and primary GPT header", needed: 2 * sectorSize)
        }
        try ProtectiveMBR.check(try file.read(at: 0, count: Int(sectorSize), what: "protective MBR"))
        let primary = try TableCopy(
            file: file, copy: .primary, headerLBA: 1, lastLBA: size / sectorSize - 1, sectorSize: sectorSize)
        return try primary.usedEntries()
    }

    /// The LBA size to read or write `file` with: a block device's own logical sector size
    /// (a different `requested` one is an error), else `requested` or 512.
    static func resolveSectorSize(of file: ImageFile, requested: UInt64?) throws(GPTError) -> UInt64 {
        guard try file.isBlockDevice else {
            let size = requested ?? Table.defaultSectorSize
            try Table.checkSectorSize(size)
            return size
        }
        let device = try file.logicalSectorSize()
        if let requested, requested != device {
            throw .sectorSizeMismatch(path: file.path, requested: requested, device: device)
        }
        try Table.checkSectorSize(device)
        return device
    }

    /// Every header field that must be equal in both copies (UEFI 2.10 §5.3.2: the backup
    /// differs only in MyLBA, AlternateLBA, PartitionEntryLBA and the CRCs that cover them).
    static func checkAgreement(_ primary: TableCopy, _ backup: TableCopy) throws(GPTError) {
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
