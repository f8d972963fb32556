import Agent
import Bundle
import SlotInstall
import SystemIO

/// Phases 1–3, each bracketed by journal writes: `begin` saved before the phase touches
/// anything, `end` or `fail` saved after it, so the journal on disk always names the phase a
/// crash interrupted.
extension HostSwitch {
    /// Phase 1: the inactive slot emptied, written, read back, relabelled, its UKI added.
    /// Returns the entry's path on the ESP. On failure the slot is made empty again.
    func install(_ bundle: UpdateBundle.Reader, checked: Checked, journal: inout SwitchJournal) throws -> String {
        journal.begin(.install, at: host.moment())
        try journal.save(options.journalPath)
        let host = self.host
        let emptier = SlotEmptier(disk: checked.disk, entriesDirectory: entriesDirectory,
                                  commandLineOfUKI: UKICommandLine.read, random: { try host.random() })
        do {
            removeDebris()
            guard let entry = try checked.installer.install(bundle, plan: checked.plan, emptier: emptier,
                                                            runningRootHash: checked.running) else {
                throw SwitchError.failed(phase: .install, reason: "the bundle carries no UKI: nothing could boot slot \(checked.plan.slotLetter)")
            }
            journal.end(.install, at: host.moment())
            try journal.save(options.journalPath)
            return entriesDirectory + "/" + entry
        } catch {
            let reason = (error as? InstallError)?.reason ?? "\(error)"
            // The slot may be labelled by now (a failed UKI write): empty it again.
            let cleanup = (try? emptier.empty(slot: checked.plan.slotIndex, runningRootHash: checked.running)) != nil
            journal.fail(.install, reason: reason, at: host.moment())
            journal.result = .failed("install failed: \(reason)")
            try? journal.save(options.journalPath)
            throw SwitchError.failed(phase: .install, reason: reason + (cleanup
                ? "; slot \(checked.plan.slotLetter) is empty, the running slot untouched"
                : "; slot \(checked.plan.slotLetter) could not be emptied again: the boot-time agent does it"))
        }
    }

    /// Phase 2: on the kexec path the new kernel loaded from the UKI just written and the
    /// watchdog armed. A failure leaves the slot installed and its entry unpreferred.
    func stage(entry: String, journal: inout SwitchJournal) throws {
        journal.begin(.stage, at: host.moment())
        try journal.save(options.journalPath)
        guard options.method == .kexec else {
            journal.end(.stage, at: host.moment())
            try journal.save(options.journalPath)
            return
        }
        do {
            try host.loadKexec(uki: entry)
            report("stage: \(SystemIO.baseName(of: entry)) loaded for kexec (its .linux, .initrd and .cmdline)")
            switch try host.armWatchdog(timeout: options.watchdogTimeout) {
            case let .armed(seconds):
                report("stage: watchdog armed for \(seconds) s: a new kernel that hangs is reset into the previous slot")
            case .absent:
                report("stage: no watchdog device: a new kernel that hangs stays hung until reset by hand")
            case .busy:
                report("stage: \(HostWatchdog.defaultDevice) is held by another process (systemd's RuntimeWatchdogSec=?), which keeps it running")
            }
        } catch {
            host.unloadKexec()
            journal.fail(.stage, reason: "\(error)", at: host.moment())
            journal.result = .failed("stage failed: \(error); \(journal.name) \(journal.version) stays installed but is not booted")
            try? journal.save(options.journalPath)
            throw SwitchError.failed(phase: .stage, reason: "\(error)")
        }
        journal.end(.stage, at: host.moment())
        try journal.save(options.journalPath)
    }

    /// Phase 3: the journal says the reboot began, then the kexec or the firmware reboot.
    func reboot(journal: inout SwitchJournal) throws -> Outcome {
        journal.begin(.reboot, at: host.moment())
        try journal.save(options.journalPath)
        do {
            if options.method == .kexec {
                report("reboot: kexec into \(journal.name) \(journal.version)")
                try host.kexec()
            } else {
                report("reboot: through the firmware into \(journal.name) \(journal.version)")
                try host.firmwareReboot()
            }
            return .rebooting("\(journal.name) \(journal.version) by \(options.method.rawValue)")
        } catch {
            host.disarmWatchdog()
            host.unloadKexec()
            journal.fail(.reboot, reason: "\(error)", at: host.moment())
            journal.result = .failed("reboot failed: \(error); \(journal.name) \(journal.version) stays installed but is not booted")
            try? journal.save(options.journalPath)
            throw SwitchError.failed(phase: .reboot, reason: "\(error)")
        }
    }

    /// Hidden temporary files a killed install left in the entries directory.
    func removeDebris() {
        for name in (try? SystemIO.list(entriesDirectory)) ?? [] where name.hasPrefix(".") && name.contains(".tmp-") {
            SystemIO.removeIfPresent(entriesDirectory + "/" + name)
        }
    }
}
