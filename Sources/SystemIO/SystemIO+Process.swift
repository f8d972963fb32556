import Glibc

extension SystemIO {
    /// How a program ended and what it printed (stdout and stderr together, its last
    /// `outputLimit` bytes).
    public struct ProcessResult: Sendable, Equatable {
        public enum Termination: Sendable, Equatable {
            case exited(Int32)
            case signalled(Int32)
        }

        public var termination: Termination
        public var output: [UInt8]
        /// True when the program printed more than was kept.
        public var truncated: Bool

        public var succeeded: Bool { termination == .exited(0) }

        /// "exited with status 3" / "was killed by signal 9".
        public var describe: String {
            switch termination {
            case let .exited(code): return "exited with status \(code)"
            case let .signalled(signal): return "was killed by signal \(signal)"
            }
        }

        public var text: String { String(decoding: output, as: UTF8.self) }
    }

    /// The environment programs run with: a fixed PATH and the C locale, so their output
    /// does not depend on who started the caller.
    public static let programEnvironment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]

    /// Runs `path` with `arguments` (argv[1...]) to completion: stdin is /dev/null, stdout
    /// and stderr are captured through a pipe. Throws only when the program cannot be
    /// started or waited for; how it ended is the result's `termination`.
    public static func run(_ path: String, _ arguments: [String] = [], environment: [String] = programEnvironment,
                           outputLimit: Int = 64 << 10) throws(SystemIOError) -> ProcessResult {
        let ends: (read: Int32, write: Int32)
        do { ends = try calls.pipe() } catch { throw SystemIOError(path, "create a pipe to run", error) }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let pid: Int32
        do {
            pid = try spawnWaitingOutBusy(path, arguments: [name] + arguments, environment: environment, output: ends.write)
        } catch {
            try? calls.close(ends.read)
            try? calls.close(ends.write)
            throw SystemIOError(path, "run", error)
        }
        try? calls.close(ends.write)
        var output: [UInt8] = []
        var truncated = false
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = readChunk(ends.read, into: &buffer)
            if count < 0 { continue }
            if count == 0 { break }
            output += buffer[0..<count]
            if output.count > outputLimit {
                output.removeFirst(output.count - outputLimit)
                truncated = true
            }
        }
        try? calls.close(ends.read)
        return ProcessResult(termination: try reap(pid, path: path), output: output, truncated: truncated)
    }

    /// posix_spawn, retried while the program is "Text file busy" (ETXTBSY): a file just
    /// written is busy for as long as any process still holds a descriptor open for writing
    /// on it, and a process another thread forks in that moment holds a copy until its exec,
    /// even with O_CLOEXEC. That lasts microseconds, so a few short waits (about 1 s in all)
    /// outlast it; a program that stays busy fails with ETXTBSY as before.
    static func spawnWaitingOutBusy(_ path: String, arguments: [String], environment: [String],
                                    output: Int32) throws(Errno) -> Int32 {
        var wait = 2
        while true {
            do {
                return try calls.spawn(path, arguments: arguments, environment: environment, output: output)
            } catch where error.code == ETXTBSY && wait <= 512 {
                var request = timespec(tv_sec: 0, tv_nsec: wait * 1_000_000)
                var remaining = timespec()
                while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
                wait *= 2
            }
        }
    }

    /// One read(2): the byte count, 0 at the end (or on an error: the output stops there),
    /// -1 when interrupted.
    private static func readChunk(_ fd: Int32, into buffer: inout [UInt8]) -> Int {
        let result = buffer.withUnsafeMutableBytes { raw in Result { () throws(Errno) in try calls.read(fd, into: raw) } }
        switch result {
        case let .success(count): return count
        case let .failure(error): return error.code == EINTR ? -1 : 0
        }
    }

    private static func reap(_ pid: Int32, path: String) throws(SystemIOError) -> ProcessResult.Termination {
        while true {
            do {
                let status = try calls.wait(pid)
                if status & 0x7F == 0 { return .exited((status >> 8) & 0xFF) }
                return .signalled(status & 0x7F)
            } catch where error.code == EINTR {
                continue
            } catch {
                throw SystemIOError(path, "wait for", error)
            }
        }
    }
}
