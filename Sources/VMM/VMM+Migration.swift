import QMP
import SystemIO

/// What save and restore share: the `x-ignore-shared` capability, the `exec:` URIs over a
/// state file, waiting for a migration and for a run state.
///
/// QEMU 7.2 has no `file:` URI (8.2+), so the state goes through `/bin/sh -c` and `cat`
/// (AGENT.md, "Facts found"). QEMU reports a save `completed` once its last byte is in the
/// pipe, before `cat` has written it and exited, so the save writes `PATH.partial` and the
/// same shell renames it to PATH after `cat` succeeded: PATH appears whole or not at all,
/// and its appearance says the state is on disk.
extension VMM {
    /// Time-outs and pacing shared by save and restore.
    public struct Timing: Sendable, Hashable {
        /// Each QMP command's reply.
        public var command: Duration = .seconds(5)
        /// The whole migration (saving or loading the device state; small with
        /// `x-ignore-shared`, whatever the guest's RAM).
        public var migration: Duration = .seconds(60)
        /// A run-state change (STOP, RESUME, the end of an incoming migration).
        public var runState: Duration = .seconds(10)
        /// How often `query-migrate` and `query-status` are asked while waiting.
        public var pollInterval: Duration = .milliseconds(2)

        public init() {}
    }

    /// The state file's name while `cat` writes it.
    static func partialPath(_ statePath: String) -> String { statePath + ".partial" }

    /// `exec:` URI that saves into `statePath` (through `PATH.partial`, renamed when done).
    static func saveURI(_ statePath: String) throws(VMMError.Reason) -> String {
        let partial = try shellQuoted(partialPath(statePath))
        return "exec:cat > \(partial) && mv -f \(partial) \(try shellQuoted(statePath))"
    }

    /// `exec:` URI that loads from `statePath`.
    static func loadURI(_ statePath: String) throws(VMMError.Reason) -> String {
        "exec:cat \(try shellQuoted(statePath))"
    }

    /// `path` as one /bin/sh word: in single quotes, each `'` written `'\''`. Refused: a
    /// relative path (the shell's directory is QEMU's) and control characters (a newline
    /// would end the command in a log or a journal line).
    static func shellQuoted(_ path: String) throws(VMMError.Reason) -> String {
        guard path.hasPrefix("/") else { throw .refused("the state file \(path) must be an absolute path") }
        guard !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw .refused("the state file's path holds a control character")
        }
        return "'" + path.replacing("'", with: "'\\''") + "'"
    }

    /// `migrate-set-capabilities` with `x-ignore-shared`: RAM blocks mapped shared from a
    /// file (the guest's RAM under the preserved region) are neither sent nor loaded.
    static func enableIgnoreShared(_ client: QMP.Client, timing: Timing) async throws(VMMError) {
        let arguments: JSONValue = ["capabilities": [["capability": "x-ignore-shared", "state": true]]]
        try await run(client, "enable the x-ignore-shared migration capability") { () async throws(QMPError) in
            try await client.execute("migrate-set-capabilities", arguments: arguments, timeout: timing.command)
        }
    }

    /// Asks `query-migrate` until the migration `completed`; `failed` or `cancelled` throw
    /// with QEMU's `error-desc`; past `timing.migration` it is a time-out.
    @discardableResult
    static func waitForMigration(_ client: QMP.Client, step: String, timing: Timing) async throws(VMMError) -> JSONValue {
        let deadline = SystemIO.MonotonicInstant.now().advanced(by: timing.migration)
        while true {
            let info = try await run(client, step) { () async throws(QMPError) in
                try await client.execute("query-migrate", timeout: timing.command)
            }
            let status = info["status"]?.string ?? "(none)"
            switch status {
            case "completed":
                return info
            case "failed", "cancelled", "cancelling":
                let detail = info["error-desc"]?.string ?? "QEMU gave no reason"
                throw VMMError(vm: client.path, step: step, reason: .migration(status: status, detail: detail))
            default:
                if SystemIO.MonotonicInstant.now() >= deadline {
                    throw VMMError(vm: client.path, step: step, reason: .timedOut("the migration to complete within \(timing.migration) (status \(status))"))
                }
                try await pause(timing.pollInterval, client: client, step: step)
            }
        }
    }

    /// Asks `query-status` until `accept` takes the status ("paused", "running"...), at most
    /// `timing.runState`; returns it.
    @discardableResult
    static func waitForStatus(_ client: QMP.Client, step: String, timing: Timing,
                              _ accept: (String) -> Bool) async throws(VMMError) -> String {
        let deadline = SystemIO.MonotonicInstant.now().advanced(by: timing.runState)
        while true {
            let reply = try await run(client, step) { () async throws(QMPError) in
                try await client.execute("query-status", timeout: timing.command)
            }
            let status = reply["status"]?.string ?? "(none)"
            if accept(status) { return status }
            if SystemIO.MonotonicInstant.now() >= deadline {
                throw VMMError(vm: client.path, step: step, reason: .timedOut("the run state to change from \(status)"))
            }
            try await pause(timing.pollInterval, client: client, step: step)
        }
    }

    /// One QMP call of `step`; its failure names the VM and the step.
    @discardableResult
    static func run<T>(_ client: QMP.Client, _ step: String,
                       _ body: () async throws(QMPError) -> T) async throws(VMMError) -> T {
        do {
            return try await body()
        } catch {
            throw VMMError(vm: client.path, step: step, reason: .qmp(error))
        }
    }

    /// Task.sleep, whose cancellation ends the step.
    static func pause(_ duration: Duration, client: QMP.Client, step: String) async throws(VMMError) {
        do {
            try await Task.sleep(for: duration)
        } catch {
            throw VMMError(vm: client.path, step: step, reason: .qmp(.cancelled))
        }
    }
}
