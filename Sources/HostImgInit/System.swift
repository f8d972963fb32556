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

    /// Run a program to completion (posix_spawn + waitpid); throws unless it exits 0.
    public static func run(_ path: String, _ arguments: [String]) throws {
        var cArguments: [UnsafeMutablePointer<CChar>?] = ([path.split(separator: "/").last.map(String.init) ?? path] + arguments).map { strdup($0) }
        cArguments.append(nil)
        defer { for argument in cArguments { free(argument) } }
        var environment: [UnsafeMutablePointer<CChar>?] = [strdup("PATH=/usr/sbin:/usr/bin"), nil]
        defer { for variable in environment { free(variable) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, nil, nil, &cArguments, &environment)
        guard spawned == 0 else { throw fail("spawn", path, spawned) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw fail("wait for", path) }
        }
        let exited = status & 0x7F == 0
        guard exited, (status >> 8) & 0xFF == 0 else {
            let how = exited ? "exited with status \((status >> 8) & 0xFF)" : "was killed by signal \(status & 0x7F)"
            throw InitError.state("\(path) \(arguments.joined(separator: " ")) \(how)")
        }
    }
}
