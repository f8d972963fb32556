import Agent
import Bundle
import ByteCodec
import Foundation
import GPT
import HostSwitch
import Slots
import SlotInstall
import SystemIO
import Testing
import TestSupport

/// A host in a directory, for the on-host switch: the disk image of `SlotInstallerTests`
/// (slot A runs 0.1.0), a mounted ESP as a directory with slot A's UKI, the journal, a trust
/// store holding the bundle's certificate, and `FakeActions` in place of /proc/cmdline,
/// kexec, the watchdog and the reboot (recorded, never real).
final class HostFixture {
    let base: SlotInstallerTests.Fixture
    let esp: String
    let journal: String
    let trust: String
    let actions: FakeActions

    /// `slotFacts`: the bundle manifest's command line and QEMU version (none when nil).
    init(version: String = "0.2.0", trusted: Bool = true, slotFacts: (commandLine: String, qemu: String?)? = nil) throws {
        base = try SlotInstallerTests.Fixture(version: version, uki: true, slotFacts: slotFacts)
        esp = base.scratch.path("efi")
        journal = base.scratch.path("state/hostimg/journal")
        trust = base.scratch.path("trust")
        try FileManager.default.createDirectory(atPath: esp + "/EFI/Linux", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: trust, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: base.scratch.path("state"), withIntermediateDirectories: true)
        if trusted {
            try Data(base.certificatePEM).write(to: URL(fileURLWithPath: trust + "/signer.pem"))
        }
        actions = FakeActions(running: SlotInstallerTests.keptHash)
        try Data(try SlotInstallerTests.uki(rootHash: SlotInstallerTests.keptHash))
            .write(to: URL(fileURLWithPath: esp + "/EFI/Linux/qemu-dev_0.1.0.efi"))
    }

    var entries: String { esp + "/EFI/Linux" }
    var newHash: [UInt8] { base.rootHash }

    func options(_ method: SwitchJournal.Method = .kexec) -> HostSwitch.Options {
        var options = HostSwitch.Options()
        options.method = method
        options.disk = base.disk
        options.esp = esp
        options.journalPath = journal
        options.trustDirectory = trust
        return options
    }

    func hostSwitch(_ method: SwitchJournal.Method = .kexec, lines: Lines = Lines()) -> HostSwitch {
        HostSwitch(options: options(method), host: actions, report: { lines.append($0) })
    }

    func run(_ method: SwitchJournal.Method = .kexec) throws -> HostSwitch.Outcome {
        try hostSwitch(method).run(try UpdateBundle.Reader(path: base.bundle))
    }

    /// The boot-time agent on the next boot, running `rootHash`, with a gate that passes
    /// unless `failing` names a check.
    func boot(running rootHash: [UInt8], failing: String? = nil, rolledBack: (() -> Void)? = nil) throws -> SwitchFinisher.Outcome {
        actions.nextBoot()
        let moments = actions
        let finisher = SwitchFinisher(
            journalPath: journal, entriesDirectory: entries,
            emptier: SlotEmptier(disk: base.disk, entriesDirectory: entries, commandLineOfUKI: UKICommandLine.read),
            commandLineOfUKI: UKICommandLine.read, now: { moments.moment() })
        return try finisher.run(runningRootHash: rootHash, gate: {
            if let failing { return failing }
            _ = try? Blessing(entriesDirectory: entries, commandLineOfUKI: UKICommandLine.read).bless(rootHash: rootHash)
            return nil
        }, rollBack: { rolledBack?() })
    }

    var entryNames: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: entries)) ?? []).sorted() }
    var slots: [Slot] { (try? SlotTable(GPT.readRecovering(path: base.disk).partitions).slots) ?? [] }
    func loadJournal() throws -> SwitchJournal? { try SwitchJournal.load(journal) }
}

/// Lines a switch reported.
final class Lines: @unchecked Sendable {
    private(set) var all: [String] = []
    func append(_ line: String) { all.append(line) }
}

/// The host's kernel-facing side, recorded: what a test asserts instead of a real kexec.
final class FakeActions: HostActions, @unchecked Sendable {
    var running: [UInt8]
    var boot = 1
    var clock = 1_800_000_000.0
    var kexecProblem: String?
    /// More of the running kernel's command line, after `roothash=` (e.g. a `memmap=`).
    var commandLineExtra = ""
    var failKexecLoad: String?
    var watchdog: HostWatchdog.Armed = .armed(seconds: 600)
    private(set) var loaded: [String] = []
    private(set) var kexecs = 0
    private(set) var firmwareReboots = 0
    private(set) var watchdogArmed = false

    init(running: [UInt8]) { self.running = running }

    func nextBoot() { boot += 1 }
    func commandLine() throws -> String { "console=ttyS0 roothash=\(Hex.encode(running)) ro" + commandLineExtra }
    func moment() -> SwitchJournal.Moment {
        clock += 1.5
        return SwitchJournal.Moment(seconds: clock, bootID: "boot-\(boot)")
    }
    func kexecUnavailable() -> String? { kexecProblem }
    func loadKexec(uki path: String) throws {
        if let failKexecLoad { throw AgentError.slot(failKexecLoad) }
        let image = try KexecImage(uki: path)
        #expect(image.kernel.count == 8192 && image.initrd?.count == 4096 && image.commandLine.contains("roothash="))
        loaded.append(path)
    }
    func unloadKexec() { loaded.removeAll() }
    func armWatchdog(timeout: Int32) throws -> HostWatchdog.Armed {
        watchdogArmed = true
        return watchdog
    }
    func disarmWatchdog() { watchdogArmed = false }
    func kexec() throws { kexecs += 1 }
    func firmwareReboot() throws { firmwareReboots += 1 }
    func random() throws -> [UInt8] { (0..<16).map { _ in UInt8.random(in: 0...255) } }
}
