import Glibc

/// Writes that matter land whole or not at all: the new contents go to a temporary file in
/// the target's directory (so the rename stays inside one file system), are fsynced, renamed
/// over the target, and the directory is fsynced so the rename itself survives a crash.
extension SystemIO {
    /// The directory part of `path`: "." for a bare name, "/" for a file in the root.
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = String(path[..<slash])
        return directory.isEmpty ? "/" : directory
    }

    /// The last component of `path`.
    public static func baseName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// `DIR/.NAME.tmp-PID` beside `path`: hidden, and unique per process.
    public static func temporaryPath(for path: String) -> String {
        let directory = directory(of: path)
        return (directory == "/" ? "" : directory) + "/.\(baseName(of: path)).tmp-\(getpid())"
    }

    /// fsync(2) of a directory: makes the renames and creations inside it durable.
    public static func syncDirectory(_ path: String) throws(SystemIOError) {
        try File.directory(path).sync()
    }

    /// Renames a finished (fsynced) temporary file over `path`, fsyncs it under its new name
    /// and fsyncs the directory. A failed rename removes the temporary file, so a failure
    /// leaves no debris.
    public static func commit(_ temporary: String, to path: String) throws(SystemIOError) {
        let calls = SystemIO.calls
        do {
            try calls.rename(temporary, path)
        } catch {
            try? calls.unlink(temporary)
            throw SystemIOError(path, "rename \(temporary) into place", error)
        }
        try settle(path)
    }

    /// rename(2) of `source` to `destination`, then `settle`: the rename and everything it
    /// changed on disk are written before this returns.
    public static func renameDurably(_ source: String, to destination: String) throws(SystemIOError) {
        try rename(source, to: destination)
        try settle(destination)
    }

    /// fsync(2) of a file just renamed to `path`, then of its directory. On FAT the rename
    /// writes a new directory entry stamped with the current time and the kernel rewrites it
    /// from the file's own times about 30 s later (inode writeback); a directory fsync alone
    /// leaves that write pending, so the volume's bytes would still change after "done".
    static func settle(_ path: String) throws(SystemIOError) {
        try File(path: path, flags: O_RDONLY).sync()
        try syncDirectory(directory(of: path))
    }

    /// Replaces `path` with what `body` writes into a new temporary file (`temporary`, by
    /// default `temporaryPath(for:)`): `body`, fsync, `commit`. `permissions` are set with
    /// fchmod so the umask does not change them; nil keeps what open(2) gave (0644 less the
    /// umask). A failure before the rename removes the temporary file and leaves `path` alone.
    public static func replace(
        _ path: String, temporary: String? = nil, permissions: mode_t? = 0o644, _ body: (File) throws -> Void
    ) throws {
        let temporary = temporary ?? temporaryPath(for: path)
        do {
            let file = try File(path: temporary, flags: O_RDWR | O_CREAT | O_TRUNC, mode: permissions ?? 0o644)
            try body(file)
            if let permissions { try file.setMode(permissions) }
            try file.sync()
        } catch {
            try? SystemIO.calls.unlink(temporary)
            throw error
        }
        try commit(temporary, to: path)
    }

    /// Replaces `path` with `bytes`, mode `permissions` exactly.
    public static func replace(_ path: String, with bytes: [UInt8], permissions: mode_t = 0o644) throws(SystemIOError) {
        do {
            try replace(path, permissions: permissions) { file in try file.write(bytes, at: 0) }
        } catch let error as SystemIOError {
            throw error
        } catch {
            // `body` above throws only SystemIOError.
            throw SystemIOError(path, "replace (\(error))", code: EIO)
        }
    }
}
