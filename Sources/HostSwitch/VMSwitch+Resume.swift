import Agent
import QMP
import SystemIO
import VMM

/// The resume half (the boot-time agent, `hostimg-agent boot`): the sentinel verified before
/// any VM resumes (the region must be the one the VMs were saved in, each state file and RAM
/// sample as recorded), then every waiting VM relaunched in parallel from this slot's QEMU with
/// its own argv plus `-incoming defer`, its state loaded and `cont`; a cold VM started afresh.
/// A VM that cannot be resumed is recorded `failed` with the reason and named in the output,
/// its RAM left untouched.
extension VMSwitch {
    /// Resumes the journal's waiting VMs after a kexec (`commandLine` is this kernel's, for
    /// the region's identity).
    public func resumeAfterKexec(_ journal: inout SwitchJournal, commandLine: String, report: (String) -> Void) {
        let waiting = journal.vmsAwaitingResume
        guard !waiting.isEmpty else { return }
        var arguments: [String: [String]] = [:]
        var refused: [String: String] = [:]
        if waiting.contains(where: { $0.path != .cold }) {
            let region = Self.region(commandLine: commandLine) ?? Sentinel.Region(size: "-", offset: "-")
            do {
                for check in try Sentinel.verify(path: options.sentinelPath, region: region, transaction: journal.transaction) {
                    if check.isIntact {
                        arguments[check.vm.name] = check.vm.argv
                    } else {
                        refused[check.vm.name] = "sentinel: " + check.failures.map { "\($0)" }.joined(separator: "; ")
                    }
                }
            } catch {
                for vm in waiting where vm.path != .cold { refused[vm.name] = "sentinel: \(error)" }
            }
        }
        for vm in waiting where vm.path == .cold {
            if let bytes = try? SystemIO.readFile(Self.argumentsPath(vm.name, options: options), limit: 4 << 20),
               let argv = try? QEMUArguments(commandLine: bytes).argv {
                arguments[vm.name] = argv
            } else {
                refused[vm.name] = "its saved command line \(Self.argumentsPath(vm.name, options: options)) is missing or unreadable"
            }
        }
        for vm in waiting where arguments[vm.name] == nil && refused[vm.name] == nil {
            refused[vm.name] = "the sentinel does not list it"
        }
        let clock = WallClock()
        for (name, reason) in refused.sorted(by: { $0.key < $1.key }) {
            journal.record(.failed, vm: name, at: clock.now(), reason: reason + "; not resumed, its RAM left untouched")
            report("vms: \(name): NOT resumed: \(reason)")
        }
        resume(&journal, arguments: arguments, report: report)
    }

    /// Relaunches every waiting VM named in `arguments`, in parallel, recording its events.
    func resume(_ journal: inout SwitchJournal, arguments: [String: [String]], report: (String) -> Void) {
        let waiting = journal.vmsAwaitingResume.filter { arguments[$0.name] != nil }
        guard !waiting.isEmpty else { return }
        try? SystemIO.makeDirectory(options.vmsDirectory, mode: 0o755)
        let clock = WallClock()
        let options = self.options
        let results: [Saved] = (try? AsyncBridge.wait { () async -> [Saved] in
            await withTaskGroup(of: Saved.self) { group in
                for vm in waiting {
                    let argv = arguments[vm.name] ?? []
                    group.addTask { await Self.relaunch(vm, argv: argv, clock: clock, options: options) }
                }
                var all: [Saved] = []
                for await result in group { all.append(result) }
                return all
            }
        }) ?? []
        for result in results.sorted(by: { $0.name < $1.name }) {
            for (event, moment, reason) in result.events { journal.record(event, vm: result.name, at: moment, reason: reason) }
            if let error = result.error {
                report("vms: \(result.name): NOT resumed: \(error)")
            } else if let vm = journal.vms.first(where: { $0.name == result.name }) {
                report("vms: \(vm.name) running again" + (vm.blackout.map { ", blackout \(SwitchJournal.format($0)) s" } ?? ""))
            }
        }
    }

    /// One VM: its state loaded into a new QEMU and resumed, or (cold) a fresh start.
    static func relaunch(_ vm: SwitchJournal.VM, argv: [String], clock: WallClock, options: Options) async -> Saved {
        var result = Saved(name: vm.name, events: [])
        let log = options.stateDirectory + "/" + vm.name + ".log"
        do {
            let parsed = try QEMUArguments(argv)
            if vm.path == .cold {
                result.events.append((.relaunched, clock.now(), nil))
                let executable = try VMM.executable(for: argv)
                _ = try VMM.QEMUProcess.spawn(executable: executable, arguments: parsed.with(incomingDefer: false),
                                          environment: SystemIO.programEnvironment, logPath: log)
                result.events.append((.resumed, clock.now(), nil))
                return result
            }
            guard let socket = try parsed.qmpSockets().first else {
                throw SwitchError.refused("its command line has no -qmp unix: socket to drive the restore through")
            }
            let restored = try await VMM.restore(VMM.RestoreRequest(arguments: argv, qmpSocket: socket, statePath: vm.stateFile,
                                                                    logPath: log))
            restored.client.close()
            result.events = [(.relaunched, clock.moment(restored.report.spawnedAt), nil),
                             (.resumed, clock.moment(restored.report.resumedAt), nil)]
        } catch {
            result.error = "\(error)"
            result.events.append((.failed, clock.now(), "\(error)"))
        }
        return result
    }
}
