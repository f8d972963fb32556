import Agent
import ArgumentParser
import Bundle
import Crypto
import SlotInstall

extension HostImg {
    /// `hostimg switch BUNDLE`: the agent's update transaction. Today: the install into a
    /// disk image file (`--disk`); the on-host switch by kexec is issue 15's remaining work.
    struct Switch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install an update bundle into the inactive slot and move the host onto it.",
            discussion: """
                On a host (not built yet: exits with status 3) it checks the bundle, installs \
                it into the inactive slot, loads the new slot's kernel with kexec and moves \
                onto it, keeping the virtual machines, with a journal and rollback.

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

        @Argument(help: ArgumentHelp("The signed update bundle to install.", valueName: "bundle"), completion: .file())
        var bundle: String

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

        @Option(help: ArgumentHelp("Install into this disk image file instead of the host's disk.", valueName: "file"),
                completion: .file(extensions: ["img"]))
        var disk: String?

        @Option(help: ArgumentHelp("With --disk: the slot to keep (A or B); the other one is written.", valueName: "slot"))
        var keep = "A"

        @Flag(help: "Check the bundle and print the plan; change nothing.")
        var dryRun = false

        @Flag(name: .customLong("no-kexec"), help: "Reboot through the firmware instead of kexec (on a host).")
        var noKexec = false

        @Flag(help: "Install into the inactive slot, but do not switch now (on a host).")
        var noReboot = false

        func validate() throws {
            if noReboot && noKexec {
                throw ValidationError("--no-reboot and --no-kexec do not combine: --no-reboot does not reboot at all.")
            }
            if disk != nil, !["A", "B", "a", "b"].contains(keep) { throw ValidationError("--keep is A or B, not '\(keep)'") }
        }

        func run() async throws {
            guard let disk else {
                throw NotImplemented.report("switch", "on a host, by kexec: issue 15; --disk FILE installs into a disk image")
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
