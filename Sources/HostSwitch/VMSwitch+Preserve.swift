import Agent
import QMP
import SystemIO
import VMM

/// The save half, between the stage phase (the new kernel loaded, so a failure there costs the
/// VMs nothing) and the kexec: every VM stopped and saved in parallel, each event in the
/// journal, then the sentinel. A VM that cannot be saved was resumed by `VMM.save`; the ones
/// already saved are started again here from their state, so a failed preserve leaves every
/// VM running on this kernel and the switch stops.
extension VMSwitch {
    /// What became of one VM.
    struct Saved: Sendable {
        var name: String
        var events: [(SwitchJournal.VM.Event, SwitchJournal.Moment, String?)]
        var error: String?
    }

    /// Saves every VM of `prepared` (the plan must not be blocked), records it in `journal`
    /// and writes the sentinel for `region`. Throws, with every VM running again, when any
    /// could not be saved.
    public func preserve(_ prepared: Prepared, region: Sentinel.Region?, journal: inout SwitchJournal,
                         save: (SwitchJournal) throws -> Void, report: (String) -> Void) throws {
        let entries = prepared.plan.entries
        journal.vms = entries.map { SwitchJournal.VM(name: $0.name, path: Self.path($0.path), stateFile: $0.stateFile ?? "-") }
        try save(journal)
        try prepareDirectories(for: entries)
        let clients = prepared.clients
        let clock = WallClock()
        let results = try AsyncBridge.wait { [options] in
            try await withThrowingTaskGroup(of: Saved.self) { group in
                for entry in entries {
                    guard let client = clients[entry.name] else { continue }
                    group.addTask { await Self.stop(entry, client: client, clock: clock, options: options) }
                }
                var all: [Saved] = []
                for try await result in group { all.append(result) }
                return all
            }
        }
        for result in results {
            for (event, moment, reason) in result.events { journal.record(event, vm: result.name, at: moment, reason: reason) }
        }
        let failed = results.filter { $0.error != nil }
        if failed.isEmpty {
            do {
                try writeSentinel(entries: entries, region: region, transaction: journal.transaction)
            } catch {
                try save(journal)
                throw restartHere(prepared, journal: &journal, save: save, because: "sentinel: \(error)", report: report)
            }
        }
        try save(journal)
        for result in results where result.error == nil {
            report("vms: \(result.name) " + (entries.first { $0.name == result.name }.map(Self.describe) ?? "stopped"))
        }
        if !failed.isEmpty {
            let reason = failed.map { "\($0.name): \($0.error ?? "")" }.joined(separator: "; ")
            throw restartHere(prepared, journal: &journal, save: save, because: reason, report: report)
        }
    }

    static func describe(_ entry: VMPlan.Entry) -> String {
        switch entry.path {
        case .preserve: return "paused, device state saved into the preserved region (RAM stays in place)"
        case .save: return "paused, RAM and device state saved to \(entry.stateFile ?? "the state partition")"
        case .cold: return "shut down (cold): started afresh after the switch"
        }
    }

    static func path(_ path: VMPlan.Path) -> SwitchJournal.VM.Path {
        switch path {
        case .preserve: return .preserve
        case .save: return .save
        case .cold: return .cold
        }
    }

    /// One VM: saved (preserve, save) or shut down (cold, its argv kept for the fresh start).
    static func stop(_ entry: VMPlan.Entry, client: QMP.Client, clock: WallClock, options: Options) async -> Saved {
        var saved = Saved(name: entry.name, events: [])
        if entry.isCold {
            saved.events.append((.stopped, clock.now(), nil))
            do {
                try writeArguments(entry, options: options)
                _ = try? await client.execute("system_powerdown")
                _ = try? await client.waitForEvent(["SHUTDOWN"], timeout: .seconds(60))
                _ = try? await client.execute("quit")
                client.close()
                saved.events.append((.quit, clock.now(), nil))
            } catch {
                saved.error = "\(error)"
                saved.events.append((.failed, clock.now(), "\(error)"))
            }
            return saved
        }
        guard let stateFile = entry.stateFile else {
            saved.error = "no state file planned"
            return saved
        }
        do {
            let report = try await VMM.save(client, to: stateFile)
            saved.events = [(.stopped, clock.moment(report.stoppedAt), nil), (.saved, clock.moment(report.savedAt), nil),
                            (.quit, clock.moment(report.exitedAt), nil)]
        } catch {
            saved.error = "\(error)"
            saved.events = [(.failed, clock.now(), "\(error) (resumed)")]
        }
        return saved
    }

