import Agent
import ArgumentParser
import Bundle
import Crypto
import Foundation
import HostSwitch
import SlotInstall

extension HostImg {
    /// `hostimg switch BUNDLE`: the agent's update transaction. Today: the install into a
    /// disk image file (`--disk`); the on-host switch by kexec is issue 15's remaining work.
    struct Switch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install an update bundle into the inactive slot and move the host onto it.",
            discussion: """
                On a host (the image's /usr/bin/hostimg is its agent; this tool does the same) \
                it checks the bundle against the image's trust store, installs it into the \
                inactive slot, loads the new slot's UKI with kexec_file_load, arms the watchdog \
                and kexecs into it, with a journal at every phase; the new slot's agent blesses \
                it after its health gate or goes back (hostimg-agent switch --help).

                With --disk FILE it installs into a disk image file instead, to provision an \
                image's second slot offline: the bundle's signature must verify with --cert \
                (no certificate: refused, never fail open); its name must be the image's; \
                every payload's size and SHA-256 are checked before anything is written; \
                then the slot not kept (--keep, default A) is made empty, the payloads are \
                written, the slot is read back through its verity tree and only then labelled \
                NAME_VERSION with its root-hash PARTUUIDs; last, the bundle's UKI goes into \
                the image's ESP as EFI/Linux/NAME_VERSION+3.efi (the slot's old UKI is removed \
                first), so firmware boots the newer slot. A refusal writes nothing.

                Example: hostimg switch out/v2/qemu-dev.bundle --disk out/v1/qemu-dev.img --cert keys/cert.pem
                """
        )

        @Argument(help: ArgumentHelp("The signed update bundle: a file, a block device, or (on a host) an http:// or https:// URL.", valueName: "bundle"), completion: .file())
        var bundle: String

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

        @Option(help: ArgumentHelp("Install into this disk image file instead of the host's disk.", valueName: "file"),
                completion: .file(extensions: ["img"]))
        var disk: String?

        @Option(help: ArgumentHelp("With --disk: the slot to keep (A or B); the other one is written.", valueName: "slot"))
        var keep = "A"

        @Flag(name: [.customLong("plan"), .customLong("dry-run")], help: "Check the bundle and print the plan; change nothing.")
        var dryRun = false

        @Flag(name: [.customLong("reboot"), .customLong("no-kexec")], help: "Reboot through the firmware instead of kexec (on a host).")
        var noKexec = false

        @Flag(help: "Install into the inactive slot, but do not switch now (on a host).")
        var noReboot = false

        @Flag(help: "On a host: install a version that is not newer than the running one.")
        var allowDowngrade = false

        @Flag(help: "On a host: let VMs that cannot be kept be shut down and started afresh after the switch.")
        var allowCold = false

        @Flag(help: "On a host: one JSON object on stdout at the end (result, phase, message).")
        var json = false

        @Option(help: ArgumentHelp("On a host, for an https:// bundle: the CA certificates (PEM) the server must chain to.", valueName: "file"))
        var ca: String?

        @Option(help: ArgumentHelp("On a host: seconds before the armed watchdog resets a hung new kernel.", valueName: "seconds"))
        var watchdogTimeout: Int32 = 600

        func validate() throws {
            if noReboot && noKexec {
                throw ValidationError("--no-reboot and --reboot do not combine: --no-reboot does not reboot at all.")
            }
            if disk != nil, !["A", "B", "a", "b"].contains(keep) { throw ValidationError("--keep is A or B, not '\(keep)'") }
        }

        /// The same switch as `hostimg-agent switch` on a host: the image's trust store, the
        /// running slot's disk, the ESP at /efi.
        var hostArguments: [String] {
            var arguments = [bundle]
            if dryRun { arguments.append("--plan") }
            if noKexec { arguments.append("--reboot") }
            if noReboot { arguments.append("--no-reboot") }
            if allowDowngrade { arguments.append("--allow-downgrade") }
            if allowCold { arguments.append("--allow-cold") }
            if json { arguments.append("--json") }
            if let ca { arguments += ["--ca", ca] }
            return arguments + ["--watchdog-timeout", String(watchdogTimeout)]
        }

        func run() async throws {
            guard let disk else {
                // On a thread of its own: the switch waits for its VMs' QMP work on the calling
                // thread, which must not be one of the cooperative pool's.
                let arguments = hostArguments
                let status = await withCheckedContinuation { continuation in
                    Thread { continuation.resume(returning: SwitchCommand.main(arguments)) }.start()
                }
                throw ExitCode(status)
            }
            let console = Console.current
            do {
                let trusted = try trust.cert.map { [try Certificate(pemFile: $0)] } ?? []
                var installer = SlotInstaller(disk: disk, trusted: trusted)
                installer.report = { console.write("hostimg: switch: \($0)\n") }
                let reader = try UpdateBundle.Reader(path: bundle)
                let plan = try installer.check(reader, keep: .slot(keep.uppercased() == "A" ? 0 : 1))
                if dryRun {
                    console.write("hostimg: switch: would write \(plan.name) \(plan.version) into slot \(plan.slotLetter) (now \(plan.previousLabel)); nothing was written\n")
                    return
                }
                let emptier = SlotEmptier(disk: disk, entriesDirectory: nil, commandLineOfUKI: { _ in "" })
                try installer.install(reader, plan: plan, emptier: emptier, runningRootHash: nil)
                console.write("hostimg: switch: slot \(plan.slotLetter) of \(disk) holds \(plan.name) \(plan.version)\n")
            } catch let error as InstallError {
                console.error("hostimg: error: \(error)")
                throw ExitCode.findings
            } catch {
                console.error("hostimg: error: \(error)")
                throw ExitCode.findings
            }
        }
    }
}
