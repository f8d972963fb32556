import Glibc
import Synchronization
import SystemIO

/// A syscall funnel that fails, with an errno, the writes (pwrite) to files whose path
/// contains a given text, or the renames onto a path that ends with it; everything else goes
/// to `base`.
/// "The bundle cannot be written" as a test can say it, without caring how many other writes
/// come first:
///
/// ```swift
/// let fake = PathFaultSystemCalls(matching: ".bundle", failing: .writes, errno: ENOSPC)
/// try await SystemIO.$calls.withValue(fake) { try await build() }
/// ```
public final class PathFaultSystemCalls: SystemCallsForwarding, Sendable {
    public enum Operation: Sendable { case writes, renames }

    public let base: any SystemCalls
    public let text: String
    public let operation: Operation
    public let code: Int32
    /// Fail only the first `limit` matching calls (a transient fault); nil fails them all.
    public let limit: Int?
    private let state = Mutex((paths: [Int32: String](), faults: 0))

    public init(base: any SystemCalls = LinuxSystemCalls(), matching text: String, failing operation: Operation,
                errno code: Int32 = ENOSPC, limit: Int? = nil) {
        self.base = base
        self.limit = limit
        self.text = text
        self.operation = operation
        self.code = code
    }

    /// How many calls were failed.
    public var faults: Int { state.withLock { $0.faults } }

    /// Whether a matching call fails (counting it when it does).
    private func faulting() -> Bool {
        state.withLock { state in
            if let limit, state.faults >= limit { return false }
            state.faults += 1
            return true
        }
    }

    public func open(_ path: String, _ flags: Int32, _ mode: mode_t) throws(Errno) -> Int32 {
        let fd = try base.open(path, flags, mode)
        state.withLock { $0.paths[fd] = path }
        return fd
    }

    public func close(_ fd: Int32) throws(Errno) {
        state.withLock { _ = $0.paths.removeValue(forKey: fd) }
        try base.close(fd)
    }

    public func pwrite(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        if operation == .writes, state.withLock({ $0.paths[fd] })?.contains(text) == true, faulting() { throw Errno(code) }
        return try base.pwrite(fd, buffer, at: offset)
    }

    public func rename(_ source: String, _ destination: String) throws(Errno) {
        if operation == .renames, destination.hasSuffix(text), faulting() { throw Errno(code) }
        try base.rename(source, destination)
    }
}
