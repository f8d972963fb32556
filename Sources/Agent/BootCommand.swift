import ByteCodec
import Slots
import SystemIO

/// `hostimg-agent boot`: the journal-aware health gate of every boot (docs/agent.md).
enum BootCommand {
    static let journalPath = SwitchJournal.defaultPath

    static func main(_ options: AgentCommand.Options, readUKICommandLine: @escaping @Sendable (String) throws -> String,
                     resumeVMs: @escaping (inout SwitchJournal) -> Void = { _ in }) -> Int32 {
        let journal: SwitchJournal?
        do {
            journal = try SwitchJournal.load(journalPath)
        } catch {
            // A journal nobody can read must not keep a healthy host from being blessed.
            AgentCommand.write("hostimg-agent: boot: cannot read \(journalPath) (\(error)); running the plain health gate", error: true)
            if options.early { return 1 }
            return AgentCommand.health(options, readUKICommandLine: readUKICommandLine)
        }
        let commandLine = (try? SystemIO.readFile("/proc/cmdline", limit: 1 << 16)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let running = RunningSlot.rootHash(commandLine: commandLine)
        let entries = options.esp + "/EFI/Linux"
        guard let journal, journal.isOpen else {
            if options.early { return 0 }
            let status = AgentCommand.health(options, readUKICommandLine: readUKICommandLine)
            resumeLeftovers(running: running, entries: entries, readUKICommandLine: readUKICommandLine, resumeVMs: resumeVMs)
            return status
        }
        let disk = running.flatMap { try? HostDisk.locate(rootHash: $0) } ?? ""
        let finisher = SwitchFinisher(
            journalPath: journalPath, entriesDirectory: entries,
            emptier: SlotEmptier(disk: disk, entriesDirectory: entries, commandLineOfUKI: readUKICommandLine),
            commandLineOfUKI: readUKICommandLine, now: now)
        if options.early {
            do {
                if try finisher.markStart(runningRootHash: running) {
                    AgentCommand.write("hostimg-agent: boot: transaction \(journal.transaction): the agent started on \(journal.name) \(journal.version)", error: false)
                }
                return 0
            } catch {
                AgentCommand.write("hostimg-agent: boot: cannot record the agent's start in \(journalPath): \(error)", error: true)
                return 1
            }
        }
        var status: Int32 = 0
        do {
            let outcome = try finisher.run(
                runningRootHash: running,
                gate: {
                    let result = AgentCommand.gate(options, readUKICommandLine: readUKICommandLine)
                    status = result.status
                    return result.failure
                },
                rollBack: { rollBack(to: journal.previousRootHash, entries: entries, readUKICommandLine: readUKICommandLine) },
                disarmWatchdog: { _ = try? HostWatchdog().disarm() }, resumeVMs: resumeVMs)
            AgentCommand.write("hostimg-agent: boot: transaction \(journal.transaction): \(outcome)", error: false)
            resumeLeftovers(running: running, entries: entries, readUKICommandLine: readUKICommandLine, resumeVMs: resumeVMs)
        } catch {
            AgentCommand.write("hostimg-agent: boot: transaction \(journal.transaction) could not be finished: \(error)", error: true)
            return 3
        }
        return status
    }

    static func now() -> SwitchJournal.Moment { .now() }

    /// VMs a closed transaction left waiting (after a rollback, or a boot that stopped while
    /// resuming them), resumed on this slot.
    static func resumeLeftovers(running: [UInt8]?, entries: String, readUKICommandLine: @escaping @Sendable (String) throws -> String,
                                resumeVMs: (inout SwitchJournal) -> Void) {
        let finisher = SwitchFinisher(
            journalPath: journalPath, entriesDirectory: entries,
            emptier: SlotEmptier(disk: "", entriesDirectory: entries, commandLineOfUKI: readUKICommandLine),
            commandLineOfUKI: readUKICommandLine, now: now)
        do {
            if try finisher.resumeLeftovers(runningRootHash: running, resumeVMs: resumeVMs) {
                AgentCommand.write("hostimg-agent: boot: resumed the VMs the last switch left waiting (hostimg status)", error: false)
            }
        } catch {
            AgentCommand.write("hostimg-agent: boot: cannot resume the VMs the last switch left waiting: \(error)", error: true)
        }
    }

    /// Back to the previous slot (AGENT.md, phase 4, on failure): by kexec of its UKI on the
    /// ESP, the way the switch came; when that cannot be loaded, through the firmware, which
    /// prefers the previous slot now that the new one is marked bad.
    static func rollBack(to previous: String, entries: String, readUKICommandLine: @escaping @Sendable (String) throws -> String) {
        do {
            guard let hash = Hex.decode(previous),
                  let entry = try Blessing(entriesDirectory: entries, commandLineOfUKI: readUKICommandLine).entries(booting: hash).first else {
                throw AgentError.slot("no UKI in \(entries) boots the previous root hash \(previous.prefix(12))…")
            }
            try KexecImage(uki: entries + "/" + entry.fileName).load()
            AgentCommand.write("hostimg-agent: boot: rolling back: kexec into \(entry.fileName)", error: true)
            SystemIO.syncAll()
            try SystemIO.reboot(.kexec)
        } catch {
            AgentCommand.write("hostimg-agent: boot: rolling back by kexec failed (\(error)); rebooting through the firmware", error: true)
            SystemIO.syncAll()
            _ = try? SystemIO.run("/usr/bin/systemctl", ["reboot"])
        }
    }
}

extension SwitchJournal.Moment {
    /// Now, for the journal: the wall clock and this boot's id.
    public static func now() -> SwitchJournal.Moment {
        let bootID = (try? SystemIO.readFile("/proc/sys/kernel/random/boot_id", limit: 64))
            .map { String(decoding: $0, as: UTF8.self).trimmingWhitespace } ?? "unknown"
        return SwitchJournal.Moment(seconds: SystemIO.wallClock(), bootID: bootID)
    }
}
