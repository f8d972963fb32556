import ArgumentParser

extension HostImg {
    /// `hostimg switch BUNDLE`: the agent's update transaction. Not implemented yet.
    struct Switch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Install an update bundle into the inactive slot and move the host onto it.",
            discussion: """
                Runs on the host, as root. Checks the bundle signature before anything is \
                written, streams each payload into the inactive slot and checks its hash, and \
                adds the slot's kernel to the boot loader with boot counting. Then, by default, \
                moves onto the new slot without stopping the virtual machines: the new kernel \
                is loaded with kexec before anything is paused, each VM is paused with its RAM \
                kept in place, the host kexecs, and the VMs resume on the new kernel. A slot \
                that does not come up healthy is rolled back.

                Every step is journaled, so an interrupted switch can be resumed or rolled \
                back, and everything that can fail is checked before a VM is paused.

                Not implemented yet: exits with status 3.
                """
        )

        @Argument(
            help: ArgumentHelp("The signed update bundle to install.", valueName: "bundle"),
            completion: .file()
        )
        var bundle: String

        @OptionGroup(title: "Trust")
        var trust: TrustOptions

        @Flag(help: "Check the bundle and print the plan (per-VM preservation path, predicted blackout); change nothing.")
        var dryRun = false

        @Flag(
            name: .customLong("no-kexec"),
            help: "Reboot through the firmware instead of kexec. The VMs are stopped and started again, not preserved."
        )
        var noKexec = false

        @Flag(help: "Install into the inactive slot and make it the next boot, but do not switch now.")
        var noReboot = false

        func validate() throws {
            if noReboot && noKexec {
                throw ValidationError("--no-reboot and --no-kexec do not combine: --no-reboot does not reboot at all.")
            }
        }

        func run() async throws {
            throw NotImplemented.report("switch", "planned for a later issue")
        }
    }
}
