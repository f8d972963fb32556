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
            return AgentCommand.health(options, readUKICommandLine: readUKICommandLine)
        }
        guard let journal, journal.isOpen else { return AgentCommand.health(options, readUKICommandLine: readUKICommandLine) }
        let commandLine = (try? SystemIO.readFile("/proc/cmdline", limit: 1 << 16)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let running = RunningSlot.rootHash(commandLine: commandLine)
        let disk = running.flatMap { try? HostDisk.locate(rootHash: $0) } ?? ""
        let entries = options.esp + "/EFI/Linux"
        let finisher = SwitchFinisher(
            journalPath: journalPath, entriesDirectory: entries,
            emptier: SlotEmptier(disk: disk, entriesDirectory: entries, commandLineOfUKI: readUKICommandLine),
            commandLineOfUKI: readUKICommandLine, now: now)
        var status: Int32 = 0
        do {
            let outcome = try finisher.run(
                runningRootHash: running,
                gate: {
                    let result = AgentCommand.gate(options, readUKICommandLine: readUKICommandLine)
                    status = result.status
                    return result.failure
                },
                rollBack: {
                    AgentCommand.write("hostimg-agent: boot: rolling back: rebooting into the previous slot through the firmware", error: true)
                    _ = try SystemIO.run("/usr/bin/systemctl", ["reboot"])
                })
            AgentCommand.write("hostimg-agent: boot: transaction \(journal.transaction): \(outcome)", error: false)
        } catch {
            AgentCommand.write("hostimg-agent: boot: transaction \(journal.transaction) could not be finished: \(error)", error: true)
            return 3
        }
        return status
    }

    /// Now, for the journal: the wall clock and this boot's id.
    static func now() -> SwitchJournal.Moment {
        let bootID = (try? SystemIO.readFile("/proc/sys/kernel/random/boot_id", limit: 64))
            .map { String(decoding: $0, as: UTF8.self).trimmingWhitespace } ?? "unknown"
        return SwitchJournal.Moment(seconds: SystemIO.wallClock(), bootID: bootID)
    }
}
