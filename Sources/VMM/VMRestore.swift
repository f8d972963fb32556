import Glibc
import QMP
import SystemIO

extension VMM {
    /// What a restore starts: the VM's original command line and where its state is.
    public struct RestoreRequest: Sendable, Hashable {
        /// The saved QEMU's argv, argv[0] included (/proc/PID/cmdline, split at NULs).
        public var arguments: [String]
        /// The QMP socket the arguments make QEMU listen on (`-qmp unix:PATH,server=on,...`).
        public var qmpSocket: String
        /// The state file a save wrote.
        public var statePath: String
        /// The program to run; nil resolves argv[0] (a path, or a name looked up in
        /// `VMM.executableDirectories`).
        public var executable: String?
        /// The new QEMU's environment.
        public var environment: [String] = SystemIO.programEnvironment
        /// Where the new QEMU's stdout and stderr go (appended); nil: /dev/null.
        public var logPath: String?

        public init(arguments: [String], qmpSocket: String, statePath: String, executable: String? = nil, logPath: String? = nil) {
            self.arguments = arguments
            self.qmpSocket = qmpSocket
            self.statePath = statePath
            self.executable = executable
            self.logPath = logPath
        }
    }

    /// How a restore waits.
    public struct RestoreOptions: Sendable, Hashable {
        public var timing = Timing()
        /// From the start of the process until its QMP socket greets.
        public var startTimeout: Duration = .seconds(30)
        /// Kill the new QEMU when the restore fails before the VM runs: it holds the socket
        /// and the RAM file, and a paused half-restored VM helps nobody. Off, it is left.
        public var killOnFailure = true

        public init() {}
    }

    /// When each part of a restore happened (CLOCK_MONOTONIC of this boot).
    public struct RestoreReport: Sendable, Hashable {
        /// The new QEMU process.
        public var pid: Int32
        public var spawnedAt: SystemIO.MonotonicInstant
        /// Its QMP socket greeted and was negotiated.
        public var connectedAt: SystemIO.MonotonicInstant
        /// The device state loaded (the incoming migration `completed`).
        public var loadedAt: SystemIO.MonotonicInstant
        /// The VM runs (RESUME after `cont`): the blackout ends here.
        public var resumedAt: SystemIO.MonotonicInstant
        /// The arguments QEMU was started with (the original's, adjusted by
        /// `VMM.incomingArguments`).
        public var arguments: [String]
    }

    /// A VM running again, with the connection that resumed it (the caller closes it) and
    /// the process.
    public struct RestoredVM: Sendable {
        public var client: QMP.Client
        public var process: QEMUProcess
        public var report: RestoreReport
    }

    /// Starts the VM again from its saved state, the other half of a switch: the same argv
    /// plus `-incoming defer` in a session of its own → its QMP socket → `x-ignore-shared`
    /// → `migrate-incoming` from `exec:cat` → `completed` → paused → `cont` → RESUME.
    ///
    /// Guest RAM is not loaded: the argv's shared `memory-backend-file` maps it where the
    /// save left it. Every wait is bounded by `options`; a failure names the VM (its socket)
    /// and the step (a QEMU that exits under a step: how it ended and where its log is), and
    /// kills the new QEMU unless `options.killOnFailure` is off.
    public static func restore(_ request: RestoreRequest, options: RestoreOptions = RestoreOptions()) async throws(VMMError) -> RestoredVM {
        let vm = request.qmpSocket
        do {
            _ = try SystemIO.status(of: request.statePath)
        } catch {
            throw VMMError(vm: vm, step: "find the state file", reason: .system(error))
        }
        let prepared: (arguments: [String], executable: String, uri: String)
        do throws(VMMError.Reason) {
            let arguments = try incomingArguments(request.arguments)
            var executable = request.executable ?? ""
            if request.executable == nil { executable = try resolveExecutable(arguments[0]) }
            prepared = (arguments, executable, try loadURI(request.statePath))
        } catch {
            throw VMMError(vm: vm, step: "prepare the restore", reason: error)
        }
        let process: QEMUProcess
        do {
            process = try QEMUProcess.spawn(
                executable: prepared.executable, arguments: prepared.arguments, environment: request.environment,
                logPath: request.logPath)
        } catch {
            throw VMMError(vm: vm, step: "start QEMU", reason: .system(error))
        }
        let spawnedAt = SystemIO.MonotonicInstant.now()
        do {
            let client = try await connect(vm, process: process, logPath: request.logPath, options: options)
            let connectedAt = SystemIO.MonotonicInstant.now()
            let loadedAt = try await load(client, uri: prepared.uri, statePath: request.statePath, timing: options.timing)
            let resumedAt = try await resume(client, timing: options.timing)
            let report = RestoreReport(
                pid: process.pid, spawnedAt: spawnedAt, connectedAt: connectedAt, loadedAt: loadedAt, resumedAt: resumedAt,
                arguments: prepared.arguments)
            return RestoredVM(client: client, process: process, report: report)
        } catch {
            let failure = await explain(error, process: process, logPath: request.logPath)
            if options.killOnFailure {
                try? process.kill()
                _ = await process.waitForExit(timeout: .seconds(5))
            }
            throw failure
        }
    }

