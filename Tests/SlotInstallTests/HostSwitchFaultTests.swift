import Agent
import BootEntries
import Bundle
import ByteCodec
import DMVerity
import Foundation
import GPT
import HostSwitch
import Slots
import SlotInstall
import SystemIO
import Testing
import TestSupport

/// The journal under faults (issue 15): a switch whose system layer fails (a transient EIO)
/// or crashes (every later write lost) at each of its writes and each of its fsyncs in turn,
/// followed each time by the boot-time agent on whatever the firmware would boot then. Every
/// run must end consistent: the journal closed, the running slot and its entry untouched,
/// no entry that boots a slot which is not whole, and a new switch that succeeds.
@Suite struct HostSwitchFaultTests {
    enum Step: CustomStringConvertible {
        case pwrite(Int), fsync(Int)
        var trigger: FaultySystemCalls.Trigger {
            switch self {
            case let .pwrite(n): return .pwrite(n)
            case let .fsync(n): return .fsync(n)
            }
        }
        var description: String {
            switch self {
            case let .pwrite(n): return "pwrite #\(n)"
            case let .fsync(n): return "fsync #\(n)"
            }
        }
    }

    @Test("a fault at every write and fsync of a switch, then the boot-time agent: consistent every time",
          arguments: [SwitchJournal.Method.kexec, .reboot], [true, false])
    func everyStep(method: SwitchJournal.Method, crash: Bool) throws {
        let host = try HostFixture()
        let pristine = try host.snapshot()
        let counter = FaultySystemCalls(trigger: .never)
        _ = try SystemIO.$calls.withValue(counter) { try host.run(method) }
        let steps = (1...counter.pwrites).map(Step.pwrite) + (1...counter.fsyncs).map(Step.fsync)
        #expect(steps.count > 20, "a switch writes more than that: \(counter.pwrites) pwrites, \(counter.fsyncs) fsyncs")
        for step in steps {
            try host.restore(pristine)
            let fault = FaultySystemCalls(trigger: step.trigger, effect: crash ? .crash : .fail(EIO))
            let outcome = Result { try SystemIO.$calls.withValue(fault) { try host.run(method) } }
            let running = try host.firmwareChoice(after: outcome, method: method)
            _ = try host.boot(running: running)
            try check(host, after: "\(crash ? "a crash" : "a failure") at \(step) (\(method))", running: running)
        }
    }

    /// The invariants after the boot-time agent ran.
    func check(_ host: HostFixture, after what: String, running: [UInt8]) throws {
        let journal = try host.loadJournal()
        #expect(journal?.isOpen != true, "\(what): the journal is still open: \(String(describing: journal))")
        let slots = host.slots
        #expect(slots[0].label == "qemu-dev_0.1.0" && slots[0].holds(rootHash: SlotInstallerTests.keptHash), "\(what): slot A changed")
        #expect(host.entryNames.contains("qemu-dev_0.1.0.efi"), "\(what): slot A's entry is gone: \(host.entryNames)")
        for name in host.entryNames where !name.hasPrefix(".") {
            let commandLine = try UKICommandLine.read(host.entries + "/" + name)
            guard let hash = RunningSlot.rootHash(commandLine: commandLine) else { continue }
            guard let slot = slots.first(where: { $0.holds(rootHash: hash) }) else {
                Issue.record("\(what): \(name) boots a root hash no slot holds")
                continue
            }
            if slot.letter == "B" {
                #expect(throws: Never.self, "\(what): \(name) boots slot B, which does not read back") {
                    try host.verifySlotB()
                }
            }
        }
        if running == SlotInstallerTests.keptHash {
            // Back on slot A: a new switch works from here.
            #expect(throws: Never.self, "\(what): the next switch failed") { _ = try host.run(.kexec) }
        } else {
            #expect(journal?.result == .switched, "\(what): the new slot booted but the switch is \(String(describing: journal?.result))")
        }
    }
}

extension HostFixture {
    struct Snapshot {
        var disk: Data
        var entries: [String: Data]
    }

    func snapshot() throws -> Snapshot {
        var entries: [String: Data] = [:]
        for name in entryNames { entries[name] = try Data(contentsOf: URL(fileURLWithPath: self.entries + "/" + name)) }
        return Snapshot(disk: try Data(contentsOf: URL(fileURLWithPath: base.disk)), entries: entries)
    }

    func restore(_ snapshot: Snapshot) throws {
        try snapshot.disk.write(to: URL(fileURLWithPath: base.disk))
        for name in entryNames { try FileManager.default.removeItem(atPath: entries + "/" + name) }
        for (name, bytes) in snapshot.entries { try bytes.write(to: URL(fileURLWithPath: entries + "/" + name)) }
        try? FileManager.default.removeItem(atPath: journal)
        actions.running = SlotInstallerTests.keptHash
    }

    /// What runs after the run: a kexec that happened boots the new slot; otherwise the
    /// host comes back through the firmware, which (like systemd-boot) boots the newest
    /// entry that has tries left, else the newest good one.
    func firmwareChoice(after outcome: Result<HostSwitch.Outcome, any Error>, method: SwitchJournal.Method) throws -> [UInt8] {
        if case .success(.rebooting) = outcome, method == .kexec { return newHash }
        let candidates = entryNames.compactMap { BootEntryName(fileName: $0) }.filter { !$0.isBad }
        let newest = candidates.max { $0.base < $1.base }
        guard let newest else { return SlotInstallerTests.keptHash }
        let commandLine = try UKICommandLine.read(entries + "/" + newest.fileName)
        return RunningSlot.rootHash(commandLine: commandLine) ?? SlotInstallerTests.keptHash
    }

    func verifySlotB() throws {
        let table = try GPT.readRecovering(path: base.disk)
        let slot = SlotTable(table.partitions).slots[1]
        try DMVerity.verify(
            data: DMVerity.Region(path: base.disk, offset: slot.root.partition.offset(sectorSize: table.sectorSize),
                                  length: slot.root.partition.size(sectorSize: table.sectorSize)),
            hash: DMVerity.Region(path: base.disk, offset: slot.verity.partition.offset(sectorSize: table.sectorSize),
                                  length: slot.verity.partition.size(sectorSize: table.sectorSize)),
            rootHash: slot.rootHash)
    }
}
