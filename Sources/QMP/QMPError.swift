import SystemIO

/// Why a QMP exchange failed. Messages say what was waited for; the VMM layer adds which VM
/// (its socket path) and which step.
public enum QMPError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The socket at `path` could not be connected to (errno: ENOENT when no QEMU listens
    /// there, ECONNREFUSED when one did and is gone).
    case connect(path: String, errno: Int32)
    /// QEMU answered the command with `{"error": {"class": ..., "desc": ...}}`.
    case command(class: String, description: String)
    /// Nothing came within the time-out; `what` names what was waited for.
    case timedOut(String)
    /// The connection ended (QEMU quit, crashed or closed it) before the answer came.
    case closed
    /// QEMU sent something QMP does not allow (invalid JSON, a reply before the greeting...).
    case protocolError(String)
    /// Sending or receiving failed for another reason.
    case io(SystemIOError)
    /// The waiting task was cancelled.
    case cancelled

    public var description: String {
        switch self {
        case let .connect(path, errno): return "cannot connect to the QMP socket \(path): \(Errno(errno))"
        case let .command(errorClass, description): return "QEMU refused the command: \(description) (\(errorClass))"
        case let .timedOut(what): return "timed out waiting for \(what)"
        case .closed: return "the QMP connection was closed"
        case let .protocolError(reason): return "QMP protocol error: \(reason)"
        case let .io(error): return error.description
        case .cancelled: return "cancelled"
        }
    }
}
