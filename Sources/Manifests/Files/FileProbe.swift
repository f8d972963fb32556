import Foundation

/// Every look the manifest loader takes at the file system, in one place: what a path is
/// (stat(2), following symbolic links), where it really is (realpath(3)), and reading a
/// regular file with a byte limit.
///
/// A named pipe, a device or a socket is never opened for reading: opening a FIFO blocks until
/// a writer comes, a device can be endless or have side effects. `read` stats first, then opens
/// with `O_NONBLOCK` and checks the descriptor again with fstat(2), so a file swapped for a pipe
/// in between is refused too.
enum FileProbe {
    /// What stat(2) says a path is.
    enum Kind: Equatable, Sendable {
        case missing
        case regular
        case directory
        case fifo
        case characterDevice
        case blockDevice
        case socket
        case other
        /// stat(2) failed for another reason than a missing file (permissions, a loop).
        case unreadable(String)

        /// The words a message uses: "a named pipe (FIFO)".
        var description: String {
            switch self {
            case .missing: return "missing"
            case .regular: return "a regular file"
            case .directory: return "a directory"
            case .fifo: return "a named pipe (FIFO)"
            case .characterDevice: return "a character device"
            case .blockDevice: return "a block device"
            case .socket: return "a socket"
            case .other: return "not a regular file"
            case let .unreadable(reason): return "unreadable (\(reason))"
            }
        }

        /// A pipe, device, socket or anything else that is neither a regular file nor a directory.
        var isSpecial: Bool {
            switch self {
            case .fifo, .characterDevice, .blockDevice, .socket, .other: return true
            default: return false
            }
        }

        init(mode: mode_t) {
            switch mode & S_IFMT {
            case S_IFREG: self = .regular
            case S_IFDIR: self = .directory
            case S_IFIFO: self = .fifo
            case S_IFCHR: self = .characterDevice
            case S_IFBLK: self = .blockDevice
            case S_IFSOCK: self = .socket
            default: self = .other
            }
        }
    }

    /// What `path` is, following symbolic links (a dangling link is missing).
    static func kind(of path: String) -> Kind {
        var status = stat()
        guard stat(path, &status) == 0 else {
            let code = errno
            return code == ENOENT || code == ENOTDIR ? .missing : .unreadable(String(cString: strerror(code)))
        }
        return Kind(mode: status.st_mode)
    }

    /// The absolute path with every symbolic link, `.` and `..` resolved; nil when the path
    /// does not exist (or a component cannot be searched).
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    enum ReadOutcome: Sendable {
        /// At most `limit` bytes; `size` is the file's size from fstat(2).
        case bytes([UInt8], size: UInt64)
        /// The path is not a regular file: nothing was read.
        case notRegular(Kind)
        case missing
        case permissionDenied
        case failed(String)
    }

    /// Up to `limit` bytes of the regular file at `path`; anything else is refused unread.
    static func read(_ path: String, limit: Int) -> ReadOutcome {
        switch kind(of: path) {
        case .regular: break
        case .missing: return .missing
        case let .unreadable(reason): return .failed(reason)
        case let other: return .notRegular(other)
        }
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard descriptor >= 0 else {
            let code = errno
            if code == EACCES || code == EPERM { return .permissionDenied }
            return code == ENOENT ? .missing : .failed(String(cString: strerror(code)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return .failed(String(cString: strerror(errno))) }
        let found = Kind(mode: status.st_mode)
        guard found == .regular else { return .notRegular(found) }
        var bytes = [UInt8](repeating: 0, count: limit)
        var count = 0
        while count < limit {
            let done = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress.map { $0 + count }, limit - count)
            }
            if done < 0 {
                if errno == EINTR { continue }
                return .failed(String(cString: strerror(errno)))
            }
            if done == 0 { break }
            count += done
        }
        bytes.removeSubrange(count...)
        return .bytes(bytes, size: UInt64(max(0, status.st_size)))
    }
}