    func prepareDirectories(for entries: [VMPlan.Entry]) throws {
        for entry in entries {
            if let state = entry.stateFile { try SystemIO.makeDirectory(SystemIO.directory(of: state), mode: 0o700) }
        }
        try SystemIO.makeDirectory(options.stateDirectory, mode: 0o700)
    }

    /// A cold VM's argv, for its fresh start after the switch: NUL-separated, like
    /// /proc/PID/cmdline, in the state directory.
    static func writeArguments(_ entry: VMPlan.Entry, options: Options) throws {
        guard let argv = entry.arguments?.argv else { throw SwitchError.refused("\(entry.name): its command line is unknown") }
        try SystemIO.replace(Self.argumentsPath(entry.name, options: options),
                             with: argv.flatMap { Array($0.utf8) + [0] }, permissions: 0o600)
    }

    static func argumentsPath(_ name: String, options: Options) -> String { options.stateDirectory + "/" + name + ".argv" }

    func writeSentinel(entries: [VMPlan.Entry], region: Sentinel.Region?, transaction: String) throws {
        let kept = entries.filter { !$0.isCold }
        guard !kept.isEmpty else { return }
        let inputs = kept.map { entry in
            Sentinel.Input(name: entry.name, argv: entry.arguments?.argv ?? [], stateFile: entry.stateFile ?? "",
                           ramFiles: entry.preservedFiles.map(\.path))
        }
        let sentinel = try Sentinel.record(transaction: transaction, region: region ?? Sentinel.Region(size: "-", offset: "-"),
                                           vms: inputs)
        try sentinel.write(to: options.sentinelPath)
        if options.corruptSentinel { try Self.corrupt(options.sentinelPath) }
    }

    /// The test hook behind `HOSTIMG_TEST_CORRUPT_SENTINEL=1`: one byte of the written
    /// sentinel flipped (past its magic), so an end-to-end test sees the boot-time agent refuse
    /// to resume and say why, with the VMs' RAM untouched.
    static func corrupt(_ path: String) throws {
        var bytes = try SystemIO.readFile(path, limit: 1 << 24)
        guard bytes.count > 16 else { return }
        bytes[bytes.count / 2] ^= 0x5A
        try SystemIO.replace(path, with: bytes, permissions: 0o600)
    }

    /// After a failed preserve: every VM that was saved and quit is started again here from
    /// its state (the ones that failed were resumed by the save itself); the switch stops.
    func restartHere(_ prepared: Prepared, journal: inout SwitchJournal, save: (SwitchJournal) throws -> Void,
                     because reason: String, report: (String) -> Void) -> SwitchError {
        report("vms: preserving failed (\(reason)); starting the saved VMs again on this kernel")
        var arguments: [String: [String]] = [:]
        for entry in prepared.plan.entries { arguments[entry.name] = entry.arguments?.argv }
        resume(&journal, arguments: arguments, report: report)
        try? save(journal)
        let lost = journal.vms.filter { $0.failure != nil && $0.steps.contains { $0.event == .quit } }.map(\.name)
        return SwitchError.failed(phase: .stage, reason: "VMs could not be preserved: \(reason)"
            + (lost.isEmpty ? "; every VM runs again on this kernel" : "; NOT running again: \(lost.joined(separator: ", "))"))
    }
}

/// Monotonic instants (what the QMP side measures) as journal moments (wall clock, this
/// boot): one reading of both clocks, and offsets from it.
struct WallClock: Sendable {
    let wall = SystemIO.wallClock()
    let monotonic = SystemIO.MonotonicInstant.now()
    let bootID = SwitchJournal.Moment.now().bootID

    func moment(_ instant: SystemIO.MonotonicInstant) -> SwitchJournal.Moment {
        let offset = instant.duration(since: monotonic)
        let seconds = Double(offset.components.seconds) + Double(offset.components.attoseconds) / 1e18
        return SwitchJournal.Moment(seconds: wall + seconds, bootID: bootID)
    }

    func now() -> SwitchJournal.Moment { moment(.now()) }
}
