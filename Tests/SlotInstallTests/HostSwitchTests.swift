import Agent
import Bundle
import ByteCodec
import Foundation
import GPT
@testable import HostSwitch
import Slots
import SlotInstall
import Testing
import TestSupport

/// `hostimg switch` on a host, with the kernel-facing side faked (`FakeActions`): what each
/// method leaves on the disk, the ESP and in the journal, and how the boot-time agent
/// finishes it.
@Suite struct HostSwitchTests {
    @Test("kexec: slot B written, its entry unpreferred (+0-1), the UKI loaded, the watchdog armed; the new slot's agent blesses it")
    func kexecSwitchThenBless() throws {
        let host = try HostFixture()
        let outcome = try host.run(.kexec)
        guard case .rebooting = outcome else { Issue.record("\(outcome)"); return }
        #expect(host.entryNames == ["qemu-dev_0.1.0.efi", "qemu-dev_0.2.0+0-1.efi"])
        #expect(host.slots[1].label == "qemu-dev_0.2.0" && host.slots[1].holds(rootHash: host.newHash))
        #expect(host.actions.loaded == [host.entries + "/qemu-dev_0.2.0+0-1.efi"] && host.actions.watchdogArmed)
        #expect(host.actions.kexecs == 1 && host.actions.firmwareReboots == 0)
        let journal = try #require(try host.loadJournal())
        #expect(journal.isOpen && journal.interrupted == .reboot && journal.method == .kexec)
        #expect(journal.steps.map(\.phase) == [.check, .check, .install, .install, .stage, .stage, .reboot])

        host.actions.running = host.newHash
        #expect(try host.boot(running: host.newHash) == .switched)
        #expect(host.entryNames == ["qemu-dev_0.1.0.efi", "qemu-dev_0.2.0.efi"])
        let closed = try #require(try host.loadJournal())
        #expect(closed.result == .switched)
        #expect((closed.blackout ?? -1) > 0, "the blackout runs from the kexec to the agent's start: \(closed)")
    }

    @Test("kexec, health gate fails: the new entry stays bad, the journal says rolled back, the way back is asked for")
    func kexecSwitchRollsBack() throws {
        let host = try HostFixture()
        _ = try host.run(.kexec)
        var back = false
        let outcome = try host.boot(running: host.newHash, failing: "health.d/vm-net: exit 1", rolledBack: { back = true })
        #expect(outcome == .rolledBack("health.d/vm-net: exit 1") && back)
        #expect(host.entryNames == ["qemu-dev_0.1.0.efi", "qemu-dev_0.2.0+0-1.efi"])
        guard case let .rolledBack(reason)? = try host.loadJournal()?.result else { Issue.record("not rolled back"); return }
        #expect(reason.contains("vm-net"))
        // On the previous slot, by kexec: the closed journal means a plain boot.
        #expect(try host.boot(running: SlotInstallerTests.keptHash) == .plainBoot(healthy: true))
    }

    @Test("a watchdog reset during the trial: firmware boots the previous slot, whose agent marks the new one bad")
    func watchdogResetDuringTrial() throws {
        let host = try HostFixture()
        _ = try host.run(.kexec)
        let outcome = try host.boot(running: SlotInstallerTests.keptHash)
        guard case .rolledBack = outcome else { Issue.record("\(outcome)"); return }
        #expect(host.entryNames == ["qemu-dev_0.1.0.efi", "qemu-dev_0.2.0+0-1.efi"], "bad, never preferred again")
        guard case .rolledBack? = try host.loadJournal()?.result else { Issue.record("journal not closed"); return }
    }

