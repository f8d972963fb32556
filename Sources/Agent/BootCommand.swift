import ByteCodec
import Slots
import SystemIO

/// `hostimg-agent boot`: the journal-aware health gate of every boot (docs/agent.md).
enum BootCommand {
    static let journalPath = SwitchJournal.defaultPath

    static func main(_ options: AgentCommand.Options, readUKICommandLine: @escaping @Sendable (String) throws -> String) -> Int32 {
        let journal: SwitchJournal?
        do {
            journal = try SwitchJournal.load(journalPath)
        } catch {
            // A journal nobody can read must not keep a healthy host from being blessed.
            AgentCommand.write("hostimg-agent: boot: cannot read \(journalPath) (\(error)); running the plain health gate", error: true)
            if options.early { return 1 }
            return AgentCommand.health(options, readUKICommandLine: readUKICommandLine)
        }
        guard let journal, journal.isOpen else {
            return options.early ? 0 : AgentCommand.health(options, readUKICommandLine: readUKICommandLine)
        }
        let commandLine = (try? SystemIO.readFile("/proc/cmdline", limit: 1 << 16)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let running = RunningSlot.rootHash(commandLine: commandLine)
        let disk = running.flatMap { try? HostDisk.locate(rootHash: $0) } ?? ""
        let entries = options.esp + "/EFI/Linux"
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
                disarmWatchdog: { _ = try? HostWatchdog().disarm() })
            AgentCommand.write("hostimg-agent: boot: transaction \(journal.transaction): \(outcome)", error: false)
        } catch {
            AgentCommand.write("hostimg-agent: boot: transaction \(journal.transaction) could not be finished: \(error)", error: true)
            return 3
        }
        return status
    }

    static func now() -> SwitchJournal.Moment { .now() }

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
