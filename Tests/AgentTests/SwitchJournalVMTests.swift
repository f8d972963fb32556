import Agent
import ByteCodec
import Foundation
import Testing
import TestSupport

/// The VMs of a VM-preserving switch in the journal, in `status`, and the boot-time agent
/// resuming them only where it should: on the new slot after its gate passed, on the
/// previous slot after a rollback, never on a slot that failed its gate.
@Suite struct SwitchJournalVMTests {
    typealias F = SwitchFinisherTests
    typealias E = SlotEmptierTests

    static func at(_ seconds: Double, _ boot: String = "b") -> SwitchJournal.Moment { .init(seconds: seconds, bootID: boot) }

    /// Through the reboot, with VM `web` preserved (stopped at 10, saved 10.07, quit 10.1) and
    /// `db` saved with its RAM.
    static func preserved() -> SwitchJournal {
        var journal = F.journal(through: F.rebooted)
        journal.vms = [SwitchJournal.VM(name: "web", path: .preserve, stateFile: "/run/hostimg/preserved/vms/web.state"),
                       SwitchJournal.VM(name: "db", path: .save, stateFile: "/var/lib/hostimg/vm-state/db.state")]
        for name in ["web", "db"] {
            journal.record(.stopped, vm: name, at: at(10))
            journal.record(.saved, vm: name, at: at(name == "web" ? 10.07 : 12.5))
            journal.record(.quit, vm: name, at: at(12.6))
        }
        return journal
    }

    @Test func vmLinesRoundTrip() throws {
        var journal = Self.preserved()
        journal.record(.relaunched, vm: "web", at: Self.at(30, "b2"))
        journal.record(.resumed, vm: "web", at: Self.at(30.5, "b2"))
        journal.record(.failed, vm: "db", at: Self.at(30.6, "b2"), reason: "sentinel:\nstate file SHA-256 differs")
        let text = journal.encoded()
        #expect(text.contains("vm web preserve /run/hostimg/preserved/vms/web.state\n"))
        #expect(text.contains("vmstep db failed 30.600 b2 sentinel: state file SHA-256 differs\n"))
        let parsed = try SwitchJournal.parse(text)
        #expect(parsed.vms.map(\.name) == ["web", "db"] && parsed.vms[0].steps == journal.vms[0].steps)
        #expect(parsed.vms[1].failure == "sentinel: state file SHA-256 differs")
        #expect(abs((parsed.vms[0].blackout ?? 0) - 20.5) < 0.001 && abs((parsed.vms[0].saveSeconds ?? 0) - 0.07) < 0.001)
        #expect(abs((parsed.vms[0].restoreSeconds ?? 0) - 0.5) < 0.001)
        #expect(parsed.vmsAwaitingResume.isEmpty)
    }

    @Test("a vm line that does not parse is refused, naming the line", arguments: [
        "vm web keep /x", "vm web preserve", "vmstep ghost stopped 1.000 b", "vmstep web paused 1.000 b", "vmstep web stopped x b",
    ])
    func badVMLines(_ line: String) {
        let text = "hostimg-journal 1\ntransaction t\nbundle n 1 h\nprevious p\ntarget 1\nmethod kexec\nvm web preserve /s\n\(line)\n"
        #expect(throws: JournalError.self) { try SwitchJournal.parse(text) }
    }

    @Test func theNewSlotResumesTheVMsOnlyAfterItsGatePassed() throws {
        let setup = try F.Setup(Self.preserved())
        var order: [String] = []
        let outcome = try setup.finisher().run(
            runningRootHash: E.hashB, gate: { order.append("gate"); return nil }, rollBack: {},
            resumeVMs: { journal in
                order.append("resume")
                for vm in journal.vmsAwaitingResume { journal.record(.resumed, vm: vm.name, at: Self.at(40, "b2")) }
            })
        #expect(outcome == .switched && order == ["gate", "resume"])
        let journal = try #require(try SwitchJournal.load(setup.journalPath))
        #expect(journal.vms.allSatisfy { $0.steps.last?.event == .resumed } && journal.result == .switched)
    }

