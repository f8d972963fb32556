import Agent
import HostSwitch
import QMP
import SystemIO
import VMM

extension BlackoutRun {
    /// The agent's way, as `hostimg switch` and the boot-time agent run it (minus the kexec):
    /// discovery and plan, the parallel save with the journal written at each event, the
    /// sentinel, then the resume (sentinel verified, QEMU relaunched, state loaded, `cont`).
    func agent() async throws -> Result {
        var options = VMSwitch.Options()
        options.vmsDirectory = vms
        options.preservedMount = preserved
        options.stateDirectory = state
        options.sentinelPath = preserved + "/hostimg-sentinel"
        options.connectTimeout = .seconds(30)
        let vmSwitch = VMSwitch(options: options)
        let prepared = try await vmSwitch.prepare(newQEMU: .unknown, measuredKexecSeconds: nil)
        let expected: VMPlan.Path = mode == .preserve ? .preserve : .save
        guard prepared.plan.entries.map(\.path) == [expected] else {
            prepared.close()
            throw Failure(description: "planned \(prepared.plan.text), expected one VM on the \(expected.word) path")
        }
        let journalPath = work + "/journal"
        let region = Sentinel.Region(size: "1G", offset: "4G")
        let journal = try await offMainPool { [vmSwitch] in
            var journal = SwitchJournal(transaction: "bench", name: "bench", version: "1", rootHash: "b", previousRootHash: "a",
                                        targetSlot: 1, method: .kexec)
            try vmSwitch.preserve(prepared, region: region, journal: &journal, save: { try $0.save(journalPath) }, report: { _ in })
            vmSwitch.resumeAfterKexec(&journal, commandLine: "memmap=1G!4G", report: { _ in })
            return journal
        }
        guard let vm = journal.vms.first, let blackout = vm.blackout, let save = vm.saveSeconds, let restore = vm.restoreSeconds
        else {
            throw Failure(description: "the VM did not resume: \(journal.vms.first?.failure ?? "no VM in the journal")")
        }
        let stateFile = vm.stateFile
        return Result(blackout: blackout, save: save, restore: restore,
                      stateBytes: (try? SystemIO.status(of: stateFile))?.size ?? 0)
    }

    /// The floor: the same QEMU operations with nothing around them, `VMM.save` (stop,
    /// `x-ignore-shared`, migrate to a file, fsync, quit) straight into `VMM.restore` (start
    /// with `-incoming defer`, load, `cont`).
    func floor() async throws -> Result {
        let stateFile = (mode == .preserve ? preserved : state) + "/bench.state"
        let client = try await QMP.Client.connect(path: socket, timeout: .seconds(30))
        let saved = try await VMM.save(client, to: stateFile)
        let restored = try await VMM.restore(VMM.RestoreRequest(arguments: arguments, qmpSocket: socket, statePath: stateFile,
                                                                 logPath: work + "/qemu.log"))
        restored.client.close()
        let report = restored.report
        return Result(blackout: Self.seconds(report.resumedAt, since: saved.stopRequestedAt),
                      save: Self.seconds(saved.savedAt, since: saved.stopRequestedAt),
                      restore: Self.seconds(report.resumedAt, since: report.spawnedAt),
                      stateBytes: saved.stateBytes)
    }

    static func seconds(_ end: SystemIO.MonotonicInstant, since start: SystemIO.MonotonicInstant) -> Double {
        Double(end.nanoseconds &- start.nanoseconds) / 1e9
    }

    /// `body` on a thread of its own: the switch's synchronous code waits for its async parts
    /// on the calling thread, which must be neither the main actor's nor one of the pool's.
    func offMainPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            do {
                try SystemIO.startThread(named: "switch") { continuation.resume(with: Swift.Result { try body() }) }
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
}