    @Test("--reboot: the entry keeps 3 tries and the firmware reboots; --no-reboot: installed, closed")
    func rebootAndNoReboot() throws {
        let host = try HostFixture()
        _ = try host.run(.reboot)
        #expect(host.entryNames.contains("qemu-dev_0.2.0+3.efi") && host.actions.firmwareReboots == 1 && host.actions.kexecs == 0)
        #expect(host.actions.loaded.isEmpty && !host.actions.watchdogArmed)

        let other = try HostFixture()
        let outcome = try other.run(.none)
        guard case .installed = outcome else { Issue.record("\(outcome)"); return }
        #expect(try other.loadJournal()?.result == .installed && other.actions.kexecs == 0 && other.actions.firmwareReboots == 0)
        #expect(other.entryNames.contains("qemu-dev_0.2.0+3.efi"))
    }

    @Test("--plan, and every refusal, write nothing: disk, ESP and journal as they were")
    func refusalsWriteNothing() throws {
        let host = try HostFixture()
        let disk = host.base.diskBytes
        let entries = host.entryNames
        var options = host.options()
        options.planOnly = true
        let planned = try HostSwitch(options: options, host: host.actions, report: { _ in }).run(try UpdateBundle.Reader(path: host.base.bundle))
        guard case let .planned(text, _) = planned else { Issue.record("\(planned)"); return }
        #expect(text.contains("0.1.0 → 0.2.0") && text.contains("slot B"), "\(text)")

        func refused(_ fixture: HostFixture, _ expected: String, _ change: (inout HostSwitch.Options) -> Void = { _ in }) {
            var options = fixture.options()
            change(&options)
            do {
                _ = try HostSwitch(options: options, host: fixture.actions, report: { _ in }).run(try UpdateBundle.Reader(path: fixture.base.bundle))
                Issue.record("not refused: \(expected)")
            } catch {
                #expect("\(error)".contains("nothing was written") && "\(error)".contains(expected), "\(error)")
            }
        }
        refused(try HostFixture(trusted: false), "trust")
        refused(host, "trust") { $0.trustDirectory = host.base.scratch.path("no-such-dir") }
        refused(try HostFixture(version: "0.1.0"), "not newer")
        host.actions.kexecProblem = "the running kernel has no kexec"
        refused(host, "--reboot")
        host.actions.kexecProblem = nil
        #expect(host.base.diskBytes == disk && host.entryNames == entries && !FileManager.default.fileExists(atPath: host.journal))

        // A foreign signer: the trust store holds another certificate.
        let foreign = try HostFixture()
        try Data(host.base.certificatePEM).write(to: URL(fileURLWithPath: foreign.trust + "/signer.pem"))
        refused(foreign, "signature")
    }

    @Test("an open transaction blocks a new switch until the boot-time agent closes it")
    func openJournalRefuses() throws {
        let host = try HostFixture()
        _ = try host.run(.kexec)
        #expect(throws: SwitchError.self) { try host.run(.kexec) }
        _ = try host.boot(running: SlotInstallerTests.keptHash)  // the watchdog path closes it
        #expect(try host.loadJournal()?.isOpen == false)
    }

    @Test("a kernel the running one refuses to load: the stage fails, the slot stays installed and unpreferred, closed")
    func stageFailure() throws {
        let host = try HostFixture()
        host.actions.failKexecLoad = "kexec_file_load: Key was rejected by service (EKEYREJECTED)"
        #expect(throws: SwitchError.self) { try host.run(.kexec) }
        let journal = try #require(try host.loadJournal())
        guard case let .failed(reason)? = journal.result else { Issue.record("\(journal)"); return }
        #expect(reason.contains("EKEYREJECTED") && host.actions.kexecs == 0)
        #expect(host.entryNames.contains("qemu-dev_0.2.0+0-1.efi"))
    }

    @Test("versions: numbers compare as numbers, ~ sorts first")
    func versionOrder() {
        #expect(VersionOrder.compare("0.10.0", "0.9.9") > 0)
        #expect(VersionOrder.compare("1.0", "1.0~rc2") > 0)
        #expect(VersionOrder.compare("0.2.0", "0.2.0") == 0)
        #expect(VersionOrder.compare("2026.12.1", "2026.9.30") > 0)
    }
}
