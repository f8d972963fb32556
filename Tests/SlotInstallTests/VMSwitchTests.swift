import Agent
import Foundation
@testable import HostSwitch
import QMP
import SystemIO
import Testing
import TestSupport
import VMM

/// The VM half of a switch against a real QEMU (TCG) on the test machine, without the kexec:
/// a counting boot-sector guest whose RAM is a shared file in a directory standing in for the
/// preserved region is planned `preserve`, saved (its QEMU quits), and resumed from the
/// sentinel by the boot-time code (a new QEMU, the counter going on); a damaged sentinel
/// makes the resume refuse, name the reason and start nothing.
@Suite(.serialized, .enabled(if: Tools.find("qemu-system-x86_64") != nil, "qemu-system-x86_64 is not installed"))
struct VMSwitchTests {
    struct Setup {
        let scratch: ScratchDirectory
        var options = VMSwitch.Options()
        var socket: String { options.vmsDirectory + "/inner.qmp" }
        var ram: String { options.preservedMount + "/inner.ram" }

        init() throws {
            scratch = try ScratchDirectory()
            for name in ["vms", "preserved", "state"] {
                try FileManager.default.createDirectory(atPath: scratch.path(name), withIntermediateDirectories: true)
            }
            options.vmsDirectory = scratch.path("vms")
            options.preservedMount = scratch.path("preserved")
            options.stateDirectory = scratch.path("state")
            options.sentinelPath = scratch.path("preserved/hostimg-sentinel")
            // Long: the whole suite runs beside this test and may keep its tasks waiting.
            options.connectTimeout = .seconds(120)
            try Data(CounterBootSector.sector).write(to: URL(fileURLWithPath: scratch.path("counter.img")))
        }

        var arguments: [String] {
            [Tools.find("qemu-system-x86_64") ?? "qemu-system-x86_64", "-accel", "tcg", "-machine", "pc-i440fx-7.2", "-m", "16",
             "-display", "none", "-nodefaults", "-serial", "none",
             "-object", "memory-backend-file,id=ram,size=16M,mem-path=\(ram),share=on", "-machine", "memory-backend=ram",
             "-drive", "file=\(scratch.path("counter.img")),format=raw,if=ide", "-qmp", "unix:\(socket),server=on,wait=off"]
        }

        func counter() async throws -> (value: UInt32, pid: Int32) {
            let client = try await QMP.Client.connect(path: socket, timeout: .seconds(120), waitForListener: true)
            defer { client.close() }
            for _ in 0..<200 {
                let output = try await client.execute("human-monitor-command", arguments: ["command-line": .string(CounterBootSector.readCommand)])
                if let value = output.string.flatMap(CounterBootSector.parseCounter), value > 0 { return (value, client.peerProcess.pid) }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw SwitchError.refused("the counter stayed 0")
        }
    }

    /// `body` on a thread of its own: the switch code waits for its async parts on the
    /// calling thread, which must not be one of the few threads of Swift's pool.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    static func journal() -> SwitchJournal {
        SwitchJournal(transaction: "t-vm", name: "qemu-hv", version: "0.2.0", rootHash: "b", previousRootHash: "a",
                      targetSlot: 1, method: .kexec)
    }

    @Test func aPreservedVMIsSavedThenResumedByANewQEMUAndKeepsCounting() async throws {
        let setup = try Setup()
        let first = try VMM.QEMUProcess.spawn(executable: setup.arguments[0], arguments: setup.arguments,
                                              environment: SystemIO.programEnvironment, logPath: setup.scratch.path("first.log"))
        defer { try? first.kill() }
        let before = try await setup.counter()
        let vmSwitch = VMSwitch(options: setup.options)
        let prepared = try await vmSwitch.prepare(newQEMU: .unknown, measuredKexecSeconds: nil)
        #expect(prepared.plan.entries.map(\.path) == [.preserve], "\(prepared.plan.text)")
        let region = Sentinel.Region(size: "1G", offset: "4G")
        var journal = try await Self.offPool { [prepared] in
            var journal = Self.journal()
            try vmSwitch.preserve(prepared, region: region, journal: &journal, save: { _ in }, report: { _ in })
            return journal
        }
        #expect(journal.vms.first?.steps.map(\.event) == [.stopped, .saved, .quit], "\(journal.encoded())")
        #expect(await first.waitForExit(timeout: .seconds(10)), "the saved QEMU did not quit")

        journal = try await Self.offPool { [journal] in
            var resumed = journal
            vmSwitch.resumeAfterKexec(&resumed, commandLine: "roothash=b memmap=1G!4G", report: { _ in })
            return resumed
        }
        let vm = try #require(journal.vms.first)
        #expect(vm.steps.last?.event == .resumed, "\(journal.encoded())")
        let after = try await setup.counter()
        defer { _ = kill(after.pid, SIGKILL) }
        #expect(after.value >= before.value && after.pid != before.pid, "before \(before), after \(after)")
        #expect((vm.blackout ?? 0) > 0 && (vm.saveSeconds ?? -1) >= 0 && (vm.restoreSeconds ?? -1) >= 0)
    }

