import Agent
import Bundle
import ByteCodec
import GPT
import Slots
import SlotInstall
import SystemIO

/// `hostimg switch` on a host (AGENT.md, phases 0–3): check the bundle (nothing written),
/// install it into the inactive slot, stage the new kernel, and move the host onto it by kexec
/// (or a firmware reboot, or not at all), with the journal rewritten atomically at every phase
/// boundary so the boot-time agent (`SwitchFinisher`) can finish or undo whatever a crash, a
/// power cut or a kill interrupted.
///
/// | method | new entry | stage | last step |
/// | --- | --- | --- | --- |
/// | kexec | `NAME_VERSION+0-1.efi` (firmware keeps the previous slot during the trial) | kexec_file_load of that UKI, watchdog armed | sync, reboot(KEXEC) |
/// | reboot | `NAME_VERSION+3.efi` (systemd-boot tries it first) | nothing | `systemctl reboot` |
/// | none (`--no-reboot`) | `NAME_VERSION+3.efi` | — | journal closed as installed |
public struct HostSwitch {
    public struct Options: Sendable {
        public var method: SwitchJournal.Method = .kexec
        /// Phase 0 only: print what would happen.
        public var planOnly = false
        /// The disk; nil: the one holding the running slot.
        public var disk: String?
        public var esp = "/efi"
        public var journalPath = SwitchJournal.defaultPath
        public var trustDirectory = TrustStore.defaultDirectory
        public var watchdogTimeout = HostWatchdog.defaultTimeout
        public var allowDowngrade = false
        /// Read every payload once before the slot is touched (a file or a device); false for
        /// a stream read once (HTTP), checked while it is written.
        public var verifyFirst = true
        /// The VMs' part (`VMSwitch`): where their sockets are, `--allow-cold`.
        public var vms = VMSwitch.Options()

        public init() {}
    }

    public enum Outcome: Sendable, Equatable {
        /// `--plan`: what would happen, and the VM plan as JSON (`VMPlan+JSON.swift`) when VMs run.
        case planned(String, vms: String? = nil)
        /// Installed; `--no-reboot`.
        case installed(String)
        /// The kexec or reboot was asked for (returns only in tests and with systemctl).
        case rebooting(String)
    }

    public var options: Options
    public var host: any HostActions
    /// One line per step (progress display or plain lines).
    public var report: (String) -> Void

    public init(options: Options, host: any HostActions, report: @escaping (String) -> Void) {
        self.options = options
        self.host = host
        self.report = report
    }

    var entriesDirectory: String { options.esp + "/EFI/Linux" }

    /// Everything phase 0 decides, before anything is written.
    struct Checked {
        var running: [UInt8]
        var disk: String
        var plan: SlotInstaller.Plan
        var installer: SlotInstaller
        var runningLabel: String
    }

    public func run(_ bundle: UpdateBundle.Reader) throws -> Outcome {
        let started = host.moment()
        // The VMs first: a plan that refuses does so in a second, not after the payloads' check.
        var vms = try prepareVMs()
        defer { vms?.close() }
        let checked = try check(bundle)
        try planVMs(&vms, manifest: bundle.manifest)
        let plan = checked.plan
        let how: String
        switch options.method {
        case .kexec: how = "then kexec into it (the previous slot stays the firmware's choice until the new one is blessed)"
        case .reboot: how = "then reboot through the firmware, which tries it first (3 tries)"
        case .none: how = "and stop there: the next reboot tries it first"
        }
        let summary = "\(plan.name) \(checked.runningLabel.split(separator: "_").last.map(String.init) ?? "?") → \(plan.version): "
            + "write slot \(plan.slotLetter) (now \(plan.previousLabel)) of \(checked.disk), \(how)"
        if options.planOnly {
            return .planned(summary + "; nothing was written" + (vms.map { "\n" + $0.plan.text } ?? ""), vms: vms?.plan.json)
        }
        report("plan: " + summary)
        if let vms { vms.plan.lines.forEach { report("plan: " + $0) } }
        var journal = SwitchJournal(
            transaction: Hex.encode(try host.random().prefix(8)), name: plan.name, version: plan.version,
            rootHash: plan.rootHash, previousRootHash: Hex.encode(checked.running), targetSlot: plan.slotIndex,
            method: options.method)
        try SystemIO.makeDirectory(SystemIO.directory(of: options.journalPath), mode: 0o700)
        journal.begin(.check, at: started)
        journal.end(.check, at: host.moment())
        let entry = try install(bundle, checked: checked, journal: &journal)
        if options.method == .none {
            journal.result = .installed
            try journal.save(options.journalPath)
            return .installed("slot \(plan.slotLetter) holds \(plan.name) \(plan.version); it boots on the next reboot")
        }
        if vms != nil { try replanVMs(&vms, entry: entry, journal: &journal) }
        try stage(entry: entry, journal: &journal)
        if let vms { try preserveVMs(vms, journal: &journal) }
        return try reboot(journal: &journal)
    }

    /// Phase 0: the running slot, the disk, no open transaction, the trust store, the bundle
    /// (signature, name, architecture, sizes, and unless streamed every payload), the version
    /// order, kexec. Writes nothing.
    func check(_ bundle: UpdateBundle.Reader) throws -> Checked {
        guard let running = RunningSlot.rootHash(commandLine: try host.commandLine()) else {
            throw SwitchError.refused("/proc/cmdline has no roothash=: this host does not run a hostimg slot")
        }
        let disk = try options.disk ?? HostDisk.locate(rootHash: running)
        if let open = try SwitchJournal.load(options.journalPath), open.isOpen {
            throw SwitchError.refused("transaction \(open.transaction) (\(open.name) \(open.version)) is still open in "
                + "\(options.journalPath), last phase \(open.lastStep.map { "\($0.phase.rawValue) \($0.outcome)" } ?? "none"); "
                + "the boot-time agent (hostimg-agent boot) finishes or undoes it")
        }
        let trust: TrustStore
        do {
            trust = try TrustStore.load(directory: options.trustDirectory)
        } catch {
            throw SwitchError.refused("\(error)")
        }
        var installer = SlotInstaller(disk: disk, trusted: trust.certificates, report: report)
        installer.counter = options.method == .kexec ? .init(left: 0, done: 1) : .init(left: 3)
        let plan = try installer.check(bundle, keep: .rootHash(running), verifyPayloads: options.verifyFirst)
        let runningLabel = SlotTable(try GPT.readRecovering(path: disk).partitions).slots.first { $0.holds(rootHash: running) }?.label ?? "?"
        if !options.allowDowngrade, let current = runningLabel.split(separator: "_").last.map(String.init),
           VersionOrder.compare(plan.version, current) <= 0 {
            throw SwitchError.refused("the bundle's version \(plan.version) is not newer than the running \(current) "
                + "(--allow-downgrade installs it anyway)")
        }
        if options.method == .kexec, let problem = host.kexecUnavailable() {
            throw SwitchError.refused("\(problem); --reboot switches through the firmware instead")
        }
        return Checked(running: running, disk: disk, plan: plan, installer: installer, runningLabel: runningLabel)
    }
}

/// Why a switch stopped. A refusal means nothing was written.
public enum SwitchError: Error, Sendable, CustomStringConvertible {
    case refused(String)
    case failed(phase: SwitchJournal.Phase, reason: String)

    public var description: String {
        switch self {
        case let .refused(reason): return "refused (nothing was written): \(reason)"
        case let .failed(phase, reason): return "\(phase.rawValue) failed: \(reason)"
        }
    }
}
