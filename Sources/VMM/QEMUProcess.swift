import Glibc
import Synchronization
import SystemIO

extension VMM {
    /// A QEMU process held by a pidfd (pidfd_open(2)), so waiting for its exit and killing
    /// it can never reach another process that reused its pid. It may be a child of this
    /// process (a restored VM) or not (a VM found through its QMP socket's peer): a child is
    /// reaped once it exited; another's exit is seen through the pidfd alone.
    public final class QEMUProcess: Sendable {
        public let pid: Int32
        private let pidfd: Int32
        private let calls: any SystemCalls
        private let reaped = Mutex<SystemIO.ProcessResult.Termination?>(nil)

        private init(pid: Int32, pidfd: Int32, calls: any SystemCalls) {
            self.pid = pid
            self.pidfd = pidfd
            self.calls = calls
        }

        deinit { try? calls.close(pidfd) }

        /// Holds the running process `pid` (ESRCH when there is none).
        public static func attach(pid: Int32) throws(SystemIOError) -> QEMUProcess {
            let calls = SystemIO.calls
            do {
                return QEMUProcess(pid: pid, pidfd: try calls.pidfdOpen(pid), calls: calls)
            } catch {
                throw SystemIOError("process \(pid)", "open a pidfd for", error)
            }
        }

        /// Starts `executable` with `arguments` (argv[0] included) in a session of its own,
        /// so it outlives the caller: stdin /dev/null, stdout and stderr appended to
        /// `logPath` (created 0640) or /dev/null.
        public static func spawn(executable: String, arguments: [String], environment: [String],
                                 logPath: String?) throws(SystemIOError) -> QEMUProcess {
            let calls = SystemIO.calls
            var log: Int32?
            if let logPath {
                do {
                    log = try calls.open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
                } catch {
                    throw SystemIOError(logPath, "open the VM's log", error)
                }
            }
            defer { if let log { try? calls.close(log) } }
            let pid: Int32
            do {
                pid = try calls.spawnDetached(executable, arguments: arguments, environment: environment, output: log)
            } catch {
                throw SystemIOError(executable, "start", error)
            }
            return try attach(pid: pid)
        }

        /// Whether the process has exited (reaping it when it is a child of this process).
        public var hasExited: Bool {
            let events = (try? calls.poll(pidfd, events: Int16(POLLIN), timeout: .zero)) ?? 0
            guard events != 0 else { return false }
            reap()
            return true
        }

        /// How a child of this process ended, once it did; nil for another's process.
        public var termination: SystemIO.ProcessResult.Termination? { reaped.withLock { $0 } }

        /// "exited with status 1", "was killed by signal 9", or "exited" for another's process.
        public var endDescription: String {
            switch termination {
            case .exited(let code): return "exited with status \(code)"
            case .signalled(let signal): return "was killed by signal \(signal)"
            case nil: return "exited"
            }
        }

        /// Waits until the process exits, at most `timeout`: true when it did. Looks every
        /// `interval` (the pool's threads are not held in between).
        public func waitForExit(timeout: Duration, interval: Duration = .milliseconds(5)) async -> Bool {
            let deadline = SystemIO.MonotonicInstant.now().advanced(by: timeout)
            while !hasExited {
                if SystemIO.MonotonicInstant.now() >= deadline || Task.isCancelled { return false }
                try? await Task.sleep(for: interval)
            }
            return true
        }

        /// SIGKILL through the pidfd.
        public func kill() throws(SystemIOError) {
            do {
                try calls.pidfdSendSignal(pidfd, SIGKILL)
            } catch where error.code == ESRCH {
                return
            } catch {
                throw SystemIOError("process \(pid)", "kill", error)
            }
        }

        /// waitpid(WNOHANG) once the pidfd said it exited: ECHILD means another's process.
        private func reap() {
            guard reaped.withLock({ $0 == nil }), let status = try? calls.waitNonBlocking(pid) else { return }
            let termination: SystemIO.ProcessResult.Termination =
                status & 0x7F == 0 ? .exited((status >> 8) & 0xFF) : .signalled(status & 0x7F)
            reaped.withLock { $0 = termination }
        }
    }
}