    @Test func aDamagedSentinelOrAnotherRegionRefusesTheResumeAndStartsNothing() async throws {
        let setup = try Setup()
        let first = try VMM.QEMUProcess.spawn(executable: setup.arguments[0], arguments: setup.arguments,
                                              environment: SystemIO.programEnvironment, logPath: setup.scratch.path("first.log"))
        defer { try? first.kill() }
        _ = try await setup.counter()
        var options = setup.options
        options.corruptSentinel = true
        let vmSwitch = VMSwitch(options: options)
        let prepared = try await vmSwitch.prepare(newQEMU: .unknown, measuredKexecSeconds: nil)
        let saved = try await Self.offPool { [prepared] in
            var journal = Self.journal()
            try vmSwitch.preserve(prepared, region: Sentinel.Region(size: "1G", offset: "4G"), journal: &journal,
                                  save: { _ in }, report: { _ in })
            return journal
        }
        #expect(await first.waitForExit(timeout: .seconds(10)))
        let ramBefore = try Data(contentsOf: URL(fileURLWithPath: setup.ram))
        for commandLine in ["roothash=b memmap=1G!4G", "roothash=b memmap=2G!4G"] {
            let journal = try await Self.offPool { [saved] in
                var resumed = saved
                var lines: [String] = []
                vmSwitch.resumeAfterKexec(&resumed, commandLine: commandLine, report: { lines.append($0) })
                #expect(lines.contains { $0.contains("NOT resumed") && $0.contains("sentinel") }, "\(lines)")
                return resumed
            }
            #expect(journal.vms.first?.failure?.contains("sentinel") == true, "\(journal.encoded())")
            #expect(journal.vmsAwaitingResume.isEmpty)
        }
        let answered = (try? await QMP.Client.connect(path: setup.socket, timeout: .seconds(2))) != nil
        #expect(!answered, "a VM was started over a damaged sentinel")
        #expect(try Data(contentsOf: URL(fileURLWithPath: setup.ram)) == ramBefore, "the VM's RAM was touched")
    }
}

/// The pure parts of the VM switch: the region's identity from a command line and the new
/// slot's QEMU from its os-release.
@Suite struct VMSwitchFactsTests {
    @Test func theRegionIsTheLastMemmapWithAnOffset() {
        #expect(VMSwitch.region(commandLine: "roothash=ab memmap=1G!4G quiet") == Sentinel.Region(size: "1G", offset: "4G"))
        #expect(VMSwitch.region(commandLine: "memmap=512M!2G memmap=1G!4G") == Sentinel.Region(size: "1G", offset: "4G"))
        #expect(VMSwitch.region(commandLine: "memmap=64M$0x100000 quiet") == nil)
        #expect(VMSwitch.region(commandLine: "roothash=ab") == nil)
        // A UKI's .cmdline as read from the section: a newline and NULs at the end.
        #expect(VMSwitch.region(commandLine: "roothash=ab memmap=1G!4G\n\0\0") == Sentinel.Region(size: "1G", offset: "4G"))
    }

    @Test func theNewSlotsQEMUComesFromItsDebianVersion() {
        let running = [QEMUVersion(major: 7, minor: 2, micro: 22)]
        #expect(VMSwitch.newSlotQEMU(osRelease: [:], running: running) == .absent)
        #expect(VMSwitch.newSlotQEMU(osRelease: ["HOSTIMG_QEMU_VERSION": "1:7.2+dfsg-7+deb12u18+b3"], running: running)
                == .version(QEMUVersion(major: 7, minor: 2, micro: 22)))
        #expect(VMSwitch.newSlotQEMU(osRelease: ["HOSTIMG_QEMU_VERSION": "1:8.2.2+ds-0ubuntu1"], running: running)
                == .version(QEMUVersion(major: 8, minor: 2, micro: 2)))
        #expect(VMSwitch.newSlotQEMU(osRelease: ["HOSTIMG_QEMU_VERSION": "1:6.2+dfsg-2"], running: running)
                == .version(QEMUVersion(major: 6, minor: 2, micro: 0)))
        #expect(VMSwitch.newSlotQEMU(osRelease: ["HOSTIMG_QEMU_VERSION": "garbage"], running: running) == .unknown)
    }
}
