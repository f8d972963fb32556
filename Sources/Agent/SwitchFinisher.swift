import BootEntries
import ByteCodec
import SystemIO

/// The boot-time half of a switch (AGENT.md, phase 4; `SwitchRecovery` decides, this acts):
/// carries out the decided action on the disk, the ESP and the journal, and closes the
/// journal with its result, so the next boot finds a closed transaction.
///
/// The health gate and the blessing come from outside (`gate`: the same gate a plain boot
/// runs). A failed gate on the new slot marks it bad (its ESP entry renamed to `+0-N`, so
/// systemd-boot sorts it last) and asks for the way back (`rollBack`: a kexec or firmware
/// reboot into the previous slot, which is the caller's).
public struct SwitchFinisher {
    public var journalPath: String
    public var entriesDirectory: String
    public var emptier: SlotEmptier
    public var commandLineOfUKI: @Sendable (String) throws -> String
    public var now: () -> SwitchJournal.Moment

    public init(journalPath: String, entriesDirectory: String, emptier: SlotEmptier,
                commandLineOfUKI: @escaping @Sendable (String) throws -> String, now: @escaping () -> SwitchJournal.Moment) {
        self.journalPath = journalPath
        self.entriesDirectory = entriesDirectory
        self.emptier = emptier
        self.commandLineOfUKI = commandLineOfUKI
        self.now = now
    }

    /// What happened, for the journal of the boot.
    public enum Outcome: Sendable, Equatable {
        case plainBoot(healthy: Bool)
        case switched
        case rolledBack(String)
        case discarded(String)
        case closed(String)
        case reported(String)
    }

    /// `gate` runs the health gate and, when healthy, blesses the running slot; it returns
    /// nil when healthy, else the failed checks in one line. `disarmWatchdog` stops the
    /// watchdog the switch armed, once the new slot is blessed or before the way back.
    ///
    /// `resumeVMs` resumes the VMs a VM-preserving switch left waiting (`SwitchJournal+VMs`),
    /// recording their events in the journal: on the new slot only after its gate passed, so
    /// a slot that fails the gate is left while every VM is still preserved and the VMs
    /// resume on the previous slot (`resumeLeftovers` there).
    public func run(runningRootHash: [UInt8]?, gate: () -> String?, rollBack: () throws -> Void,
                    disarmWatchdog: () -> Void = {}, resumeVMs: (inout SwitchJournal) -> Void = { _ in }) throws -> Outcome {
        let journal = try SwitchJournal.load(journalPath)
        let hex = runningRootHash.map { Hex.encode($0) }
        let decision = SwitchRecovery.decide(journal, runningRootHash: hex)
        // `decide` acts only on an open journal; anything else is a plain boot.
        guard var open = journal, decision != .plainBoot else { return .plainBoot(healthy: gate() == nil) }
        switch decision {
        case .plainBoot:
            return .plainBoot(healthy: gate() == nil)
        case let .unrelated(reason):
            _ = gate()
            return .reported(reason)
        case .finishSwitch:
            if !startedFinish(open) {
                open.begin(.finish, at: now())
                try open.save(journalPath)
            }
            if let failure = gate() {
                try markBad(rootHash: open.rootHash)
                open.fail(.finish, reason: failure, at: now())
                open.result = .rolledBack("health gate on \(open.name) \(open.version): \(failure)")
                try open.save(journalPath)
                disarmWatchdog()
                try rollBack()
                return .rolledBack(failure)
            }
            disarmWatchdog()
            if !open.vmsAwaitingResume.isEmpty {
                resumeVMs(&open)
                try open.save(journalPath)
            }
            open.end(.finish, at: now())
            open.result = .switched
            try open.save(journalPath)
            return .switched
        case let .discardTarget(reason):
            _ = try emptier.empty(slot: open.targetSlot, runningRootHash: runningRootHash)
            open.result = .failed(reason)
            try open.save(journalPath)
            _ = gate()
            return .discarded(reason)
        case let .markTargetBad(reason):
            try markBad(rootHash: open.rootHash)
            open.result = .rolledBack(reason)
            try open.save(journalPath)
            _ = gate()
            return .rolledBack(reason)
        case let .closeInstalled(reason):
            open.result = open.method == .none && open.completed(.install) && open.interrupted == nil ? .installed : .failed(reason)
            try open.save(journalPath)
            _ = gate()
            return .closed(reason)
        }
    }

    /// VMs a closed transaction left waiting, resumed where the host now runs: on the
    /// previous slot after a rollback (by the gate, or a watchdog reset and the firmware), or
    /// on the new slot when an earlier boot stopped while resuming. Returns whether any waited.
    /// A VM whose sentinel does not verify is not resumed; `resumeVMs` records why.
    public func resumeLeftovers(runningRootHash: [UInt8]?, resumeVMs: (inout SwitchJournal) -> Void) throws -> Bool {
        guard var journal = try SwitchJournal.load(journalPath), !journal.isOpen, !journal.vmsAwaitingResume.isEmpty,
              let running = runningRootHash.map({ Hex.encode($0) }),
              running == journal.rootHash || running == journal.previousRootHash else { return false }
        resumeVMs(&journal)
        try journal.save(journalPath)
        return true
    }

    /// `hostimg-agent boot --early` (hostimg-agent-start.service, right after the local file
    /// systems): records the agent's start on the new slot in the journal, so the blackout is
    /// measured to here and not to the end of the boot, when the health gate runs.
    public func markStart(runningRootHash: [UInt8]?) throws -> Bool {
        guard var open = try SwitchJournal.load(journalPath),
              SwitchRecovery.decide(open, runningRootHash: runningRootHash.map { Hex.encode($0) }) == .finishSwitch,
              !startedFinish(open) else { return false }
        open.begin(.finish, at: now())
        try open.save(journalPath)
        return true
    }

    /// The finish phase already started in this boot.
    func startedFinish(_ journal: SwitchJournal) -> Bool {
        guard let last = journal.lastStep, last.phase == .finish, last.outcome == .started else { return false }
        return last.at.bootID == now().bootID
    }

    /// Renames every entry that boots `rootHash` (hex) to a bad name: no tries left.
    func markBad(rootHash hex: String) throws {
        guard let hash = Hex.decode(hex) else { return }
        let entries = try Blessing(entriesDirectory: entriesDirectory, commandLineOfUKI: commandLineOfUKI).entries(booting: hash)
        for entry in entries where !entry.isBad {
            let bad = BootEntryName(base: entry.base, counter: .init(left: 0, done: (entry.counter?.done ?? 0) + (entry.counter?.left ?? 1)),
                                    suffix: entry.suffix)
            try SystemIO.renameDurably(entriesDirectory + "/" + entry.fileName, to: entriesDirectory + "/" + bad.fileName)
        }
    }
}
