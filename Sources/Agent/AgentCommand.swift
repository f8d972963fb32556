import Glibc
import Slots
import SystemIO

/// The on-host agent's command line (no ArgumentParser: host code links nothing of the build
/// side): `health`, `boot`, `tuning`, `preserved`, `status`; `switch` is HostSwitch's (hostimg-agent's main).
public enum AgentCommand {
    public static let usage = """
    usage: hostimg-agent health [--bless] [--esp DIR] [--health-dir DIR] [--json]
           hostimg-agent tuning apply|check [--json]
           hostimg-agent preserved mount
           hostimg-agent boot [--early] [--esp DIR] [--health-dir DIR] [--json]
           hostimg-agent switch SOURCE [...]   (hostimg-agent switch --help)
           hostimg-agent status [--json] [--disk FILE] [--esp DIR] [--journal FILE]
           hostimg-agent vms [--json] [--allow-cold]     (hostimg-agent vms --help)
           hostimg-agent qmp SOCKET COMMAND [ARGUMENTS-JSON]

    health   run the health gate: systemd has no failed unit and every executable in
             the health directory exits 0; exit 0 when healthy, 1 when not.
      --bless          when healthy, remove the boot counter of the running slot's UKI
                       (found by the root hash on /proc/cmdline), so systemd-boot keeps it
      --esp DIR        where the ESP is mounted (default /efi)
      --health-dir DIR the checks (default /etc/hostimg/health.d)
      --json           one JSON object on stdout instead of lines

    boot           what hostimg-health.service runs in every boot: with no open switch in
                   the journal (/var/lib/hostimg/journal), exactly `health --bless`; with
                   one, finish it (health gate, bless, close) or undo it: an unhealthy new
                   slot is marked bad and the host reboots into the previous one; an
                   interrupted install has its slot emptied again (docs/agent.md).
                   `agent` is the same command. --early (hostimg-agent-start.service,
                   right after the local file systems) only records the agent's start on
                   a new slot, which ends the switch's blackout.
    tuning apply   allocate the hugepage pools pinned to NUMA nodes and bind each vfio
                   device to vfio-pci, as /usr/lib/hostimg/tuning.conf says; every step is
                   read back (hostimg-tuning.service runs this early in every boot)
    tuning check   only the tuning checks of the health gate
    preserved mount
                   find the pmem device of the preserved-memory region that
                   /usr/lib/hostimg/tuning.conf promises (by its physical range) and mount
                   its ext4 with dax at the promised path (/run/hostimg/preserved); a
                   region without ext4 is formatted first, one whose ext4 does not mount is
                   never reformatted (hostimg-preserved.service runs this early in every boot)
    status         both slots (label, root hash, boot entry and its counter, which one
                   runs) and the last switch from the journal; read-only. The disk is the
                   one holding the running root (found by its PARTUUID) unless --disk names
                   one; --esp (default /efi), --journal (default /var/lib/hostimg/journal).
                   Exit 0, or 1 when the disk cannot be read.

    Exit status: 0 healthy (and blessed when asked), 1 unhealthy, 2 usage, 3 blessing failed.
    For tuning and preserved: 0 done, 1 a step or check failed (each is named), 2 usage.
    """

    struct Options {
        var bless = false
        var esp = "/efi"
        var healthDirectory = HealthGate.defaultDirectory
        var json = false
        /// `boot --early`: only record the agent's start in an open switch's journal.
        var early = false
    }

