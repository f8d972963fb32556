import Agent
import Bundle
import ByteCodec
import Glibc
import HTTPSource
import SlotInstall
import SystemIO

/// `hostimg-agent switch SOURCE [options]` (also `hostimg switch` on a host): the command
/// line of `HostSwitch`, without ArgumentParser (host code links nothing of the build side).
public enum SwitchCommand {
    public static let usage = """
    usage: hostimg-agent switch SOURCE [--reboot | --no-reboot] [--plan] [--json]
                                [--allow-downgrade] [--allow-cold] [--watchdog-timeout SECONDS]
                                [--disk DEVICE] [--esp DIR] [--journal FILE] [--trust DIR] [--ca FILE]

    Installs the signed update bundle SOURCE (a file, a block device holding one, or an
    http:// or https:// URL, streamed) into the inactive slot and moves the host onto it by kexec.

    check    the signature against the trust store baked into this image (none: refused),
             name, architecture, a newer version, the sizes, and (file, device) every
             payload's SHA-256; nothing is written before all of it passed
    install  the inactive slot is made unbootable, written, read back through its verity
             tree, labelled; its UKI goes into the ESP last
    stage    the new UKI's kernel, initrd and command line are loaded with kexec_file_load
             and /dev/watchdog is armed; the firmware's choice stays on this slot until
             the new one passes its health gate
    vms      every QEMU with a QMP socket in /run/hostimg/vms is planned in check (preserve:
             RAM in the preserved region, only device state saved; save: RAM saved to the
             state partition; cold: why not, e.g. hugetlbfs RAM or a vfio device), and
             right before the kexec paused and saved in parallel; the sentinel is written
             into the preserved region. A cold VM refuses the switch unless --allow-cold.
    reboot   sync, kexec. On the new kernel `hostimg-agent boot` runs the health gate,
             blesses the slot, disarms the watchdog and resumes the VMs (sentinel checked
             first), or kexecs back here with the VMs still preserved and resumes them here.

      --reboot            reboot through the firmware instead of kexec
      --no-reboot         install and stop; the next reboot tries the new slot
      --plan              check and print what would happen; write nothing
      --json              one JSON object on stdout at the end
      --allow-downgrade   install a version that is not newer than the running one
      --allow-cold        let VMs that cannot be kept (cold) be shut down before the
                          switch and started afresh with the same command line after it
      --vms-dir DIR       where the VMs' QMP sockets are (default /run/hostimg/vms)
      --watchdog-timeout  seconds before the armed watchdog resets a hung kernel (600)
      --ca FILE           https: the CA certificates (PEM) the server must chain to
                          (default: the system's); the bundle's signature is checked
                          against the trust store either way
      --disk, --esp, --journal, --trust   override /dev/<running disk>, /efi,
                          /var/lib/hostimg/journal, /usr/lib/hostimg/trust

    Exit status: 0 done (or the kexec began), 1 refused or failed (the message names the
    check or phase, and whether anything was written), 2 usage.
    """

