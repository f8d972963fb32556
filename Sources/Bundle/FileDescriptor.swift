import Foundation

/// The system calls the bundle code makes, each behind one small function that turns a
/// failure into `BundleError.io` naming the operation and the path.
///
/// Reads and writes are positional (`pread`/`pwrite`): the writer patches nothing in place and
/// the reader seeks freely between tar headers, so no shared file offset has to be tracked.
struct FileDescriptor: ~Copyable {
    let raw: Int32
    let path: String

    private init(raw: Int32, path: String) {
        self.raw = raw
        self.path = path
    }

    /// Open an existing file read-only.
    static func openForReading(_ path: String) throws -> FileDescriptor {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw BundleError.io(operation: "open", path: path, errno: errno) }
        return FileDescriptor(raw: fd, path: path)
    }

    /// Create a new file that must not exist yet (`O_EXCL`), mode 0644.
    static func create(_ path: String) throws -> FileDescriptor {
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BundleError.io(operation: "create", path: path, errno: errno) }
        return FileDescriptor(raw: fd, path: path)
    }

    /// Open a directory so it can be fsynced after a rename inside it.
    static func openDirectory(_ path: String) throws -> FileDescriptor {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw BundleError.io(operation: "open the directory", path: path, errno: errno) }
        return FileDescriptor(raw: fd, path: path)
    }

    /// The file's size from `fstat`.
    func size() throws -> UInt64 {
        var info = stat()
        guard fstat(raw, &info) == 0 else { throw BundleError.io(operation: "stat", path: path, errno: errno) }
        return UInt64(max(0, info.st_size))
    }

    /// Read up to `buffer.count` bytes at `offset`, retrying short reads; returns fewer only
    /// at the end of the file.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
        var done = 0
        while done < buffer.count {
            let count = pread(raw, buffer.baseAddress.map { $0 + done }, buffer.count - done, off_t(offset) + off_t(done))
            if count < 0 {
                if errno == EINTR { continue }
                throw BundleError.io(operation: "read", path: path, errno: errno)
            }
            if count == 0 { break }
            done += count
        }
        return done
    }

    /// Read exactly `count` bytes at `offset`, or nil when the file ends first.
    func read(count: Int, at offset: UInt64) throws -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = try bytes.withUnsafeMutableBytes { try read(into: $0, at: offset) }
        return got == count ? bytes : nil
    }

    /// Write all of `bytes` at `offset`.
    func write(_ bytes: UnsafeRawBufferPointer, at offset: UInt64) throws {
        var done = 0
        while done < bytes.count {
            let count = pwrite(raw, bytes.baseAddress.map { $0 + done }, bytes.count - done, off_t(offset) + off_t(done))
            if count < 0 {
                if errno == EINTR { continue }
                throw BundleError.io(operation: "write", path: path, errno: errno)
            }
            done += count
        }
    }

    func sync() throws {
        guard fsync(raw) == 0 else { throw BundleError.io(operation: "fsync", path: path, errno: errno) }
    }

    deinit { close(raw) }
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
        guard Foundation.rename(from, to) == 0 else {
            throw BundleError.io(operation: "rename \(from) to", path: to, errno: errno)
        }
    }

    /// Remove a file, ignoring a file that is already gone (cleanup after a failure).
    static func removeIfPresent(_ path: String) {
        _ = unlink(path)
    }

    /// The directory part of `path` ("." for a bare name), where temporary files go so the
    /// final rename stays inside one file system.
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = String(path[..<slash])
        return directory.isEmpty ? "/" : directory
    }

    static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// A fresh name next to `path` for a temporary file.
    static func temporaryName(near path: String, purpose: String) -> String {
        let suffix = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        return "\(directory(of: path))/.\(baseName(of: path)).\(purpose)-\(getpid())-\(suffix)"
    }
}
