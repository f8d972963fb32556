import Agent
import Foundation
import Testing
import TestSupport

/// The switch journal's text and the boot-time decision taken from it at every point a
/// crash can leave it (AGENT.md, "The transaction").
@Suite struct SwitchJournalTests {
    static let new = String(repeating: "b", count: 64)
    static let old = String(repeating: "a", count: 64)

    static func moment(_ seconds: Double, boot: String = "boot-1") -> SwitchJournal.Moment {
        SwitchJournal.Moment(seconds: seconds, bootID: boot)
    }

    static func journal(_ method: SwitchJournal.Method = .kexec) -> SwitchJournal {
        SwitchJournal(transaction: "3f9c0d2a5e41b7a8", name: "qemu-dev", version: "0.2.0", rootHash: new,
                      previousRootHash: old, targetSlot: 1, method: method)
    }

    @Test func textRoundTrips() throws {
        var journal = Self.journal()
        journal.begin(.check, at: Self.moment(1_796_041_200.125))
        journal.end(.check, at: Self.moment(1_796_041_201.5))
        journal.begin(.install, at: Self.moment(1_796_041_201.5))
        journal.fail(.install, reason: "root payload:\nSHA-256 mismatch", at: Self.moment(1_796_041_230))
        journal.result = .failed("install: root payload: SHA-256 mismatch")
        let text = journal.encoded()
        #expect(text.contains("step check started 1796041200.125 boot-1\n"))
        #expect(text.contains("step install failed 1796041230.000 boot-1 root payload: SHA-256 mismatch\n"))
        var expected = journal
        expected.steps[3].outcome = .failed("root payload: SHA-256 mismatch")
        #expect(try SwitchJournal.parse(text) == expected)
        for result: SwitchJournal.Result in [.switched, .installed, .rolledBack("health: tuning/cmdline")] {
            journal.result = result
            #expect(try SwitchJournal.parse(journal.encoded()).result == result)
        }
    }

    @Test("a journal that does not parse is refused, naming the line", arguments: [
        ("", 1), ("hostimg-journal 2\n", 1),
        ("hostimg-journal 1\ntransaction x\nbundle a 1 h\nprevious p\ntarget 1\nmethod kexec\nstep check begun 1 b\n", 7),
        ("hostimg-journal 1\ntransaction x\nbundle a 1 h\nprevious p\ntarget 1\nmethod kexec\nstep nowhere done 1 b\n", 7),
        ("hostimg-journal 1\ntransaction x\nbundle a 1 h\nprevious p\ntarget 1\nmethod kexec\nstep check failed 1 b\n", 7),
        ("hostimg-journal 1\ntransaction x\ntransaction y\n", 3),
        ("hostimg-journal 1\nwhatever\n", 2),
        ("hostimg-journal 1\ntransaction x\nbundle a 1 h\nprevious p\ntarget 1\nmethod kexec\nresult failed\n", 7),
        ("hostimg-journal 1\ntransaction x\nbundle a 1\nprevious p\ntarget 1\nmethod kexec\n", 0),
        ("hostimg-journal 1\ntransaction x\nbundle a 1 h\nprevious p\ntarget -1\nmethod kexec\n", 0),
        ("hostimg-journal 1\ntransaction x\nbundle a 1 h\nprevious p\ntarget 1\nmethod teleport\n", 0),
    ])
    func malformed(text: String, line: Int) {
        #expect(throws: JournalError.self) { try SwitchJournal.parse(text) }
        do { _ = try SwitchJournal.parse(text) } catch { #expect(error.line == line, "\(error)") }
    }

    @Test func savedAtomicallyAndReadBack() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("journal")
        #expect(try SwitchJournal.load(path) == nil)
        var journal = Self.journal()
        journal.begin(.check, at: Self.moment(1))
        try journal.save(path)
        #expect(try SwitchJournal.load(path) == journal)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path).sorted() == ["journal"], "no temporary file left")
    }
}

/// Every point of the transaction a crash can stop at, and the action the next boot takes.
@Suite struct SwitchRecoveryTests {
    typealias J = SwitchJournalTests

