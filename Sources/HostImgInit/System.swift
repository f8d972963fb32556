import Glibc
import SystemIO

/// The init's system calls: files, mounts, device nodes and modules through SystemIO (the
/// package's one syscall funnel), each failure thrown as `InitError.system` naming the
/// operation and the path; process and clock calls that SystemIO has no business with stay here.
public enum System {
    public static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text) + " (errno \(code))"
    }

    static func fail(_ operation: String, _ path: String, _ code: Int32 = errno) -> InitError {
        .system(operation: operation, path: path, errno: code)
    }

    /// `body`, with a SystemIO failure reported as the init reports every failed call.
    static func mapped<T>(_ body: () throws(SystemIOError) -> T) throws(InitError) -> T {
        do {
            return try body()
        } catch {
            throw fail(error.operation, error.path, error.code)
        }
    }

    /// An open file, closed on deinit.
    public final class File {
        let file: SystemIO.File
        public var descriptor: Int32 { file.descriptor }
        public var path: String { file.path }

        public init(path: String, flags: Int32 = O_RDONLY) throws {
            file = try System.mapped { () throws(SystemIOError) in try SystemIO.File(path: path, flags: flags) }
        }

        /// Exactly `count` bytes at `offset`, or an error (a short read is an error).
        public func read(at offset: Int, count: Int) throws -> [UInt8] {
            do {
                return try file.read(count: count, at: UInt64(max(offset, 0)))
            } catch {
                throw System.fail("read \(count) bytes at offset \(offset) of", path, error.code)
            }
        }
    }

    /// A whole small file (sysfs attributes, /proc/cmdline, the module list).
    public static func readFile(_ path: String, limit: Int = 1 << 24) throws -> [UInt8] {
        try mapped { () throws(SystemIOError) in try SystemIO.readFile(path, limit: limit) }
    }

    public static func readText(_ path: String) throws -> String {
        String(decoding: try readFile(path), as: UTF8.self)
    }

    public static func exists(_ path: String) -> Bool { SystemIO.exists(path) }

    public static func isDirectory(_ path: String) -> Bool { SystemIO.isDirectory(path) }

    /// Names in a directory, without "." and "..", sorted; none when it cannot be read.
    public static func list(_ path: String) -> [String] {
        (try? SystemIO.list(path)) ?? []
    }

    public static func mount(_ source: String, _ target: String, type: String?, flags: UInt, data: String? = nil) throws {
        try mapped { () throws(SystemIOError) in try SystemIO.mount(source, on: target, type: type, flags: flags, data: data) }
    }

    public static func moveMount(_ source: String, _ target: String) throws {
        try mapped { () throws(SystemIOError) in try SystemIO.moveMount(source, to: target) }
    }

    /// Create a block device node unless devtmpfs already did.
    public static func ensureBlockNode(_ path: String, major: UInt32, minor: UInt32) throws {
        if exists(path) { return }
        try mapped { () throws(SystemIOError) in
            try SystemIO.makeBlockNode(path, DeviceNumber(major: major, minor: minor))
        }
    }

    public static func makeDirectory(_ path: String) throws {
        try mapped { () throws(SystemIOError) in try SystemIO.makeDirectory(path) }
    }

    public static func sleep(milliseconds: Int) {
        var request = timespec(tv_sec: milliseconds / 1000, tv_nsec: (milliseconds % 1000) * 1_000_000)
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }

    /// Monotonic time in milliseconds.
    public static func now() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return time.tv_sec * 1000 + time.tv_nsec / 1_000_000
    }

    /// finit_module(2) of one module: loaded, already loaded (EEXIST), or refused because the
    /// hardware it drives is absent (`ModuleList.hardwareAbsent`); any other error is thrown.
    public static func loadModule(_ module: ModuleList.Module) throws -> ModuleList.Outcome {
        let file = try File(path: module.path)
        do throws(SystemIOError) {
            let loaded = try SystemIO.loadModule(file.file, parameters: module.parameters, compressed: module.isCompressed)
            return loaded ? .loaded : .alreadyLoaded
        } catch where ModuleList.hardwareAbsent.contains(error.code) {
            return .refused(ModuleList.Refusal(path: module.path, errno: error.code))
        } catch {
            throw fail(error.operation, error.path, error.code)
        }
    }

    /// Runs `program`, a path inside `root`, chrooted into `root` to completion; throws unless
    /// it exits 0. For the verified root's own tools before the switch (mke2fs for the state
    /// partition): the tool, its libraries and its configuration are the root's, and /dev,
    /// /proc and /sys are bound into the root while it runs (so it finds the device and the
    /// mount table), then taken out again before the switch moves the real ones there.
    public static func runInRoot(_ root: String, _ program: String, _ arguments: [String]) throws {
        var bound: [String] = []
        do {
            for source in ["/dev", "/proc", "/sys"] {
                try mount(source, root + source, type: nil, flags: UInt(MS_BIND))
                bound.append(root + source)
            }
            try spawnChrooted(root, program, arguments)
        } catch {
            for target in bound.reversed() { _ = try? unmount(target) }
            throw error
        }
        for target in bound.reversed() { try unmount(target) }
    }

    static func unmount(_ target: String) throws {
        try mapped { () throws(SystemIOError) in try SystemIO.unmount(target, detach: true) }
    }

    /// fork, chroot, execve, waitpid: posix_spawn cannot chroot. The child makes only system
    /// calls (it may be forked from a threaded test process); when it cannot execute the
    /// program it sends the failed step and errno back through a close-on-exec pipe.
    private static func spawnChrooted(_ root: String, _ program: String, _ arguments: [String]) throws {
        // Every C string the child uses is made here: the child must not allocate.
        let strings = [root, "/", program, "PATH=/usr/sbin:/usr/bin", program.split(separator: "/").last.map(String.init) ?? program]
            + arguments
        let c: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        defer { for string in c { free(string) } }
        var argv = Array(c[4...]) + [nil]
        var envp = [c[3], nil]
        var report: [Int32] = [-1, -1]
        guard pipe(&report) == 0 else { throw fail("create a pipe to run", root + program) }
        defer { close(report[0]) }
        for fd in report { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        guard let cRoot = c[0], let cSlash = c[1], let cProgram = c[2], !c.contains(nil) else {
            close(report[1])
            throw fail("copy the arguments to run", root + program, ENOMEM)
        }
        let reportWrite = report[1]
        let pid = argv.withUnsafeMutableBufferPointer { argv in
            envp.withUnsafeMutableBufferPointer { envp in
                // Both arrays hold at least their nil terminator, so neither base is nil.
                guard let argv = argv.baseAddress, let envp = envp.baseAddress else { return pid_t(-1) }
                let pid = fork()
                if pid == 0 { execChrooted(root: cRoot, slash: cSlash, program: cProgram, argv, envp, report: reportWrite) }
                return pid
            }
        }
        guard pid >= 0 else {
            close(report[1])
            throw fail("fork to run", root + program)
        }
        close(report[1])
        var failed: (step: Int32, errno: Int32) = (0, 0)
        let got = withUnsafeMutableBytes(of: &failed) { Glibc.read(report[0], $0.baseAddress, $0.count) }
        let status = try wait(for: pid, root + program)
        if got == MemoryLayout.size(ofValue: failed) {
            let step = ["chroot into", "chdir / in", "execute \(program) in"][Int(min(max(failed.step, 1), 3)) - 1]
            throw fail(step, root, failed.errno)
        }
        let exited = status & 0x7F == 0
        guard exited, (status >> 8) & 0xFF == 0 else {
            let how = exited ? "exited with status \((status >> 8) & 0xFF)" : "was killed by signal \(status & 0x7F)"
            throw InitError.state("\(([program] + arguments).joined(separator: " ")) (in \(root)) \(how)")
        }
    }

    /// The forked child: chroot, chdir, execve; on failure the step (1, 2, 3) and errno go to
    /// `report` and the child exits 127. System calls only.
    private static func execChrooted(
        root: UnsafeMutablePointer<CChar>, slash: UnsafeMutablePointer<CChar>, program: UnsafeMutablePointer<CChar>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
        _ envp: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>, report: Int32
    ) -> Never {
        var failed: (step: Int32, errno: Int32) = (0, 0)
        if chroot(root) != 0 {
            failed = (1, errno)
        } else if chdir(slash) != 0 {
            failed = (2, errno)
        } else {
            execve(program, argv, envp)
            failed = (3, errno)
        }
        _ = withUnsafeBytes(of: &failed) { Glibc.write(report, $0.baseAddress, $0.count) }
        _exit(127)
    }

    /// waitpid until `pid` ends; its wait status.
    private static func wait(for pid: pid_t, _ what: String) throws -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw fail("wait for", what) }
        }
        return status
    }
}
