import Glibc
import SystemIO

/// The bundle code's files, through SystemIO (which owns the read and write loops); each
/// failure becomes `BundleError.io` naming the operation and the path.
///
/// Reads and writes are positional (`pread`/`pwrite`): the writer patches nothing in place and
/// the reader seeks freely between tar headers, so no shared file offset has to be tracked.
struct FileDescriptor {
    let file: SystemIO.File
    var path: String { file.path }

    private static func open(_ path: String, _ flags: Int32, _ operation: String) throws -> FileDescriptor {
        FileDescriptor(file: try mapped(operation, path) { () throws(SystemIOError) in try SystemIO.File(path: path, flags: flags) })
    }

    /// Open an existing regular file read-only; a FIFO (which would block), socket, device
    /// or directory is refused before a byte is read.
    static func openForReading(_ path: String) throws -> FileDescriptor {
        do {
            return FileDescriptor(file: try SystemIO.File.openForReading(path, kind: .regularFile))
        } catch {
            guard let detail = error.detail else { throw BundleError.io(operation: "open", path: path, errno: error.code) }
            throw BundleError.unreadable(path: path, reason: detail)
        }
    }

    /// Create a new file that must not exist yet (`O_EXCL`), mode 0644.
    static func create(_ path: String) throws -> FileDescriptor {
        try open(path, O_RDWR | O_CREAT | O_EXCL, "create")
    }

    /// Open a directory so it can be fsynced after a rename inside it.
    static func openDirectory(_ path: String) throws -> FileDescriptor {
        try open(path, O_RDONLY | O_DIRECTORY, "open the directory")
    }

    /// The file's size from `fstat`.
    func size() throws -> UInt64 {
        try Self.mapped("stat", path) { () throws(SystemIOError) in try file.status().size }
    }

    /// Read up to `buffer.count` bytes at `offset`; returns fewer only at the end of the file.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
        try Self.mapped("read", path) { () throws(SystemIOError) in try file.read(into: buffer, at: offset) }
    }

    /// Read exactly `count` bytes at `offset`, or nil when the file ends first.
    func read(count: Int, at offset: UInt64) throws -> [UInt8]? {
        let bytes = try Self.mapped("read", path) { () throws(SystemIOError) in try file.read(upTo: count, at: offset) }
        return bytes.count == count ? bytes : nil
    }

    /// Write all of `bytes` at `offset`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
        try Self.mapped("write", path) { () throws(SystemIOError) in try file.write(bytes, at: offset) }
    }

    func sync() throws {
        try Self.mapped("fsync", path) { () throws(SystemIOError) in try file.sync() }
    }

    /// `body`, with a SystemIO failure reported as `BundleError.io(operation, path, errno)`.
    static func mapped<T>(_ operation: String, _ path: String, _ body: () throws(SystemIOError) -> T) throws(BundleError) -> T {
        do {
            return try body()
        } catch {
            throw .io(operation: operation, path: path, errno: error.code)
        }
    }
}

/// Sequential output into a file descriptor, tracking the position so tar members can be
/// appended one after another.
struct FileOutput: ~Copyable {
    let file: FileDescriptor
    private(set) var position: UInt64 = 0

    init(_ file: consuming FileDescriptor) {
        self.file = file
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) throws {
        try file.write(bytes, at: position)
        position += UInt64(bytes.count)
    }

    mutating func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try append($0) }
    }
}

enum FileSystem {
    static func rename(_ from: String, _ to: String) throws {
        try FileDescriptor.mapped("rename \(from) to", to) { () throws(SystemIOError) in try SystemIO.rename(from, to: to) }
    }

    /// Remove a file, ignoring a file that is already gone (cleanup after a failure).
    static func removeIfPresent(_ path: String) {
        SystemIO.removeIfPresent(path)
    }

    /// The directory part of `path` ("." for a bare name), where temporary files go so the
    /// final rename stays inside one file system.
    static func directory(of path: String) -> String {
        SystemIO.directory(of: path)
    }

    /// A fresh name next to `path` for a temporary file.
    static func temporaryName(near path: String, purpose: String) -> String {
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        return "\(directory(of: path))/.\(SystemIO.baseName(of: path)).\(purpose)-\(getpid())-\(suffix)"
    }
}
