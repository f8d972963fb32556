import Agent
import Bundle
import SystemIO
import VMM

/// The VMs in the switch's phases: planned in phase 0 (a blocked plan refuses the switch with
/// nothing written and nothing paused), planned again once the new slot's UKI says which QEMU
/// it carries, and preserved after the stage phase, right before the kexec.
extension HostSwitch {
    /// Phase 0's VM plan; nil when no VM runs (or `--no-reboot`, which leaves them alone).
    func prepareVMs() throws -> VMSwitch.Prepared? {
        // No socket, no VM: nothing to plan, and no async work to wait for (AsyncBridge).
        guard options.method != .none, !VMSwitch(options: options.vms).sockets().isEmpty else { return nil }
        let kexecSeconds = (try? SwitchJournal.load(options.journalPath))?.flatMap(\.blackout)
        let vmSwitch = VMSwitch(options: options.vms)
        let prepared = try AsyncBridge.wait { try await vmSwitch.prepare(newQEMU: .unknown, measuredKexecSeconds: kexecSeconds) }
        guard !prepared.isEmpty else {
            prepared.close()
            return nil
        }
        if options.method == .reboot, !options.vms.allowCold {
            prepared.close()
            throw SwitchError.refused("\(prepared.plan.entries.count) VM(s) run here and a firmware reboot would stop them "
                + "(\(prepared.plan.entries.map(\.name).joined(separator: ", "))); a kexec switch keeps them, --allow-cold "
                + "shuts them down and starts them afresh; nothing was paused")
        }
        if let refusal = prepared.plan.refusal {
            prepared.close()
            throw SwitchError.refused(refusal)
        }
        if prepared.plan.entries.contains(where: { $0.path == .preserve }),
           VMSwitch.region(commandLine: (try? host.commandLine()) ?? "") == nil {
            prepared.close()
            throw SwitchError.refused("VMs keep their RAM in \(options.vms.preservedMount), but this kernel's command line "
                + "reserves no region (no memmap=SIZE!OFFSET): their RAM would not survive the kexec; nothing was paused")
        }
        return prepared
    }

    /// Still in phase 0, once the bundle is checked: its signed manifest's command line and
    /// QEMU (bundles of older builds carry neither; then the install's UKI decides) against
    /// the running VMs and this slot's reservation. A plan that becomes blocked refuses the
    /// switch with nothing written and nothing paused.
    func planVMs(_ vms: inout VMSwitch.Prepared?, manifest: UpdateBundle.Manifest) throws {
        guard let commandLine = manifest.commandLine else { return }
        let osRelease = manifest.qemuVersion.map { ["HOSTIMG_QEMU_VERSION": $0] } ?? [:]
        if let refusal = replan(&vms, osRelease: osRelease, commandLine: commandLine) {
            throw SwitchError.refused(refusal.hasSuffix("nothing was paused") ? refusal : refusal + "; nothing was paused")
        }
    }

    /// After the install: the new slot's QEMU (its UKI's `HOSTIMG_QEMU_VERSION`) against the
    /// running ones. A plan that becomes blocked stops the switch with the slot installed and
    /// nothing paused.
    func replanVMs(_ vms: inout VMSwitch.Prepared?, entry: String, journal: inout SwitchJournal) throws {
        guard vms != nil, let refusal = replan(&vms, osRelease: (try? UKIOSRelease.read(entry)) ?? [:],
                                                commandLine: (try? UKICommandLine.read(entry)) ?? "")
        else { return }
        journal.fail(.stage, reason: refusal, at: host.moment())
        journal.result = .failed("the VMs cannot cross to the new slot: \(refusal); \(journal.name) \(journal.version) stays installed but is not booted")
        try? journal.save(options.journalPath)
        throw SwitchError.failed(phase: .stage, reason: refusal)
    }

    /// The plan against the new slot's QEMU (from its os-release fields) and its command line;
    /// why it is blocked, or nil (also when no VM runs).
    func replan(_ vms: inout VMSwitch.Prepared?, osRelease: [String: String], commandLine: String) -> String? {
        guard var prepared = vms else { return nil }
        let running = prepared.plan.entries.compactMap(\.qemuVersion)
        prepared.replan(newQEMU: VMSwitch.newSlotQEMU(osRelease: osRelease, running: running))
        vms = prepared
        return prepared.plan.refusal ?? regionChange(prepared, newCommandLine: commandLine)
    }

    /// Why the new slot's reservation cannot take the preserved VMs: its command line (the
    /// bundle manifest's or its UKI's) reserves another region (or none), so the new kernel
    /// would hand their RAM to its allocator. Nil when the regions are the same or no VM
    /// keeps RAM there.
    func regionChange(_ prepared: VMSwitch.Prepared, newCommandLine: String) -> String? {
        guard prepared.plan.entries.contains(where: { $0.path == .preserve }) else { return nil }
        let running = VMSwitch.region(commandLine: (try? host.commandLine()) ?? "")
        let new = VMSwitch.region(commandLine: newCommandLine)
        guard running != new else { return nil }
        func show(_ region: Sentinel.Region?) -> String { region.map { "memmap=\($0.size)!\($0.offset)" } ?? "no memmap=" }
        return "the new slot reserves \(show(new)) and this one \(show(running)): the preserved VMs' RAM would be handed "
            + "to the new kernel's allocator; nothing was paused"
    }

    /// Stops and saves every VM (they run again here if that fails), then the sentinel.
    func preserveVMs(_ prepared: VMSwitch.Prepared, journal: inout SwitchJournal) throws {
        let region = VMSwitch.region(commandLine: (try? host.commandLine()) ?? "")
        report("vms: pausing \(prepared.plan.entries.count) VM(s)" + (prepared.plan.predictedBlackout.map { ", predicted blackout \(SwitchJournal.format($0)) s" } ?? ""))
        let path = options.journalPath
        do {
            try VMSwitch(options: options.vms).preserve(prepared, region: region, journal: &journal,
                                                       save: { try $0.save(path) }, report: report)
        } catch {
            host.disarmWatchdog()
            host.unloadKexec()
            journal.fail(.stage, reason: "\(error)", at: host.moment())
            journal.result = .failed("\(error); \(journal.name) \(journal.version) stays installed but is not booted")
            try? journal.save(path)
            throw error
        }
    }
}
