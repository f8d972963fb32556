import CShim
import Glibc

/// Every raw system call the init makes, each in one small function that throws
/// `InitError.system` naming the operation and the path.
public enum System {
    public static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text) + " (errno \(code))"
    }

    static func fail(_ operation: String, _ path: String, _ code: Int32 = errno) -> InitError {
        .system(operation: operation, path: path, errno: code)
    }

    /// A file descriptor closed on deinit.
    public final class File {
        public let descriptor: Int32
        public let path: String

        public init(path: String, flags: Int32 = O_RDONLY) throws {
            let fd = open(path, flags | O_CLOEXEC)
            guard fd >= 0 else { throw System.fail("open", path) }
            descriptor = fd
            self.path = path
        }

        /// Exactly `count` bytes at `offset`, or an error (a short read is an error).
        public func read(at offset: Int, count: Int) throws -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: count)
            var done = 0
            while done < count {
                let result = bytes.withUnsafeMutableBytes { buffer in
                    pread(descriptor, buffer.baseAddress.map { $0 + done }, count - done, off_t(offset + done))
                }
                if result < 0, errno == EINTR { continue }
                guard result > 0 else {
                    throw System.fail("read \(count) bytes at offset \(offset) of", path, result == 0 ? EIO : errno)
                }
                done += result
            }
            return bytes
        }

        deinit { close(descriptor) }
    }

    /// A whole small file (sysfs attributes, /proc/cmdline, the module list).
    public static func readFile(_ path: String, limit: Int = 1 << 24) throws -> [UInt8] {
        let file = try File(path: path)
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while out.count < limit {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(file.descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw fail("read", path) }
            if count == 0 { break }
            out.append(contentsOf: buffer[0..<count])
        }
        return out
    }

    public static func readText(_ path: String) throws -> String {
        String(decoding: try readFile(path), as: UTF8.self)
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// Names in a directory, without "." and "..", sorted.
    public static func list(_ path: String) -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    public static func mount(_ source: String, _ target: String, type: String?, flags: UInt, data: String? = nil) throws {
        guard Glibc.mount(source, target, type, flags, data) == 0 else {
            throw fail("mount \(type ?? "") \(source) on", target)
        }
    }

    public static func moveMount(_ source: String, _ target: String) throws {
        guard Glibc.mount(source, target, nil, UInt(MS_MOVE), nil) == 0 else {
            throw fail("move mount \(source) to", target)
        }
    }

    /// Create a block device node unless devtmpfs already did.
    public static func ensureBlockNode(_ path: String, major: UInt32, minor: UInt32) throws {
        if exists(path) { return }
        guard mknod(path, S_IFBLK | 0o600, dev_t(hostimg_makedev(major, minor))) == 0 || errno == EEXIST else {
            throw fail("mknod \(major):\(minor)", path)
        }
    }

    public static func makeDirectory(_ path: String) throws {
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else { throw fail("mkdir", path) }
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

    /// finit_module(2); EEXIST is reported as `false` (already loaded), not an error.
    public static func loadModule(_ module: ModuleList.Module) throws -> Bool {
        let file = try File(path: module.path)
        let flags = module.isCompressed ? HOSTIMG_MODULE_INIT_COMPRESSED_FILE : 0
        let result = hostimg_finit_module(file.descriptor, module.parameters, flags)
        if result == -EEXIST { return false }
        guard result == 0 else { throw fail("load module", module.path, -result) }
        return true
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
