import Glibc
import QMP
import SystemIO

extension VMM {
    /// How a save waits and what it does when something fails.
    public struct SaveOptions: Sendable, Hashable {
        public var timing = Timing()
        /// How long QEMU may take to exit after `quit`.
        public var exitTimeout: Duration = .seconds(10)
        /// SIGKILL a QEMU that has not exited within `exitTimeout` (its state is saved by
        /// then); otherwise that is an error and the process is left alone.
        public var killIfNoExit = false
        /// After a failure between `stop` and `quit`: cancel the migration and `cont`, so the
        /// VM runs on as before (the switch is then abandoned). Off, the VM stays paused.
        public var resumeOnFailure = true

        public init() {}
    }

    /// When each part of a save happened (CLOCK_MONOTONIC of this boot) and what it wrote.
    public struct SaveReport: Sendable, Hashable {
        /// The QEMU process that was saved (the QMP socket's peer).
        public var pid: Int32
        /// `stop` sent: the VM's blackout starts no later than this.
        public var stopRequestedAt: SystemIO.MonotonicInstant
        /// QEMU confirmed the VM paused.
        public var stoppedAt: SystemIO.MonotonicInstant
        /// The state file complete and fsync'd.
        public var savedAt: SystemIO.MonotonicInstant
        /// The QEMU process gone.
        public var exitedAt: SystemIO.MonotonicInstant
        /// The state file's size: device state only, guest RAM is not in it.
        public var stateBytes: UInt64
        /// QEMU had to be killed after `quit` (`SaveOptions.killIfNoExit`).
        public var killed: Bool
    }

    /// Saves a VM's device state to `statePath` and ends its QEMU, the preserving half of
    /// a switch (AGENT.md, "VM preservation"): `stop` → paused → `x-ignore-shared` →
    /// `migrate` to `exec:cat` → `completed` and the file whole → fsync → `quit` → the
    /// process (the socket's peer, held by a pidfd from the start) exits.
    ///
    /// Guest RAM that is a shared file mapping is not written: it stays where it is. Closes
    /// `client` when done. Every wait is bounded by `options`; a failure names the VM and
    /// the step, and by default resumes the VM first (`SaveOptions.resumeOnFailure`).
    public static func save(_ client: QMP.Client, to statePath: String,
                            options: SaveOptions = SaveOptions()) async throws(VMMError) -> SaveReport {
        let vm = client.path
        let uri: String
        do {
            uri = try saveURI(statePath)
        } catch {
            throw VMMError(vm: vm, step: "save the device state to \(statePath)", reason: error)
        }
        let process: QEMUProcess
        do {
            process = try QEMUProcess.attach(pid: client.peerProcess.pid)
        } catch {
            throw VMMError(vm: vm, step: "hold the QEMU process \(client.peerProcess.pid)", reason: .system(error))
        }
        try removeStale(statePath, vm: vm)
        let stopRequestedAt = SystemIO.MonotonicInstant.now()
        let (stoppedAt, savedAt, bytes): (SystemIO.MonotonicInstant, SystemIO.MonotonicInstant, UInt64)
        do {
            stoppedAt = try await stop(client, timing: options.timing)
            try await enableIgnoreShared(client, timing: options.timing)
            let step = "save the device state to \(statePath)"
            try await run(client, step) { () async throws(QMPError) in
                try await client.execute("migrate", arguments: ["uri": .string(uri)], timeout: options.timing.command)
            }
            try await waitForMigration(client, step: step, timing: options.timing)
            bytes = try await waitForStateFile(statePath, client: client, timing: options.timing)
            savedAt = .now()
        } catch {
            throw await abandon(client, error, resume: options.resumeOnFailure, timing: options.timing)
        }
        let killed = try await quit(client, process: process, options: options)
        return SaveReport(
            pid: process.pid, stopRequestedAt: stopRequestedAt, stoppedAt: stoppedAt, savedAt: savedAt,
            exitedAt: .now(), stateBytes: bytes, killed: killed)
    }

