import Glibc

/// Opening a file a reader does not trust: an image or bundle that came over the network.
///
/// A reader takes a regular file and, where it reads a disk, a block device; anything else is
/// refused before a byte is read, with an error that says what the path is. The open itself
/// uses O_NONBLOCK, so a FIFO with no writer is refused instead of blocking `open` forever
/// (O_NONBLOCK changes nothing for reads of a regular file or a block device).
extension SystemIO.File {
    /// What a reader accepts.
    public enum InputKind: Sendable, Hashable {
        /// A file (an update bundle, a verity-sig copy).
        case regularFile
        /// A file or a disk (a disk image, or the disk itself).
        case regularFileOrBlockDevice
    }

    /// Opens `path` read-only after checking (fstat, on the open descriptor) that it is what
    /// `kind` allows; a FIFO, socket, directory or character device is a `SystemIOError`
    /// (EINVAL) whose `reason` names the type and what to give instead.
    public static func openForReading(_ path: String, kind: InputKind) throws(SystemIOError) -> SystemIO.File {
        let file = try SystemIO.File(path: path, flags: O_RDONLY | O_NONBLOCK)
        let status = try file.status()
        let allowed = status.isRegularFile || (kind == .regularFileOrBlockDevice && status.isBlockDevice)
        guard allowed else {
            let wanted = kind == .regularFile ? "a regular file" : "a regular file or a block device"
            throw SystemIOError(
                path, "read", code: EINVAL,
                detail: "it is \(status.typeDescription), not \(wanted); give the path of the file itself")
        }
        return file
    }
}

extension FileStatus {
    /// "a FIFO", "a directory"...: the S_IFMT type in words, for messages.
    public var typeDescription: String {
        switch mode & UInt32(S_IFMT) {
        case UInt32(S_IFREG): return "a regular file"
        case UInt32(S_IFDIR): return "a directory"
        case UInt32(S_IFBLK): return "a block device"
        case UInt32(S_IFCHR): return "a character device"
        case UInt32(S_IFIFO): return "a FIFO (named pipe)"
        case UInt32(S_IFSOCK): return "a socket"
        case UInt32(S_IFLNK): return "a symbolic link"
        default: return "a file of unknown type (mode 0o\(String(mode, radix: 8)))"
        }
    }
}
