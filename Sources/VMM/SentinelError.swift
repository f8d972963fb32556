/// Why a sentinel could not be written, or why what it records does not match what is there
/// now. The whole-file cases (no file, bad magic, checksum, region) mean no VM may resume;
/// the per-VM cases name the VM, and that VM must not resume (the others may).
public enum SentinelError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The sentinel file could not be read (absent after a kexec: the region was not kept).
    case unreadable(path: String, reason: String)
    /// The file ends before its header does.
    case truncated(path: String, actual: UInt64)
    /// The file is not a sentinel: its first bytes are not the magic.
    case badMagic(path: String)
    /// A format version this agent does not read.
    case unsupportedVersion(path: String, version: UInt32)
    /// The length in the header is not the file's length (cut short or extended).
    case lengthMismatch(path: String, recorded: UInt64, actual: UInt64)
    /// The SHA-256 over the header does not match: some byte of it changed.
    case checksumMismatch(path: String)
    /// The checksum matched but a field does not parse (a writer bug, never corruption).
    case malformed(path: String, detail: String)
    /// The preserved region is not the one the sentinel was written in (`memmap=` differs).
    case regionDiffers(recorded: Sentinel.Region, running: Sentinel.Region)
    /// The sentinel belongs to another switch.
    case transactionDiffers(recorded: String, expected: String)
    /// A VM's state file cannot be read.
    case stateFileUnreadable(vm: String, path: String, reason: String)
    /// A VM's state file has another size than recorded.
    case stateFileSize(vm: String, path: String, recorded: UInt64, found: UInt64)
    /// A VM's state file has other bytes than recorded.
    case stateFileHash(vm: String, path: String)
    /// A VM's guest-RAM file cannot be read.
    case ramFileUnreadable(vm: String, path: String, reason: String)
    /// A VM's guest-RAM file has another size than recorded.
    case ramFileSize(vm: String, path: String, recorded: UInt64, found: UInt64)
    /// The sampled pages of a VM's guest-RAM file differ from those recorded.
    case ramSampleHash(vm: String, path: String)
    /// Writing the sentinel, or hashing for it, failed.
    case write(path: String, reason: String)

    /// The VM a per-VM failure names; nil for a whole-file one.
    public var vm: String? {
        switch self {
        case let .stateFileUnreadable(vm, _, _), let .stateFileSize(vm, _, _, _), let .stateFileHash(vm, _),
             let .ramFileUnreadable(vm, _, _), let .ramFileSize(vm, _, _, _), let .ramSampleHash(vm, _):
            return vm
        default:
            return nil
        }
    }

    public var description: String {
        switch self {
        case let .unreadable(path, reason): return "sentinel \(path) cannot be read: \(reason)"
        case let .truncated(path, actual): return "sentinel \(path) has only \(actual) bytes: it was cut short"
        case let .badMagic(path): return "\(path) is not a hostimg sentinel (bad magic)"
        case let .unsupportedVersion(path, version): return "sentinel \(path) has format version \(version); this agent reads \(Sentinel.formatVersion)"
        case let .lengthMismatch(path, recorded, actual):
            return "sentinel \(path) records \(recorded) bytes but has \(actual): it was cut short or extended"
        case let .checksumMismatch(path): return "sentinel \(path) fails its checksum: its bytes changed after it was written"
        case let .malformed(path, detail): return "sentinel \(path) is malformed: \(detail)"
        case let .regionDiffers(recorded, running):
            return "the preserved region is memmap=\(running.size)!\(running.offset) but the sentinel was written in "
                + "memmap=\(recorded.size)!\(recorded.offset): its contents are not the VMs' memory"
        case let .transactionDiffers(recorded, expected): return "the sentinel belongs to switch \(recorded), not \(expected)"
        case let .stateFileUnreadable(vm, path, reason): return "VM \(vm): its state file \(path) cannot be read: \(reason)"
        case let .stateFileSize(vm, path, recorded, found):
            return "VM \(vm): its state file \(path) has \(found) bytes, \(recorded) were written"
        case let .stateFileHash(vm, path): return "VM \(vm): its state file \(path) differs from what was written (SHA-256)"
        case let .ramFileUnreadable(vm, path, reason): return "VM \(vm): its RAM file \(path) cannot be read: \(reason)"
        case let .ramFileSize(vm, path, recorded, found):
            return "VM \(vm): its RAM file \(path) has \(found) bytes, \(recorded) were recorded"
        case let .ramSampleHash(vm, path):
            return "VM \(vm): the sampled pages of its RAM file \(path) differ from those recorded before the kexec"
        case let .write(path, reason): return "cannot write the sentinel \(path): \(reason)"
        }
    }
}
