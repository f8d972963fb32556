import Glibc

/// Operations on paths rather than open files, each one call through the funnel.
extension SystemIO {
    /// One call through the funnel; its errno becomes a `SystemIOError` naming `operation`.
    @inline(__always)
    static func perform<T>(
        _ path: String, _ operation: @autoclosure () -> String, _ body: (any SystemCalls) throws(Errno) -> T
    ) throws(SystemIOError) -> T {
        do {
            return try body(calls)
        } catch {
            throw SystemIOError(path, operation(), error)
        }
    }

    /// stat(2), following symbolic links.
    public static func status(of path: String) throws(SystemIOError) -> FileStatus {
        try perform(path, "stat") { calls throws(Errno) in try calls.stat(path) }
    }

    /// Whether `path` names anything (a dangling symbolic link does not count).
    public static func exists(_ path: String) -> Bool {
        (try? status(of: path)) != nil
    }

    public static func isDirectory(_ path: String) -> Bool {
        (try? status(of: path))?.isDirectory ?? false
    }

    public static func rename(_ source: String, to destination: String) throws(SystemIOError) {
        try perform(destination, "rename \(source) to") { calls throws(Errno) in try calls.rename(source, destination) }
    }

    public static func remove(_ path: String) throws(SystemIOError) {
        try perform(path, "remove") { calls throws(Errno) in try calls.unlink(path) }
    }

    /// The names in directory `path`, without "." and "..", sorted.
    public static func list(_ path: String) throws(SystemIOError) -> [String] {
        try perform(path, "list") { calls throws(Errno) in try calls.listDirectory(path) }.sorted()
    }

    /// Removes a file if it is there: cleanup after a failure, where a missing file is fine.
    public static func removeIfPresent(_ path: String) {
        try? calls.unlink(path)
    }

    /// mkdir(2); a directory that already exists is fine.
    public static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws(SystemIOError) {
        do {
            try calls.mkdir(path, mode)
        } catch let error where error.code == EEXIST {
            return
        } catch {
            throw SystemIOError(path, "mkdir", error)
        }
    }

    /// mknod(2) of a block device node; a node that already exists (devtmpfs made it) is fine.
    public static func makeBlockNode(_ path: String, _ device: DeviceNumber, mode: mode_t = 0o600) throws(SystemIOError) {
        do {
            try calls.mknod(path, S_IFBLK | mode, device)
        } catch let error where error.code == EEXIST {
            return
        } catch {
            throw SystemIOError(path, "mknod \(device.major):\(device.minor)", error)
        }
    }

    /// mount(2) of `source` (a device or a file system name) on `target`.
    public static func mount(
        _ source: String, on target: String, type: String?, flags: UInt, data: String? = nil
    ) throws(SystemIOError) {
        try perform(target, "mount \(type ?? "") \(source) on") { calls throws(Errno) in
            try calls.mount(source: source, target: target, type: type, flags: flags, data: data)
        }
    }

    /// Moves the mount at `source` to `target` (MS_MOVE).
    public static func moveMount(_ source: String, to target: String) throws(SystemIOError) {
        try perform(target, "move mount \(source) to") { calls throws(Errno) in
            try calls.mount(source: source, target: target, type: nil, flags: UInt(MS_MOVE), data: nil)
        }
    }

    /// umount2(2) of the mount on `target`; `detach` (MNT_DETACH) takes it out of the tree at
    /// once even while something still uses it.
    public static func unmount(_ target: String, detach: Bool = false) throws(SystemIOError) {
        try perform(target, detach ? "unmount (detach)" : "unmount") { calls throws(Errno) in
            try calls.unmount(target, flags: detach ? Int32(MNT_DETACH) : 0)
        }
    }

    /// statfs(2)'s `f_type` of the file system holding `path`.
    public static func fileSystemType(of path: String) throws(SystemIOError) -> UInt64 {
        try perform(path, "statfs") { calls throws(Errno) in try calls.filesystemType(path) }
    }

    /// A whole small file read front to back (sysfs attributes, /proc/cmdline), at most
    /// `limit` bytes.
    public static func readFile(_ path: String, limit: Int = 1 << 24) throws(SystemIOError) -> [UInt8] {
        try File(path: path, flags: O_RDONLY).readToEnd(limit: limit)
    }

    /// Writes `value` to a kernel attribute (sysfs, procfs) in one write(2) at offset 0, as
    /// `echo value > path` would; the kernel's answer to the write is the error, if any.
    public static func writeAttribute(_ path: String, _ value: String) throws(SystemIOError) {
        try File(path: path, flags: O_WRONLY).write(Array(value.utf8), at: 0)
    }
}

extension SystemIO {
    /// CLOCK_REALTIME in seconds (with sub-second precision): the time a journal records.
    public static func wallClock() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

extension SystemIO {
    /// statvfs(3)'s bytes available to an unprivileged writer on the file system holding
    /// `path`, or its nearest existing parent (a directory not created yet); nil when none can
    /// be asked.
    public static func freeBytes(nearest path: String) -> UInt64? {
        var candidate = path
        while true {
            var info = statvfs()
            if statvfs(candidate, &info) == 0 { return UInt64(info.f_bavail) * UInt64(info.f_frsize) }
            guard candidate != "/", !candidate.isEmpty else { return nil }
            candidate = directory(of: candidate)
        }
    }
}
