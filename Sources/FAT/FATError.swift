/// What the FAT writer and reader can reject. Messages name the value, what would be valid
/// and, where the build can do something about it, the fix.
public enum FATError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Why a region size cannot hold a FAT volume.
    public enum SizeProblem: Equatable, Sendable {
        case notSectorMultiple
        case tooSmall(minimum: UInt64)
        case tooLarge(maximum: UInt64)
    }

    // Writing
    /// The region's size cannot be formatted.
    case invalidSize(UInt64, problem: SizeProblem)
    /// The region does not start on a 512-byte sector.
    case invalidOffset(UInt64)
    /// The region runs past the end of the file or disk.
    case regionOutsideFile(path: String, offset: UInt64, size: UInt64, fileSize: UInt64)
    /// A path or name that FAT cannot store (`path` is the whole path given).
    case invalidName(path: String, reason: String)
    /// Two names in one directory that FAT, comparing without case, takes for one.
    case duplicateName(directory: String, first: String, second: String)
    /// A path goes through something that is a file.
    case notADirectory(path: String)
    /// A file over FAT's 4 GiB - 1 bytes (`DIR_FileSize` is 32 bits).
    case fileTooLarge(path: String, bytes: UInt64)
    /// A directory holds more entries than it can (65536 slots, or the 512 of a FAT12/16 root).
    case directoryFull(directory: String, entries: Int, limit: Int)
    case invalidLabel(String, reason: String)
    /// The files need more clusters than the volume has.
    case doesNotFit(needed: UInt64, available: UInt64, size: UInt64, kind: FAT.Kind, clusterSize: UInt64, minimumSize: UInt64?)

    // Both
    /// A system call failed; `message` is the kernel's reason.
    case io(path: String, operation: String, message: String)

    // Reading
    /// The file ends before `what`.
    case truncated(path: String, what: String, needed: UInt64, available: UInt64)
    /// A BPB field holds what no FAT volume has.
    case invalidBootSector(path: String, field: String, found: String, expected: String)
    /// The FAT or a directory contradicts itself or the geometry.
    case corrupt(path: String, detail: String)
    /// A cluster chain comes back to a cluster it already passed.
    case chainLoop(path: String, what: String, cluster: UInt32)
    /// No entry of that name (a path inside the volume).
    case notFound(path: String)
    /// A file was asked for where the path names a directory.
    case isADirectory(path: String)
    /// More than the reader holds in memory (`FAT.Volume.Limits`).
    case tooLarge(path: String, what: String, limit: String)
    /// `rename`, `add` or `remove` on a volume opened for reading.
    case readOnly(path: String)
    /// The new name of a rename or an added file is taken (`existing` is the entry that has it).
    case nameExists(directory: String, name: String, existing: String)
    /// A directory must grow for a rename's longer name, and no cluster is free.
    case volumeFull(path: String, directory: String, clustersNeeded: Int, clustersFree: Int)
    /// `add` needs more free clusters than there are: `bytesNeeded` counts the file's
    /// clusters and any the directory must grow by, `bytesFree` the free clusters.
    case noSpace(path: String, file: String, bytesNeeded: UInt64, bytesFree: UInt64)
    /// `add`'s contents came to another size than the one declared.
    case sizeMismatch(path: String, file: String, declared: UInt64, written: UInt64)

    public var description: String {
        switch self {
        case let .invalidSize(size, problem):
            let what = "a FAT volume of \(size) bytes (\(FAT.describe(bytes: size)))"
            switch problem {
            case .notSectorMultiple:
                return "cannot format \(what): the size must be a multiple of 512; make disk.espSize a whole number of MiB"
            case let .tooSmall(minimum):
                return "cannot format \(what): the smallest FAT volume written is \(minimum) bytes "
                    + "(\(FAT.describe(bytes: minimum))); raise disk.espSize"
            case let .tooLarge(maximum):
                return "cannot format \(what): FAT counts at most \(maximum) bytes of 512-byte sectors; lower disk.espSize"
            }
        case let .invalidOffset(offset):
            return "cannot place a FAT volume at byte \(offset): it must start on a 512-byte sector"
        case let .regionOutsideFile(path, offset, size, fileSize):
            return "\(path) is \(fileSize) bytes, but the FAT volume at byte \(offset) of \(size) bytes ends at byte "
                + "\(offset &+ size); write the partition table (which sizes the image) first"
        case let .invalidName(path, reason):
            return "'\(path)' cannot be stored on a FAT volume: \(reason)"
        case let .duplicateName(directory, first, second) where first == second:
            return "'\(first)' is given twice in \(Self.show(directory)); give each file once"
        case let .duplicateName(directory, first, second):
            return "'\(first)' and '\(second)' in \(Self.show(directory)) are the same name on FAT, which ignores case; "
                + "rename one"
        case let .notADirectory(path):
            return "'\(path)' is a file, so nothing can be put below it"
        case let .fileTooLarge(path, bytes):
            return "'\(path)' is \(bytes) bytes; a FAT file holds at most \(UInt32.max) (4 GiB - 1)"
        case let .directoryFull(directory, entries, limit):
            return "\(Self.show(directory)) needs \(entries) directory entries (one per short name, plus one per "
                + "13 characters of a long name) but holds at most \(limit); use fewer or shorter names there"
        case let .invalidLabel(label, reason):
            return "volume label '\(label)': \(reason)"
        case let .doesNotFit(needed, available, size, kind, clusterSize, minimum):
            let fix = minimum.map { "raise disk.espSize to at least \(FAT.describe(bytes: $0))" } ?? "raise disk.espSize"
            return "the ESP contents need \(needed) bytes (\(FAT.describe(bytes: needed))) in clusters of \(clusterSize) "
                + "bytes, but the \(kind) volume of \(FAT.describe(bytes: size)) has \(available) bytes "
                + "(\(FAT.describe(bytes: available))) for files and directories; \(fix)"
        case let .io(path, operation, message):
            return "\(path): cannot \(operation): \(message)"
        case let .truncated(path, what, needed, available):
            return "\(path): \(what) needs \(needed) bytes but only \(available) are there; the image is truncated"
        case let .invalidBootSector(path, field, found, expected):
            return "\(path): not a valid FAT boot sector: \(field) is \(found), expected \(expected)"
        case let .corrupt(path, detail):
            return "\(path): the FAT volume is corrupt: \(detail)"
        case let .chainLoop(path, what, cluster):
            return "\(path): the FAT volume is corrupt: the cluster chain of \(what) returns to cluster \(cluster)"
        case let .notFound(path):
            return "\(Self.show(path)): no such file or directory on the FAT volume"
        case let .isADirectory(path):
            return "\(Self.show(path)) is a directory, not a file"
        case let .tooLarge(path, what, limit):
            return "\(path): \(what); the reader holds at most \(limit), so it refuses the volume rather than exhaust memory"
        case let .readOnly(path):
            return "\(path): the FAT volume was opened for reading; open it with access .readWrite to rename, add or remove files"
        case let .nameExists(directory, name, existing):
            return "\(Self.show(directory)) cannot take the name '\(name)': '\(existing)' already has it (FAT ignores case)"
        case let .volumeFull(path, directory, needed, free):
            return "\(path): \(Self.show(directory)) must grow by \(needed) clusters for a new name, but \(free) are free; "
                + "delete a file from the volume first"
        case let .noSpace(path, file, needed, free):
            return "\(path): adding \(Self.show(file)) needs \(needed) bytes (\(FAT.describe(bytes: needed))) of free clusters "
                + "(its data and any directory growth), but \(free) bytes (\(FAT.describe(bytes: free))) are free; "
                + "remove a file from the volume first"
        case let .sizeMismatch(path, file, declared, written):
            let given = written > declared ? "more (\(written) bytes so far)" : "only \(written)"
            return "\(path): \(Self.show(file)) was declared \(declared) bytes but its contents gave \(given); nothing was added"
        }
    }

    /// A volume path for a message: "the root directory" for "", else "/EFI/Linux".
    static func show(_ path: String) -> String {
        let trimmed = path.split(separator: "/").joined(separator: "/")
        return trimmed.isEmpty ? "the root directory" : "/" + trimmed
    }
}
