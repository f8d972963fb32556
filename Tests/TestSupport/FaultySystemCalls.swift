import Glibc
import Synchronization
import SystemIO

/// A syscall funnel for failure and crash drills: every call goes to `base` (the real one)
/// until a trigger fires, and the calls that write can be made short or interrupted.
///
/// ```swift
/// let fake = FaultySystemCalls(trigger: .pwrite(3), effect: .crash)
/// try SystemIO.$calls.withValue(fake) { try GPT.update(path: image, changes: changes) }
/// ```
///
/// Files opened inside `withValue` keep the fake for their lifetime (`SystemIO.File.calls`).
/// A dry run with `trigger: .never` counts the calls (`pwrites`, `fsyncs`, `bytesWritten`) so
/// a test can then fail each one in turn; `recording: true` also keeps every write and sync
/// in `events`, from which a test can rebuild the file as any crash would have left it.
public final class FaultySystemCalls: SystemCallsForwarding, Sendable {
    /// When the fault happens.
    public enum Trigger: Hashable, Sendable {
        /// Never: count and record only.
        case never
        /// The n-th pwrite (from 1).
        case pwrite(Int)
        /// The n-th fsync (from 1).
        case fsync(Int)
        /// When n bytes have been written: the pwrite that crosses n writes only the bytes
        /// before it (a short write, as a torn sector would be), the next one faults.
        case bytesWritten(UInt64)
    }

    /// What the fault does.
    public enum Effect: Hashable, Sendable {
        /// The triggering call fails with this errno and changes nothing; later calls work
        /// (a transient error).
        case fail(Int32)
        /// The machine stops: the triggering call and every later call that would change a
        /// file (pwrite, fsync, ftruncate, fchmod, rename, unlink, mkdir, mknod, BLKRRPART)
        /// fail with EIO and change nothing. Reads still work, so a test can look.
        case crash
    }

    /// A call that reached `base`, in order.
    public enum Event: Hashable, Sendable {
        case write(fd: Int32, offset: Int64, bytes: [UInt8])
        case sync(fd: Int32)
    }

    struct State {
        var pwrites = 0
        var fsyncs = 0
        var transfers = 0
        var bytesWritten: UInt64 = 0
        var tripped = false
        var events: [Event] = []
    }

    public let base: any SystemCalls
    public let trigger: Trigger
    public let effect: Effect
    /// At most this many bytes per pread/pwrite, to exercise the loops' short transfers.
    public let maximumTransfer: Int?
    /// Every n-th pread/pwrite fails with EINTR first, to exercise the loops' retries.
    public let interruptEvery: Int?
    public let recording: Bool
    let state = Mutex(State())

    public init(
        base: any SystemCalls = LinuxSystemCalls(), trigger: Trigger = .never, effect: Effect = .crash,
        maximumTransfer: Int? = nil, interruptEvery: Int? = nil, recording: Bool = false
    ) {
        self.base = base
        self.trigger = trigger
        self.effect = effect
        self.maximumTransfer = maximumTransfer
        self.interruptEvery = interruptEvery
        self.recording = recording
    }

    /// pwrite calls seen (including the one that faulted).
    public var pwrites: Int { state.withLock { $0.pwrites } }
    /// fsync calls seen.
    public var fsyncs: Int { state.withLock { $0.fsyncs } }
    /// Bytes that reached the file.
    public var bytesWritten: UInt64 { state.withLock { $0.bytesWritten } }
    /// Whether the trigger fired.
    public var tripped: Bool { state.withLock { $0.tripped } }
    /// Writes and syncs that reached the file, when `recording`.
    public var events: [Event] { state.withLock { $0.events } }

    /// EIO for a call that would change a file after a crash.
    private func checkAlive() throws(Errno) {
        if effect == .crash, state.withLock({ $0.tripped }) { throw Errno(EIO) }
    }

    /// The errno the fault gives, marking the trigger as fired.
    private func fault() -> Errno {
        state.withLock { $0.tripped = true }
        if case .fail(let code) = effect { return Errno(code) }
        return Errno(EIO)
    }

    /// Whether this pread/pwrite is one `interruptEvery` interrupts.
    private func interrupted() -> Bool {
        guard let every = interruptEvery, every > 0 else { return false }
        return state.withLock { state in
            state.transfers += 1
            return state.transfers % every == 0
        }
    }

    public func pread(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        if interrupted() { throw Errno(EINTR) }
        let count = min(buffer.count, maximumTransfer ?? buffer.count)
        return try base.pread(fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<count]), at: offset)
    }

    public func pwrite(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        try checkAlive()
        if interrupted() { throw Errno(EINTR) }
        var count = min(buffer.count, maximumTransfer ?? buffer.count)
        let (number, written) = state.withLock { state in
            state.pwrites += 1
            return (state.pwrites, state.bytesWritten)
        }
        switch trigger {
        case .pwrite(let n) where n == number:
            throw fault()
        case .bytesWritten(let limit) where written >= limit:
            throw fault()
        case .bytesWritten(let limit) where written + UInt64(count) > limit:
            count = Int(limit - written)
        default:
            break
        }
        let done = try base.pwrite(fd, UnsafeRawBufferPointer(rebasing: buffer[..<count]), at: offset)
        state.withLock { state in
            state.bytesWritten += UInt64(done)
            if recording { state.events.append(.write(fd: fd, offset: offset, bytes: Array(buffer[..<done]))) }
        }
        return done
    }

    public func fsync(_ fd: Int32) throws(Errno) {
        try checkAlive()
        let number = state.withLock { state in
            state.fsyncs += 1
            return state.fsyncs
        }
        if case .fsync(let n) = trigger, n == number { throw fault() }
        try base.fsync(fd)
        if recording { state.withLock { $0.events.append(.sync(fd: fd)) } }
    }

    public func ftruncate(_ fd: Int32, _ length: Int64) throws(Errno) {
        try checkAlive()
        try base.ftruncate(fd, length)
    }

    public func fchmod(_ fd: Int32, _ mode: mode_t) throws(Errno) {
        try checkAlive()
        try base.fchmod(fd, mode)
    }

    public func rename(_ source: String, _ destination: String) throws(Errno) {
        try checkAlive()
        try base.rename(source, destination)
    }

    public func unlink(_ path: String) throws(Errno) {
        try checkAlive()
        try base.unlink(path)
    }

    public func mkdir(_ path: String, _ mode: mode_t) throws(Errno) {
        try checkAlive()
        try base.mkdir(path, mode)
    }

    public func mknod(_ path: String, _ mode: mode_t, _ device: DeviceNumber) throws(Errno) {
        try checkAlive()
        try base.mknod(path, mode, device)
    }

    public func rereadPartitionTable(_ fd: Int32) throws(Errno) {
        try checkAlive()
        try base.rereadPartitionTable(fd)
    }
}