    @Test func aFailedGateLeavesTheVMsPreservedForThePreviousSlot() throws {
        let setup = try F.Setup(Self.preserved())
        var resumed = false
        var rolledBack = false
        _ = try setup.finisher().run(runningRootHash: E.hashB, gate: { "90-fail: exit 1" }, rollBack: { rolledBack = true },
                                     resumeVMs: { _ in resumed = true })
        #expect(rolledBack && !resumed)
        let journal = try #require(try SwitchJournal.load(setup.journalPath))
        #expect(journal.vmsAwaitingResume.map(\.name) == ["web", "db"])
        // Back on the previous slot: the leftovers are resumed there.
        var names: [String] = []
        let any = try setup.finisher().resumeLeftovers(runningRootHash: E.hashA) { journal in
            names = journal.vmsAwaitingResume.map(\.name)
            for name in names { journal.record(.resumed, vm: name, at: Self.at(50, "b3")) }
        }
        #expect(any && names == ["web", "db"])
        #expect(try SwitchJournal.load(setup.journalPath)?.vmsAwaitingResume.isEmpty == true)
        // Nothing left: a later boot does not resume again.
        #expect(try setup.finisher().resumeLeftovers(runningRootHash: E.hashA) { _ in Issue.record("resumed twice") } == false)
    }

    @Test func leftoversAreNotResumedOnAnUnrelatedSlotNorWhileTheJournalIsOpen() throws {
        let open = try F.Setup(Self.preserved())
        #expect(try open.finisher().resumeLeftovers(runningRootHash: E.hashA) { _ in Issue.record("open journal") } == false)
        var closed = Self.preserved()
        closed.result = .rolledBack("x")
        let other = try F.Setup(closed)
        #expect(try other.finisher().resumeLeftovers(runningRootHash: [UInt8](repeating: 7, count: 32)) { _ in Issue.record("unrelated") } == false)
    }

    @Test func statusShowsEachVMWithItsBlackoutAndParts() throws {
        var journal = Self.preserved()
        journal.begin(.finish, at: Self.at(21, "b2"))
        journal.record(.relaunched, vm: "web", at: Self.at(30, "b2"))
        journal.record(.resumed, vm: "web", at: Self.at(30.5, "b2"))
        journal.record(.failed, vm: "db", at: Self.at(30.6, "b2"), reason: "sentinel mismatch")
        let status = HostStatus(disk: "/dev/vda", slots: [], journal: journal, journalProblem: nil)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.json.utf8)) as? [String: Any])
        let vms = try #require((object["lastSwitch"] as? [String: Any])?["vms"] as? [[String: Any]])
        #expect(vms.count == 2 && vms[0]["name"] as? String == "web" && vms[0]["state"] as? String == "resumed")
        #expect(abs((vms[0]["blackoutSeconds"] as? Double ?? 0) - 20.5) < 0.001)
        #expect(vms[0]["kexecToAgentSeconds"] as? Double != nil && vms[0]["restoreSeconds"] as? Double == 0.5)
        #expect(vms[1]["state"] as? String == "failed" && vms[1]["reason"] as? String == "sentinel mismatch")
        #expect(status.lines.contains("vm web (preserve): resumed, blackout 20.500 s (save 0.070 s"))
        #expect(status.lines.contains("vm db (save): failed (sentinel mismatch)"))
    }
}

@Suite struct UKIOSReleaseTests {
    @Test func fieldsAreUnquotedAndUnescaped() {
        let fields = UKIOSRelease.parse("# comment\nID=debian\nIMAGE_VERSION=\"0.2.0\"\nHOSTIMG_QEMU_VERSION=\"1:7.2+dfsg-7\"\nX='a b'\nQ=\"say \\\"hi\\\"\"\n\n")
        #expect(fields["ID"] == "debian" && fields["IMAGE_VERSION"] == "0.2.0" && fields["X"] == "a b")
        #expect(fields["HOSTIMG_QEMU_VERSION"] == "1:7.2+dfsg-7" && fields["Q"] == "say \"hi\"")
        #expect(fields["#"] == nil && fields.count == 5)
    }
}
