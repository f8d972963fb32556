/// What the boot-time agent does with the journal it finds (AGENT.md, phase 4 and "a crash,
/// power cut or kill at any point"): the decision alone, from the journal and the root hash
/// the host now runs, so every crash point maps to one action a test can name.
///
/// | journal | running | action |
/// | --- | --- | --- |
/// | none, or closed | any | plain boot: health gate, bless |
/// | open | the new slot | finish the switch: health gate, then bless and close, or roll back |
/// | open, install not done | the previous slot | the target may be half-written: make it `_empty` again, close as failed |
/// | open, install done, reboot begun | the previous slot | the new slot never came up (watchdog, failed kexec): mark it bad, close as rolled back |
/// | open, install done, reboot not begun | the previous slot | stopped between install and reboot: close; the slot stays installed and unpreferred |
/// | open | neither | a journal from another disk or image: report it, plain boot |
public enum SwitchRecovery {
    public enum Action: Sendable, Equatable {
        case plainBoot
        case finishSwitch
        case discardTarget(reason: String)
        case markTargetBad(reason: String)
        case closeInstalled(reason: String)
        case unrelated(reason: String)
    }

    public static func decide(_ journal: SwitchJournal?, runningRootHash: String?) -> Action {
        guard let journal, journal.isOpen else { return .plainBoot }
        guard let running = runningRootHash else {
            return .unrelated(reason: "/proc/cmdline has no roothash=: this boot is not a hostimg slot")
        }
        if running == journal.rootHash {
            return .finishSwitch
        }
        guard running == journal.previousRootHash else {
            return .unrelated(reason: "transaction \(journal.transaction) moved \(journal.previousRootHash.prefix(12))… to \(journal.rootHash.prefix(12))…, but the host runs \(running.prefix(12))…")
        }
        if !journal.completed(.install) {
            let where_ = journal.interrupted.map { "interrupted during \($0.rawValue)" } ?? failure(journal) ?? "stopped before the install ended"
            return .discardTarget(reason: "\(where_); the slot being written is made empty again")
        }
        if journal.steps.contains(where: { $0.phase == .reboot }) {
            return .markTargetBad(reason: "the new slot (\(journal.name) \(journal.version)) did not come up: the host is back on the previous slot")
        }
        let where_ = journal.interrupted.map { "interrupted during \($0.rawValue)" } ?? failure(journal) ?? "stopped after the install"
        return .closeInstalled(reason: "\(where_); \(journal.name) \(journal.version) stays installed but is not booted")
    }

    static func failure(_ journal: SwitchJournal) -> String? {
        for step in journal.steps.reversed() {
            if case let .failed(reason) = step.outcome { return "\(step.phase.rawValue) failed: \(reason)" }
        }
        return nil
    }
}
