import Agent
import ByteCodec
import Foundation
import GPT
import Slots
import Testing
import TestSupport

/// The boot-time agent acting on the journal: each action on a real GPT image, a directory
/// playing the ESP and a journal file, and the journal closed with its result every time.
@Suite struct SwitchFinisherTests {
    typealias E = SlotEmptierTests

    /// A switch from slot A (hashA) to slot B (hashB) that got as far as `events`.
    static func journal(through events: [(SwitchJournal.Phase, String)]) -> SwitchJournal {
        var journal = SwitchJournal(transaction: "t1", name: "qemu-dev", version: "0.2.0", rootHash: Hex.encode(E.hashB),
                                    previousRootHash: Hex.encode(E.hashA), targetSlot: 1, method: .kexec)
        for (index, (phase, outcome)) in events.enumerated() {
            let at = SwitchJournal.Moment(seconds: Double(index), bootID: "b")
            if outcome == "started" { journal.begin(phase, at: at) } else { journal.end(phase, at: at) }
        }
        return journal
    }

    static let rebooted: [(SwitchJournal.Phase, String)] = [(.check, "started"), (.check, "done"), (.install, "started"),
                                                          (.install, "done"), (.stage, "started"), (.stage, "done"), (.reboot, "started")]

    struct Setup {
        let scratch: ScratchDirectory
        let disk: String
        let esp: String
        var journalPath: String { scratch.path("journal") }

        init(_ journal: SwitchJournal?) throws {
            scratch = try ScratchDirectory()
            disk = try E.disk(in: scratch)
            esp = try E.esp(in: scratch)
            try journal?.save(scratch.path("journal"))
        }

        func finisher() -> SwitchFinisher {
            let read: @Sendable (String) throws -> String = { try String(contentsOfFile: $0, encoding: .utf8) }
            return SwitchFinisher(journalPath: journalPath, entriesDirectory: esp,
                                  emptier: SlotEmptier(disk: disk, entriesDirectory: esp, commandLineOfUKI: read),
                                  commandLineOfUKI: read, now: { SwitchJournal.Moment(seconds: 99, bootID: "b2") })
        }

        var entries: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: esp)) ?? []).sorted() }
        var result: SwitchJournal.Result? { (try? SwitchJournal.load(journalPath))??.result }
    }

    @Test func aHealthyNewSlotFinishesTheSwitch() throws {
        let setup = try Setup(Self.journal(through: Self.rebooted))
        var rolledBack = false
        let outcome = try setup.finisher().run(runningRootHash: E.hashB, gate: { nil }, rollBack: { rolledBack = true })
        #expect(outcome == .switched && !rolledBack)
        #expect(setup.result == .switched)
        let journal = try #require(try SwitchJournal.load(setup.journalPath))
        #expect(journal.completed(.finish) && journal.steps.last?.at.bootID == "b2")
    }

    @Test func anUnhealthyNewSlotIsMarkedBadAndRolledBack() throws {
        let setup = try Setup(Self.journal(through: Self.rebooted))
        var rolledBack = false
        let outcome = try setup.finisher().run(runningRootHash: E.hashB, gate: { "tuning/cmdline: FAILED" }, rollBack: { rolledBack = true })
        #expect(outcome == .rolledBack("tuning/cmdline: FAILED") && rolledBack)
        #expect(setup.entries == ["qemu-dev_0.1.0.efi", "qemu-dev_0.2.0+0-3.efi"])
        guard case let .rolledBack(reason)? = setup.result else { Issue.record("not closed as rolled back"); return }
        #expect(reason.contains("qemu-dev 0.2.0") && reason.contains("tuning/cmdline"))
    }

    @Test func anInterruptedInstallEmptiesTheTarget() throws {
        let setup = try Setup(Self.journal(through: Array(Self.rebooted.prefix(3))))
        var gateRuns = 0
        let outcome = try setup.finisher().run(runningRootHash: E.hashA, gate: { gateRuns += 1; return nil }, rollBack: {})
        #expect(outcome == .discarded("interrupted during install; the slot being written is made empty again") && gateRuns == 1)
        #expect(setup.entries == ["qemu-dev_0.1.0.efi"])
        #expect(SlotTable(try GPT.read(path: setup.disk)).slots[1].state == .empty)
        guard case .failed? = setup.result else { Issue.record("not closed as failed"); return }
    }

    @Test func backOnTheOldSlotTheNewOneIsBad() throws {
        let setup = try Setup(Self.journal(through: Self.rebooted))
        let outcome = try setup.finisher().run(runningRootHash: E.hashA, gate: { nil }, rollBack: { Issue.record("no kexec back from the old slot") })
        guard case .rolledBack = outcome, case .rolledBack? = setup.result else { Issue.record("\(outcome)"); return }
        #expect(setup.entries == ["qemu-dev_0.1.0.efi", "qemu-dev_0.2.0+0-3.efi"])
        #expect(SlotTable(try GPT.read(path: setup.disk)).slots[1].label == "qemu-dev_0.2.0", "the slot stays written, only unpreferred")
    }

    @Test func noJournalIsAPlainBoot() throws {
        let setup = try Setup(nil)
        #expect(try setup.finisher().run(runningRootHash: E.hashA, gate: { nil }, rollBack: {}) == .plainBoot(healthy: true))
        #expect(try setup.finisher().run(runningRootHash: E.hashA, gate: { "x" }, rollBack: {}) == .plainBoot(healthy: false))
        #expect(setup.entries.count == 2 && !FileManager.default.fileExists(atPath: setup.journalPath))
    }
}
