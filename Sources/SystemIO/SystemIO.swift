import Glibc

/// The package's one door to the kernel for files, block devices and the few host-side
/// syscalls (modules, device-mapper, kexec, reboot).
///
/// Two layers:
///
/// ```
///  SystemIO.File, SystemIO.replace/commit, SystemIO.kexecFileLoad, ...   policy: loops,
///        │                                                               EINTR, short I/O,
///        ▼                                                               errors naming path
///  SystemIO.calls: any SystemCalls      one raw call per method, returning a value or an
///        │                              `Errno`; `LinuxSystemCalls` unless a test injects
///        ▼                              another (`SystemIO.$calls.withValue(fake) { ... }`)
///  Glibc, CSyscalls (hostimg_*)
/// ```
///
/// Nothing here imports Foundation: the initrd's /init links the Swift runtime statically
/// without it. Every failure is a `SystemIOError` naming the operation, the path and errno.
public enum SystemIO {
    /// The system calls everything in this module makes. A task-local, so a test replaces it
    /// for its own task (and the tasks it starts) while tests running in parallel keep the
    /// real one. A `File` keeps the instance current when it was opened, so threads working
    /// on one open file (DMVerity's hashing) use the same funnel as the task that opened it.
    @TaskLocal public static var calls: any SystemCalls = LinuxSystemCalls()
}

/// errno of a failed system call, as the funnel reports it.
public struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: Int32

    public init(_ code: Int32) {
        self.code = code
    }

    /// The `errno` the last failed libc call left.
    public static var current: Errno { Errno(errno) }

    /// `strerror(code)`, e.g. "No space left on device".
    public var description: String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }
}

/// A failed operation on a path: what was tried, on which file, and the kernel's errno.
public struct SystemIOError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What was being done, as a verb phrase ("open", "write 512 bytes at offset 1024").
    public var operation: String
    public var path: String
    /// The errno the kernel returned (EIO for a file that ended before an exact read).
    public var code: Int32
    /// Why, when `strerror(code)` would not say it (a FIFO given where a file is read).
    public var detail: String?

    public init(_ path: String, _ operation: String, code: Int32, detail: String? = nil) {
        self.path = path
        self.operation = operation
        self.code = code
        self.detail = detail
    }

    public init(_ path: String, _ operation: String, _ errno: Errno) {
        self.init(path, operation, code: errno.code)
    }

    /// `detail`, else `strerror(code)`.
    public var reason: String { detail ?? Errno(code).description }

    /// "PATH: cannot OPERATION: REASON", the form the image stage's messages always had.
    public var description: String { "\(path): cannot \(operation): \(reason)" }
}