    /// A connection that closed under a step usually means QEMU exited (a device state it
    /// could not load ends the process with "load of migration failed"): say so, with how it
    /// ended and where its output is.
    private static func explain(_ error: VMMError, process: QEMUProcess, logPath: String?) async -> VMMError {
        guard case .qmp(.closed) = error.reason, await process.waitForExit(timeout: .seconds(2)) else { return error }
        let log = logPath.map { "; its output is in \($0)" } ?? ""
        var explained = error
        explained.reason = .exited("QEMU \(process.endDescription)\(log)")
        return explained
    }

    /// Connects to the new QEMU's socket as soon as it listens; a QEMU that exits first (a
    /// bad argument, a RAM file it cannot map) is reported with how it ended, not waited
    /// for until the time-out.
    private static func connect(_ vm: String, process: QEMUProcess, logPath: String?,
                                options: RestoreOptions) async throws(VMMError) -> QMP.Client {
        let step = "connect to the restored QEMU (pid \(process.pid))"
        let deadline = SystemIO.MonotonicInstant.now().advanced(by: options.startTimeout)
        // How long one attempt waits before the process is looked at again.
        let slice = Duration.milliseconds(250)
        while true {
            if process.hasExited {
                let log = logPath.map { "; its output is in \($0)" } ?? ""
                throw VMMError(vm: vm, step: step, reason: .exited("QEMU \(process.endDescription) before its QMP socket greeted\(log)"))
            }
            let remaining = deadline.duration(since: .now())
            do throws(QMPError) {
                let client = try await QMP.Client.connect(path: vm, timeout: min(remaining, slice), waitForListener: true)
                guard client.peerProcess.pid == process.pid else {
                    client.close()
                    throw .protocolError("the socket's QEMU is pid \(client.peerProcess.pid), not the one started")
                }
                return client
            } catch {
                // Not listening yet: look at the process again, then retry.
                if case .timedOut = error, remaining > slice { continue }
                throw VMMError(vm: vm, step: step, reason: .qmp(error))
            }
        }
    }

    /// `x-ignore-shared`, `migrate-incoming`, `completed`, then the run state leaving
    /// "inmigrate" (QEMU sets it in a bottom half after the migration is `completed`; a
    /// `cont` before that would only arm autostart, and the VM would stay paused).
    private static func load(_ client: QMP.Client, uri: String, statePath: String, timing: Timing) async throws(VMMError) -> SystemIO.MonotonicInstant {
        try await enableIgnoreShared(client, timing: timing)
        let step = "load the device state from \(statePath)"
        try await run(client, step) { () async throws(QMPError) in
            try await client.execute("migrate-incoming", arguments: ["uri": .string(uri)], timeout: timing.command)
        }
        try await waitForMigration(client, step: step, timing: timing)
        try await waitForStatus(client, step: "see the loaded VM settle", timing: timing) { $0 != "inmigrate" }
        return .now()
    }

    /// `cont` and its RESUME event; a VM that already runs (saved while running) is left so.
    private static func resume(_ client: QMP.Client, timing: Timing) async throws(VMMError) -> SystemIO.MonotonicInstant {
        let status = try await waitForStatus(client, step: "read the run state", timing: timing) { _ in true }
        if status == "running" { return .now() }
        _ = client.takeEvents()
        try await run(client, "resume the VM (cont)") { () async throws(QMPError) in
            try await client.execute("cont", timeout: timing.command)
        }
        try await run(client, "see the VM resume") { () async throws(QMPError) in
            try await client.waitForEvent(["RESUME"], timeout: timing.runState)
        }
        return .now()
    }
}