    /// The journal as the transaction leaves it after `events` (phase, outcome) steps.
    static func after(_ events: [(SwitchJournal.Phase, String)], method: SwitchJournal.Method = .kexec) -> SwitchJournal {
        var journal = J.journal(method)
        for (index, (phase, outcome)) in events.enumerated() {
            let at = J.moment(Double(index))
            switch outcome {
            case "started": journal.begin(phase, at: at)
            case "done": journal.end(phase, at: at)
            default: journal.fail(phase, reason: outcome, at: at)
            }
        }
        return journal
    }

    static let throughInstall: [(SwitchJournal.Phase, String)] = [(.check, "started"), (.check, "done"), (.install, "started"), (.install, "done")]

    @Test func noJournalOrAClosedOneIsAPlainBoot() {
        #expect(SwitchRecovery.decide(nil, runningRootHash: J.old) == .plainBoot)
        var closed = Self.after(Self.throughInstall)
        closed.result = .installed
        #expect(SwitchRecovery.decide(closed, runningRootHash: J.new) == .plainBoot)
    }

    @Test func crashBeforeOrDuringTheInstallEmptiesTheTarget() {
        let points: [[(SwitchJournal.Phase, String)]] = [
            [(.check, "started")],
            [(.check, "started"), (.check, "done")],
            [(.check, "started"), (.check, "done"), (.install, "started")],
            [(.check, "started"), (.check, "done"), (.install, "started"), (.install, "root payload: short read")],
        ]
        for events in points {
            guard case let .discardTarget(reason) = SwitchRecovery.decide(Self.after(events), runningRootHash: J.old) else {
                Issue.record("\(events): not discarded")
                continue
            }
            #expect(reason.contains("made empty again"))
        }
        let cut = SwitchRecovery.decide(Self.after(Array(Self.throughInstall.prefix(3))), runningRootHash: J.old)
        #expect(cut == .discardTarget(reason: "interrupted during install; the slot being written is made empty again"))
    }

    @Test func onTheNewSlotTheSwitchIsFinished() {
        let rebooted = Self.after(Self.throughInstall + [(.stage, "started"), (.stage, "done"), (.reboot, "started")])
        #expect(SwitchRecovery.decide(rebooted, runningRootHash: J.new) == .finishSwitch)
        // Firmware chose the new slot on its own after a crash between install and stage.
        #expect(SwitchRecovery.decide(Self.after(Self.throughInstall), runningRootHash: J.new) == .finishSwitch)
    }

    @Test func backOnTheOldSlotAfterTheRebootTheNewSlotIsBad() {
        let rebooted = Self.after(Self.throughInstall + [(.stage, "started"), (.stage, "done"), (.reboot, "started")])
        guard case let .markTargetBad(reason) = SwitchRecovery.decide(rebooted, runningRootHash: J.old) else {
            Issue.record("not marked bad")
            return
        }
        #expect(reason.contains("qemu-dev 0.2.0") && reason.contains("did not come up"))
    }

    @Test func stoppedBetweenInstallAndRebootKeepsTheInstalledSlot() {
        let staged = Self.after(Self.throughInstall + [(.stage, "started")])
        #expect(SwitchRecovery.decide(staged, runningRootHash: J.old)
                == .closeInstalled(reason: "interrupted during stage; qemu-dev 0.2.0 stays installed but is not booted"))
        let refused = Self.after(Self.throughInstall + [(.stage, "started"), (.stage, "kexec_file_load: key rejected")])
        #expect(SwitchRecovery.decide(refused, runningRootHash: J.old)
                == .closeInstalled(reason: "stage failed: kexec_file_load: key rejected; qemu-dev 0.2.0 stays installed but is not booted"))
    }

    @Test func anotherRootOrNoneIsReportedNotActedOn() {
        let journal = Self.after(Self.throughInstall)
        guard case .unrelated = SwitchRecovery.decide(journal, runningRootHash: String(repeating: "c", count: 64)) else {
            Issue.record("acted on a journal of other slots")
            return
        }
        guard case .unrelated = SwitchRecovery.decide(journal, runningRootHash: nil) else {
            Issue.record("acted without a running root hash")
            return
        }
    }
}