    /// Runs `arguments` (without the program name); returns the exit status.
    /// `resumeVMs` resumes the VMs a VM-preserving switch left waiting (HostSwitch provides it:
    /// the Agent module links no QMP client); `boot` calls it.
    public static func main(_ arguments: [String], readUKICommandLine: @escaping @Sendable (String) throws -> String,
                            resumeVMs: @escaping (inout SwitchJournal) -> Void = { _ in }) -> Int32 {
        if arguments.first == "tuning" { return TuningCommand.main(Array(arguments.dropFirst())) }
        if arguments.first == "preserved" { return PreservedCommand.main(Array(arguments.dropFirst())) }
        if arguments.first == "status" {
            return StatusCommand.main(Array(arguments.dropFirst()), readUKICommandLine: readUKICommandLine)
        }
        if arguments.first == "boot" || arguments.first == "agent" {
            switch parse(Array(arguments.dropFirst())) {
            case var .success(options):
                options.bless = true
                return BootCommand.main(options, readUKICommandLine: readUKICommandLine, resumeVMs: resumeVMs)
            case let .failure(message):
                write("hostimg-agent: \(message)\n\n\(usage)", error: true)
                return 2
            }
        }
        guard arguments.first == "health" else {
            let help = arguments.first == "--help" || arguments.first == "-h" || arguments.first == "help"
            write(help ? usage : "hostimg-agent: unknown command '\(arguments.first ?? "")'\n\n\(usage)", error: !help)
            return help ? 0 : 2
        }
        let options: Options
        switch parse(Array(arguments.dropFirst())) {
        case let .success(parsed): options = parsed
        case let .failure(message):
            write("hostimg-agent: \(message)\n\n\(usage)", error: true)
            return 2
        }
        return health(options, readUKICommandLine: readUKICommandLine)
    }

    enum Parsed { case success(Options), failure(String) }

    struct UsageError: Error {
        var message: String
    }

    static func parse(_ arguments: [String]) -> Parsed {
        var options = Options()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--bless": options.bless = true
            case "--json": options.json = true
            case "--early": options.early = true
            case "--esp", "--health-dir":
                guard index + 1 < arguments.count else { return .failure("\(argument) needs a directory") }
                index += 1
                if argument == "--esp" { options.esp = arguments[index] } else { options.healthDirectory = arguments[index] }
            default:
                return .failure("unknown option '\(argument)'")
            }
            index += 1
        }
        return .success(options)
    }

    static func health(_ options: Options, readUKICommandLine: @escaping @Sendable (String) throws -> String) -> Int32 {
        gate(options, readUKICommandLine: readUKICommandLine).status
    }

    /// The health gate (and the blessing when asked), printed; the exit status and, when it
    /// failed, the failed checks in one line.
    static func gate(_ options: Options, readUKICommandLine: @escaping @Sendable (String) throws -> String) -> (status: Int32, failure: String?) {
        let report = HealthGate(directory: options.healthDirectory).run()
        var blessing: Result<Blessing.Outcome, AgentError>?
        if report.passed, options.bless {
            blessing = bless(esp: options.esp, readUKICommandLine: readUKICommandLine)
        }
        if options.json {
            write(AgentReport.json(report, blessing: blessing) + "\n", error: false)
        } else {
            write(AgentReport.lines(report, blessing: blessing), error: false)
        }
        guard report.passed else { return (1, report.failed.map { "\($0.name): \($0.summary)" }.joined(separator: "; ")) }
        if case let .failure(error) = blessing { return (3, "blessing failed: \(error)") }
        return (0, nil)
    }

    static func bless(esp: String, readUKICommandLine: @escaping @Sendable (String) throws -> String) -> Result<Blessing.Outcome, AgentError> {
        let commandLine: String
        do {
            commandLine = String(decoding: try SystemIO.readFile("/proc/cmdline", limit: 1 << 16), as: UTF8.self)
        } catch {
            return .failure(.commandLine("cannot read /proc/cmdline: \(error)"))
        }
        guard let rootHash = RunningSlot.rootHash(commandLine: commandLine) else {
            return .failure(.commandLine("/proc/cmdline has no roothash=: this is not a hostimg slot, nothing to bless"))
        }
        do {
            return .success(try Blessing(entriesDirectory: esp + "/EFI/Linux", commandLineOfUKI: readUKICommandLine)
                .bless(rootHash: rootHash))
        } catch let error as AgentError {
            return .failure(error)
        } catch {
            return .failure(.bless(entry: esp, reason: "\(error)"))
        }
    }

    public static func write(_ text: String, error: Bool) {
        var bytes = Array(text.utf8)
        if bytes.last != 10 { bytes.append(10) }
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.write(error ? 2 : 1, $0.baseAddress, $0.count) }
            if count <= 0 { return }
            offset += count
        }
    }
}
