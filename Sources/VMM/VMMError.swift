import QMP
import SystemIO

/// A save or restore step that failed, naming the VM (its QMP socket path), the step and
/// why: "VM /run/hostimg/vms/web.qmp: cannot save the device state to /run/hostimg/preserved/web.state:
/// the migration failed: Unable to write to command: Broken pipe (the VM was resumed and runs
/// as before)".
public struct VMMError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Why a step failed.
    public enum Reason: Error, Hashable, Sendable, CustomStringConvertible {
        /// The QMP exchange failed (QEMU refused, timed out, closed the socket...).
        case qmp(QMPError)
        /// A file or process call failed.
        case system(SystemIOError)
        /// QEMU's migration ended in `status` ("failed", "cancelled") with its reason.
        case migration(status: String, detail: String)
        /// The request cannot be carried out as given (a path /bin/sh cannot take, an argv
        /// without a program...).
        case refused(String)
        /// Something did not happen in time (a file, a process exit).
        case timedOut(String)
        /// The QEMU process ended when it should not have.
        case exited(String)

        public var description: String {
            switch self {
            case .qmp(let error): return error.description
            case .system(let error): return error.description
            case let .migration(status, detail): return "the migration \(status): \(detail)"
            case .refused(let reason): return reason
            case .timedOut(let what): return "timed out waiting for \(what)"
            case .exited(let how): return how
            }
        }
    }

    /// The VM's QMP socket path.
    public var vm: String
    /// What was being done ("stop the VM", "load the device state from PATH").
    public var step: String
    public var reason: Reason
    /// A failed save resumed the VM again (`SaveOptions.resumeOnFailure`): it runs as before.
    public var resumed: Bool

    public init(vm: String, step: String, reason: Reason, resumed: Bool = false) {
        self.vm = vm
        self.step = step
        self.reason = reason
        self.resumed = resumed
    }

    public var description: String {
        "VM \(vm): cannot \(step): \(reason)" + (resumed ? " (the VM was resumed and runs as before)" : "")
    }
}