    public static func main(_ arguments: [String], host: any HostActions = LinuxHost()) -> Int32 {
        let parsed: Parsed
        switch parse(arguments) {
        case let .success(value): parsed = value
        case let .failure(error):
            AgentCommand.write("hostimg-agent: switch: \(error.message)\n\n\(usage)", error: true)
            return 2
        }
        let terminal = isatty(1) == 1 && !parsed.json
        let start = SystemIO.wallClock()
        let progress: (String) -> Void = { line in
            let prefix = terminal ? "[\(format(SystemIO.wallClock() - start))s] " : ""
            AgentCommand.write("hostimg: switch: \(prefix)\(line)", error: parsed.json)
        }
        do {
            let (bundle, streamed) = try BundleSource.open(parsed.source, caFile: parsed.caFile)
            var options = parsed.options
            options.verifyFirst = !streamed
            let outcome = try HostSwitch(options: options, host: host, report: progress).run(bundle)
            let (result, message): (String, String)
            var vmsJSON: String?
            switch outcome {
            case let .planned(text, vms): (result, message, vmsJSON) = ("planned", text, vms)
            case let .installed(text): (result, message) = ("installed", text)
            case let .rebooting(text): (result, message) = ("rebooting", text)
            }
            finish(json: parsed.json, result: result, message: message, phase: nil, vms: vmsJSON)
            return 0
        } catch let error as SwitchError {
            if case let .failed(phase, _) = error {
                finish(json: parsed.json, result: "failed", message: "\(error)", phase: phase.rawValue)
            } else {
                finish(json: parsed.json, result: "refused", message: "\(error)", phase: "check")
            }
            return 1
        } catch let error as InstallError {
            // Raised by the check (`refused`, which says nothing was written).
            finish(json: parsed.json, result: "refused", message: "\(error)", phase: "check")
            return 1
        } catch {
            finish(json: parsed.json, result: "refused", message: "refused (nothing was written): \(error)", phase: "check")
            return 1
        }
    }

    struct UsageError: Error {
        var message: String
    }

    /// The last line; with `--json` one object `{"result","phase","message"}`, plus `"vms"` (the
    /// VM plan, `VMPlan+JSON.swift`) for a `--plan` with VMs running.
    static func finish(json: Bool, result: String, message: String, phase: String?, vms: String? = nil) {
        if json {
            AgentCommand.write("{\"result\":\(JSONString.quote(result)),\"phase\":\(phase.map(JSONString.quote) ?? "null"),"
                               + "\"message\":\(JSONString.quote(message))" + (vms.map { ",\"vms\":" + $0 } ?? "") + "}", error: false)
        } else {
            let failed = result == "failed" || result == "refused"
            AgentCommand.write("hostimg: switch: \(failed ? "error: " : "")\(message)", error: failed)
        }
    }

    static func format(_ seconds: Double) -> String {
        let tenths = Int((seconds * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    struct Parsed {
        var source: String
        var options: HostSwitch.Options
        var json: Bool
        var caFile: String?
    }

    static func parse(_ arguments: [String]) -> Result<Parsed, UsageError> {
        var options = HostSwitch.Options()
        var caFile: String?
        var source: String?
        var json = false
        var methods: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            switch argument {
            case "--reboot": options.method = .reboot; methods.append(argument)
            case "--no-reboot": options.method = .none; methods.append(argument)
            case "--plan": options.planOnly = true
            case "--json": json = true
            case "--allow-downgrade": options.allowDowngrade = true
            case "--allow-cold": options.vms.allowCold = true
            case "--watchdog-timeout", "--disk", "--esp", "--journal", "--trust", "--ca", "--vms-dir":
                guard index + 1 < arguments.count else { return .failure(.init(message: "\(argument) needs a value")) }
                index += 1
                let value = arguments[index]
                switch argument {
                case "--watchdog-timeout":
                    guard let seconds = Int32(value), seconds > 0 else {
                        return .failure(.init(message: "--watchdog-timeout takes whole seconds above 0, not '\(value)'"))
                    }
                    options.watchdogTimeout = seconds
                case "--disk": options.disk = value
                case "--esp": options.esp = value
                case "--journal": options.journalPath = value
                case "--ca": caFile = value
                case "--vms-dir": options.vms.vmsDirectory = value
                default: options.trustDirectory = value
                }
            default:
                if argument.hasPrefix("-") { return .failure(.init(message: "unknown option '\(argument)'")) }
                guard source == nil else { return .failure(.init(message: "one SOURCE only (got '\(source ?? "")' and '\(argument)')")) }
                source = argument
            }
            index += 1
        }
        guard methods.count <= 1 else { return .failure(.init(message: "--reboot and --no-reboot do not combine")) }
        guard let source else { return .failure(.init(message: "no SOURCE: name a bundle file, a block device or an http:// URL")) }
        return .success(Parsed(source: source, options: options, json: json, caFile: caFile))
    }
}
