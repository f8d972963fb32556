import ByteCodec

/// Everything the GPT planner, writer and reader can reject, with the values involved.
public enum GPTError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Which copy of the table a reader problem is in.
    public enum Copy: String, Sendable, Equatable {
        case primary
        case backup
    }

    /// A system call on the image file failed; `message` is `strerror(errno)`.
    case io(path: String, operation: String, message: String)
    /// The disk size is not a multiple of 512 or too small for the two tables.
    case invalidDiskSize(UInt64)
    /// The same with sectors of another size than 512 bytes.
    case invalidDiskSizeForSectorSize(UInt64, sectorSize: UInt64)
    /// A logical sector size no Linux disk has.
    case unsupportedSectorSize(UInt64)
    /// A requested sector size that is not the block device's own.
    case sectorSizeMismatch(path: String, requested: UInt64, device: UInt64)
    /// A change `update` refuses before writing anything (`index` is the entry's, from 0).
    case invalidChange(index: Int, problem: String)
    /// A partition name needs more than 36 UTF-16 code units.
    case nameTooLong(name: String, utf16Units: Int)
    /// A partition name with a U+0000, which ends the name for every reader.
    case nameContainsNUL(name: String)
    /// More partitions than the 128 entries hold.
    case tooManyPartitions(count: Int)
    /// A planner request of 0 bytes.
    case emptyPartition(partition: String)
    /// A partition with the all-zero type GUID, which readers treat as an unused entry.
    case emptyType(partition: String)
    /// The planner ran past the end of the usable area.
    case doesNotFit(partition: String, size: UInt64, endOffset: UInt64, usableEnd: UInt64, minimumDiskSize: UInt64)
    /// A partition's LBAs are reversed or outside FirstUsableLBA...LastUsableLBA.
    case outsideUsableArea(partition: String, firstLBA: UInt64, lastLBA: UInt64, firstUsableLBA: UInt64, lastUsableLBA: UInt64)
    /// Two partitions share sectors.
    case overlap(first: String, second: String, sharedLBA: UInt64)
    /// The image file is longer than the table's disk size, so the backup header would not be
    /// in the last sector.
    case fileLargerThanDisk(path: String, fileSize: UInt64, diskSize: UInt64)
    /// The file ends before something the table needs.
    case truncated(path: String, fileSize: UInt64, what: String, needed: UInt64)
    /// LBA 0 is not a protective MBR.
    case invalidProtectiveMBR(String)
    /// A header field holds a value a valid GPT cannot have.
    case invalidHeader(Copy, field: String, found: String, expected: String)
    /// A stored CRC32 does not match the bytes (`area` is "header" or "partition entry array").
    case checksumMismatch(Copy, area: String, stored: UInt32, computed: UInt32)
    /// Both headers are valid on their own but disagree.
    case copiesDisagree(field: String, primary: String, backup: String)
    /// A used entry with reversed LBAs or outside the usable area.
    case invalidEntry(index: Int, problem: String)
    /// The primary table is damaged; `backupIntact` tells whether the backup would restore it.
    indirect case primaryDamaged(GPTError, backupIntact: Bool, backupProblem: String?)

    public var description: String {
        switch self {
        case .io(let path, let operation, let message):
            return "\(operation) \(path) failed: \(message)"
        case .invalidDiskSize(let size):
            return "disk size \(size) bytes is not usable for a GPT disk; it must be a multiple of 512 and at least "
                + "\(GPT.Table.minimumDiskSize) bytes (two tables of 34 and 33 sectors plus one usable sector)"
        case .invalidDiskSizeForSectorSize(let size, let sectorSize):
            return "disk size \(size) bytes is not usable for a GPT disk of \(sectorSize)-byte sectors; it must be a "
                + "multiple of \(sectorSize) and at least \(GPT.Table.minimumDiskSize(sectorSize: sectorSize)) bytes"
        case .unsupportedSectorSize(let size):
            return "logical sector size \(size) is not one a disk has; use "
                + GPT.Table.supportedSectorSizes.map(String.init).joined(separator: ", ")
        case .sectorSizeMismatch(let path, let requested, let device):
            return "\(path) has \(device)-byte logical sectors (BLKSSZGET), not \(requested); "
                + "leave the sector size out for a block device"
        case .invalidChange(let index, let problem):
            return "cannot change GPT partition entry \(index + 1): \(problem)"
        case .nameTooLong(let name, let units):
            return "partition name '\(name)' is \(units) UTF-16 code units long; a GPT entry holds at most "
                + "\(GPT.Partition.maximumNameLength)"
        case .nameContainsNUL(let name):
            return "partition name '\(name.replacingNUL())' contains a NUL character (shown as \\0), "
                + "which ends a GPT name; remove it"
        case .tooManyPartitions(let count):
            return "\(count) partitions do not fit into the table; it has \(GPT.Table.entryCount) entries"
        case .emptyPartition(let partition):
            return "partition '\(partition)' has size 0; give it at least 1 byte (it is rounded up to 1 MiB)"
        case .emptyType(let partition):
            return "partition '\(partition)' has the all-zero type GUID, which marks an unused entry; "
                + "give it a real type (for example linux-generic 0fc63daf-8483-4772-8e79-3d69d8477de4)"
        case .doesNotFit(let partition, let size, let end, let usableEnd, let minimum):
            return "partition '\(partition)' (\(GPT.describeExactly(bytes: size))) ends at \(GPT.describe(bytes: end)) "
                + "(byte \(end)) but the disk's last usable byte is at \(GPT.describe(bytes: usableEnd)) "
                + "(byte \(usableEnd - 1)); make disk.size at least \(GPT.describeExactly(bytes: minimum))"
        case .outsideUsableArea(let partition, let first, let last, let firstUsable, let lastUsable):
            return "partition '\(partition)' spans LBA \(first)...\(last); it must lie within the usable LBAs "
                + "\(firstUsable)...\(lastUsable) with its first LBA not after its last"
        case .overlap(let first, let second, let shared):
            return "partitions '\(first)' and '\(second)' overlap at LBA \(shared); each sector belongs to one partition"
        case .fileLargerThanDisk(let path, let fileSize, let diskSize):
            return "\(path) is \(fileSize) bytes but the table describes a \(diskSize)-byte disk; the backup header "
                + "must be in the file's last sector, so write to a new file or one of at most \(diskSize) bytes"
        case .truncated(let path, let fileSize, let what, let needed):
            return "\(path) is \(fileSize) bytes but the \(what) needs \(needed) bytes; the image is truncated"
        case .invalidProtectiveMBR(let problem):
            return "LBA 0 is not a protective MBR: \(problem)"
        case .invalidHeader(let copy, let field, let found, let expected):
            return "\(copy.rawValue) GPT header: \(field) is \(found), expected \(expected)"
        case .checksumMismatch(let copy, let area, let stored, let computed):
            return "\(copy.rawValue) GPT \(area) CRC32 mismatch: stored 0x\(Hex.encode(stored, digits: 8)), "
                + "computed 0x\(Hex.encode(computed, digits: 8))"
        case .copiesDisagree(let field, let primary, let backup):
            return "primary and backup GPT headers disagree on \(field): primary \(primary), backup \(backup)"
        case .invalidEntry(let index, let problem):
            return "GPT partition entry \(index + 1): \(problem)"
        case .primaryDamaged(let error, let backupIntact, let backupProblem):
            if backupIntact {
                return "\(error.description); the backup header is intact, so the table can be restored from it "
                    + "(gdisk's recovery menu, command b)"
            }
            return "\(error.description); the backup table is damaged too: \(backupProblem ?? "unknown problem")"
        }
    }
}

extension String {
    fileprivate func replacingNUL() -> String {
        unicodeScalars.map { $0 == "\u{0}" ? "\\0" : String($0) }.joined()
    }
}
