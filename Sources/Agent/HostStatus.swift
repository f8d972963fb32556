import BootEntries
import ByteCodec
import GPT
import Slots
import SystemIO

/// What `hostimg-agent status` shows (issue 15, item 4): both slots of the disk with their
/// label, root hash, boot entry and its counter, which one runs, and the last switch from the
/// journal. Read-only: it never writes.
public struct HostStatus: Sendable {
    public struct SlotView: Sendable, Equatable {
        public var letter: String
        public var label: String
        /// nil for an empty slot.
        public var rootHash: String?
        public var running: Bool
        /// The ESP entry that boots it (file name), nil when there is none.
        public var entry: String?
        /// `good` (blessed), `counting` (tries left), `bad` (no tries left), `unbootable`
        /// (written, no entry), `unknown` (the ESP was not read) or `empty`.
        public var boot: String
        public var triesLeft: Int?
    }

    public var disk: String
    public var slots: [SlotView]
    public var journal: SwitchJournal?
    /// Why the journal could not be read, when it could not.
    public var journalProblem: String?

    public init(disk: String, slots: [SlotView], journal: SwitchJournal?, journalProblem: String?) {
        self.disk = disk
        self.slots = slots
        self.journal = journal
        self.journalProblem = journalProblem
    }

    /// Reads the slots of `disk`, the UKIs of `entriesDirectory` (each mapped to a slot by the
    /// root hash of its `.cmdline`), and the journal at `journalPath`. `commandLine` is
    /// /proc/cmdline's text (nil offline: no slot is marked running).
    public static func read(disk: String, entriesDirectory: String?, journalPath: String, commandLine: String?,
                            commandLineOfUKI: @escaping @Sendable (String) throws -> String) throws -> HostStatus {
        let table = try GPT.readRecovering(path: disk)
        let running = commandLine.flatMap { RunningSlot.rootHash(commandLine: $0) }
        var views: [SlotView] = []
        for slot in SlotTable(table.partitions).slots {
            let written = slot.state == .written
            var view = SlotView(letter: slot.letter, label: slot.label, rootHash: written ? Hex.encode(slot.rootHash) : nil,
                                running: written && running.map(slot.holds(rootHash:)) == true, entry: nil,
                                boot: !written ? "empty" : entriesDirectory == nil ? "unknown" : "unbootable", triesLeft: nil)
            if written, let directory = entriesDirectory,
               let entry = try? Blessing(entriesDirectory: directory, commandLineOfUKI: commandLineOfUKI)
                .entries(booting: slot.rootHash).first {
                view.entry = entry.fileName
                view.boot = entry.isGood ? "good" : entry.isBad ? "bad" : "counting"
                view.triesLeft = entry.counter?.left
            }
            views.append(view)
        }
        var status = HostStatus(disk: disk, slots: views, journal: nil, journalProblem: nil)
        do {
            status.journal = try SwitchJournal.load(journalPath)
        } catch {
            status.journalProblem = "\(journalPath): \(error)"
        }
        return status
    }
}

extension HostStatus {
    /// One line per slot, then the last switch.
    public var lines: String {
        var lines = ["disk \(disk)"]
        for slot in slots {
            var line = "slot \(slot.letter): \(slot.label) \(slot.boot)"
            if let left = slot.triesLeft, slot.boot == "counting" { line += " (\(left) tries left)" }
            if slot.running { line += ", running" }
            if let hash = slot.rootHash { line += ", root hash \(hash.prefix(16))…" }
            if let entry = slot.entry { line += ", entry \(entry)" }
            lines.append(line)
        }
        if let problem = journalProblem {
            lines.append("last switch: unreadable journal: \(problem)")
        } else if let journal {
            lines.append("last switch: \(journal.transaction) \(journal.name) \(journal.version) into slot \(SlotTable.letter(journal.targetSlot)) by \(journal.method.rawValue): \(Self.describe(journal))")
            for step in journal.steps {
                lines.append("  \(step.phase.rawValue) \(Self.describe(step.outcome)) at \(SwitchJournal.format(step.at.seconds))")
            }
            if let blackout = journal.blackout {
                lines.append("  blackout \(SwitchJournal.format(blackout)) s (from the \(journal.method.rawValue) to the agent's start on the new slot)")
            }
            lines += Self.vmLines(journal)
        } else {
            lines.append("last switch: none")
        }
        return lines.joined(separator: "\n")
    }

    static func describe(_ journal: SwitchJournal) -> String {
        switch journal.result {
        case .switched?: return "switched"
        case .installed?: return "installed, not switched"
        case let .failed(reason)?: return "failed: \(reason)"
        case let .rolledBack(reason)?: return "rolled back: \(reason)"
        case nil: return journal.interrupted.map { "open, interrupted during \($0.rawValue)" } ?? "open"
        }
    }

    static func describe(_ outcome: SwitchJournal.Outcome) -> String {
        switch outcome {
        case .started: return "started"
        case .done: return "done"
        case let .failed(reason): return "failed (\(reason))"
        }
    }
}
