import Agent
import ByteCodec
import Foundation
import Testing
import TestSupport

/// `status` on a real GPT disk image, a directory playing the ESP and a journal file.
@Suite struct HostStatusTests {
    static func read(_ scratch: ScratchDirectory, disk: String, esp: String?, running: [UInt8]?) throws -> HostStatus {
        try HostStatus.read(disk: disk, entriesDirectory: esp, journalPath: scratch.path("journal"),
                            commandLine: running.map { "roothash=\(Hex.encode($0)) console=ttyS0" },
                            commandLineOfUKI: { try String(contentsOfFile: $0, encoding: .utf8) })
    }

    @Test func slotsEntriesAndTheRunningOne() throws {
        let scratch = try ScratchDirectory()
        let disk = try SlotEmptierTests.disk(in: scratch)
        let esp = try SlotEmptierTests.esp(in: scratch)
        let status = try Self.read(scratch, disk: disk, esp: esp, running: SlotEmptierTests.hashA)
        #expect(status.slots.map(\.letter) == ["A", "B"])
        #expect(status.slots[0].running && status.slots[0].boot == "good" && status.slots[0].entry == "qemu-dev_0.1.0.efi")
        #expect(!status.slots[1].running && status.slots[1].boot == "counting" && status.slots[1].triesLeft == 3)
        #expect(status.lines.contains("slot A: qemu-dev_0.1.0 good, running, root hash aaaaaaaaaaaaaaaa…, entry qemu-dev_0.1.0.efi"))
        #expect(status.lines.hasSuffix("last switch: none"))
        let offline = try Self.read(scratch, disk: disk, esp: nil, running: nil)
        #expect(offline.slots.allSatisfy { $0.boot == "unknown" && !$0.running })
    }

    @Test func theLastSwitchAndItsJSON() throws {
        let scratch = try ScratchDirectory()
        let disk = try SlotEmptierTests.disk(in: scratch)
        var journal = SwitchJournalTests.journal()
        journal.begin(.check, at: SwitchJournalTests.moment(10))
        journal.end(.check, at: SwitchJournalTests.moment(11.25))
        journal.begin(.install, at: SwitchJournalTests.moment(12))
        try journal.save(scratch.path("journal"))
        let status = try Self.read(scratch, disk: disk, esp: nil, running: SlotEmptierTests.hashA)
        #expect(status.lines.contains("last switch: 3f9c0d2a5e41b7a8 qemu-dev 0.2.0 into slot B by kexec: open, interrupted during install"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(status.json.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["disk", "slots", "lastSwitch", "journalProblem"])
        let last = try #require(object["lastSwitch"] as? [String: Any])
        #expect(last["result"] as? String == "open" && last["interrupted"] as? String == "install" && last["targetSlot"] as? String == "B")
        let phases = try #require(last["phases"] as? [[String: Any]])
        #expect(phases.count == 3 && phases[1]["at"] as? Double == 11.25)
        try "not a journal".write(toFile: scratch.path("journal"), atomically: true, encoding: .utf8)
        let broken = try Self.read(scratch, disk: disk, esp: nil, running: nil)
        #expect(broken.journal == nil && broken.journalProblem?.contains("not a hostimg journal") == true)
    }
}
