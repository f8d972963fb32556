#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import Manifests

/// The image stage's file plumbing: atomic writes, copying a file into a region of the disk
/// image, reading a region back. Every failure names the path and the operation.
public struct FileIOError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var operation: String
    public var code: Int32

    public init(_ path: String, _ operation: String, code: Int32 = errno) {
        self.path = path
        self.operation = operation
        self.code = code
    }

    public var description: String { "\(path): cannot \(operation): \(String(cString: strerror(code)))" }
}

/// A file descriptor closed on deinit.
final class FileHandleFD {
    let fd: Int32
    let path: String

    init(path: String, flags: Int32, mode: mode_t = 0o644) throws {
        let fd = open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileIOError(path, "open") }
        self.fd = fd
        self.path = path
    }

    deinit { close(fd) }

    func size() throws -> UInt64 {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileIOError(path, "stat") }
        return UInt64(info.st_size)
    }

    func truncate(to size: UInt64) throws {
        guard ftruncate(fd, off_t(size)) == 0 else { throw FileIOError(path, "set the size to \(size) bytes") }
    }

    func sync() throws {
        guard fsync(fd) == 0 else { throw FileIOError(path, "fsync") }
    }

    func write(_ bytes: [UInt8], at offset: UInt64) throws {
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                pwrite(fd, buffer.baseAddress.map { $0 + done }, bytes.count - done, off_t(offset) + off_t(done))
            }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { throw FileIOError(path, "write \(bytes.count) bytes at offset \(offset)") }
            done += written
        }
    }

    func read(count: Int, at offset: UInt64) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { buffer in
                pread(fd, buffer.baseAddress.map { $0 + done }, count - done, off_t(offset) + off_t(done))
            }
            if got < 0, errno == EINTR { continue }
            guard got >= 0 else { throw FileIOError(path, "read \(count) bytes at offset \(offset)") }
            if got == 0 { throw FileIOError(path, "read \(count) bytes at offset \(offset): the file ends first", code: EIO) }
            done += got
        }
        return bytes
    }

    /// Copies `length` bytes of `source` (from its offset 0) to `offset` of this file
    /// through an 8 MiB buffer. (`copy_file_range` is not in Glibc's Swift module.)
    func copy(from source: FileHandleFD, length: UInt64, to offset: UInt64) throws {
        try copyByReading(from: source, sourceOffset: 0, length: length, to: offset)
    }

    private func copyByReading(from source: FileHandleFD, sourceOffset: UInt64, length: UInt64, to offset: UInt64) throws {
        var done: UInt64 = 0
        while done < length {
            let chunk = Int(min(length - done, 8 << 20))
            let bytes = try source.read(count: chunk, at: sourceOffset + done)
            try write(bytes, at: offset + done)
            done += UInt64(chunk)
        }
    }
}

/// Writes that matter land whole or not at all: a temporary file beside the target, fsync,
/// rename, fsync of the directory.
/// A file's size in bytes for a report or a payload length; 0 when it cannot be read.
func fileSize(_ path: String) -> UInt64 {
    (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) ?? 0
}

public enum AtomicFile {
    public static func temporaryPath(for path: String) -> String {
        let directory = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        return (directory.isEmpty ? "." : directory) + "/.\(name).tmp-\(getpid())"
    }

    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        let temporary = temporaryPath(for: path)
        do {
            let file = try FileHandleFD(path: temporary, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: mode)
            try file.write(bytes, at: 0)
            guard fchmod(file.fd, mode) == 0 else { throw FileIOError(temporary, "set mode") }
            try file.sync()
        } catch {
            unlink(temporary)
            throw error
        }
        try commit(temporary, to: path)
    }

    /// Renames a finished temporary file into place and syncs the directory.
    public static func commit(_ temporary: String, to path: String) throws {
        guard rename(temporary, path) == 0 else {
            let error = FileIOError(path, "rename \(temporary) into place")
            unlink(temporary)
            throw error
        }
        let directory = (path as NSString).deletingLastPathComponent
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }
}