    /// `stop`, then the run state until it is no longer "running": `stop` pauses the vCPUs
    /// before it answers, and a VM paused already stays so (and sends no STOP event).
    private static func stop(_ client: QMP.Client, timing: Timing) async throws(VMMError) -> SystemIO.MonotonicInstant {
        try await run(client, "stop the VM") { () async throws(QMPError) in
            try await client.execute("stop", timeout: timing.command)
        }
        try await waitForStatus(client, step: "see the VM paused", timing: timing) { $0 != "running" }
        return .now()
    }

    /// A state file (and a `.partial`) from an earlier attempt goes first: the file's
    /// appearance is what says this save is done.
    private static func removeStale(_ statePath: String, vm: String) throws(VMMError) {
        for path in [statePath, partialPath(statePath)] {
            do {
                try SystemIO.remove(path)
            } catch where error.code == ENOENT {
                continue
            } catch {
                throw VMMError(vm: vm, step: "remove the earlier state file", reason: .system(error))
            }
        }
    }

    /// Waits until the shell renamed the complete file into place, then fsyncs it and its
    /// directory (on the state partition that makes it durable; in the preserved region it
    /// is cheap) and returns its size.
    private static func waitForStateFile(_ statePath: String, client: QMP.Client,
                                         timing: Timing) async throws(VMMError) -> UInt64 {
        let step = "see the state file \(statePath) complete"
        let deadline = SystemIO.MonotonicInstant.now().advanced(by: timing.runState)
        while true {
            do {
                _ = try SystemIO.status(of: statePath)
                break
            } catch where error.code == ENOENT {
                if SystemIO.MonotonicInstant.now() >= deadline {
                    throw VMMError(vm: client.path, step: step, reason: .timedOut("cat and mv to finish writing it"))
                }
                try await pause(timing.pollInterval, client: client, step: step)
            } catch {
                throw VMMError(vm: client.path, step: step, reason: .system(error))
            }
        }
        do {
            let file = try SystemIO.File(path: statePath, flags: O_RDONLY)
            try file.sync()
            let size = try file.size()
            try SystemIO.syncDirectory(SystemIO.directory(of: statePath))
            return size
        } catch {
            throw VMMError(vm: client.path, step: "make the state file \(statePath) durable", reason: .system(error))
        }
    }

    /// `quit`, then the process's exit. The reply may be lost to QEMU closing the socket
    /// first; either is fine. Returns whether QEMU had to be killed.
    private static func quit(_ client: QMP.Client, process: QEMUProcess, options: SaveOptions) async throws(VMMError) -> Bool {
        do {
            try await client.execute("quit", timeout: options.timing.command)
        } catch QMPError.closed {
            // QEMU went before its reply reached us.
        } catch {
            throw VMMError(vm: client.path, step: "quit QEMU after the save", reason: .qmp(error))
        }
        client.close()
        if await process.waitForExit(timeout: options.exitTimeout) { return false }
        let step = "see QEMU (pid \(process.pid)) exit after quit"
        guard options.killIfNoExit else {
            throw VMMError(vm: client.path, step: step, reason: .timedOut("the exit within \(options.exitTimeout); the state is saved"))
        }
        do {
            try process.kill()
        } catch {
            throw VMMError(vm: client.path, step: step, reason: .system(error))
        }
        guard await process.waitForExit(timeout: .seconds(5)) else {
            throw VMMError(vm: client.path, step: step, reason: .timedOut("the exit even after SIGKILL"))
        }
        return true
    }

    /// After a failed step between `stop` and `quit`: cancel the migration and resume the
    /// VM, best effort, when asked; the error says whether the VM runs again.
    private static func abandon(_ client: QMP.Client, _ error: VMMError, resume: Bool, timing: Timing) async -> VMMError {
        guard resume else { return error }
        _ = try? await client.execute("migrate_cancel", timeout: timing.command)
        _ = try? await client.execute("cont", timeout: timing.command)
        let running = try? await waitForStatus(client, step: "resume the VM", timing: timing) { $0 == "running" }
        var result = error
        result.resumed = running != nil
        return result
    }
}
