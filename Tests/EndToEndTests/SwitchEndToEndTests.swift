import BuildPipeline
import Foundation
import Testing
import TestSupport

/// Issue 15's acceptance on qemu-dev under OVMF: `hostimg switch` on the host, by kexec.
/// Version 1 boots; refusals (a flipped byte, another key, no trust store) leave the GPT and
/// the ESP byte-identical; version 2 from a second virtio disk is reached by kexec (no OVMF
/// banner again) and blessed; version 3, whose health check fails, is rolled back by kexec
/// without a command; a switch killed during its slot write leaves that slot empty, the
/// firmware boots version 2, and a new install succeeds.
@Suite("hostimg switch on a host by kexec (qemu-dev, OVMF)", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["HOSTIMG_NETWORK_TESTS"] == "1", "set HOSTIMG_NETWORK_TESTS=1 (make e2e): needs deb.debian.org"),
       .enabled(if: GuestConsole.binary != nil, "qemu-system-x86_64 is not installed"),
       .enabled(if: Firmware.isInstalled, "OVMF is not installed (apt-get install ovmf)"))
struct SwitchEndToEndTests {
    static let timeout = FirmwareBootEndToEndTests.bootTimeout
    /// The extra virtio disks, each a raw bundle, at these PCI slots (by-path names in the guest).
    static func bundleDisks(_ bundles: [String]) -> [String] {
        bundles.enumerated().flatMap { index, path in
            ["-drive", "file=\(path),if=none,id=bundle\(index),format=raw,readonly=on",
             "-device", "virtio-blk-pci,drive=bundle\(index),addr=0\(5 + index).0"]
        }
    }
    static func device(_ index: Int) -> String { "/dev/disk/by-path/pci-0000:00:0\(5 + index).0" }

    /// The GPT (both copies) and the ESP, hashed in the guest.
    /// Separately, so a difference says which; the ESP's files listed beside its hash.
    static let layoutHash = "n=$(cat /sys/block/vda/size); echo gpt $({ dd if=/dev/vda bs=512 count=34; dd if=/dev/vda bs=512 skip=$((n - 33)); } 2>/dev/null | sha256sum); "
        + "echo esp $(dd if=/dev/vda1 bs=1M 2>/dev/null | sha256sum); ls -l --full-time /efi/EFI/Linux /efi/loader 2>&1"

    @Test("kexec to v2, v3 rolled back by kexec, refusals write nothing, a killed write leaves the slot empty")
    func switchChain() async throws {
        let scratch = try ScratchDirectory()
        let builds = try await SwitchVariants.build(in: scratch)
        let disk = scratch.path("disk.img")
        try Firmware.copyDisk(builds.v1.image, to: disk)
        try Firmware.freshVariables(at: scratch.path("vars.fd"))
        let disks = Self.bundleDisks([builds.v2.bundleDisk, builds.flipped, builds.foreign, builds.v3.bundleDisk])
        let arguments = Firmware.arguments(disk: disk, variables: scratch.path("vars.fd")) + disks
        var console = try GuestConsole(arguments: arguments, logPath: scratch.path("switch.log"))
        _ = try await console.loginShell(timeout: Self.timeout)
        _ = try await console.run("systemctl is-system-running --wait", timeout: .seconds(600))

        // Refusals: nothing written (GPT and ESP hashed before and after), once the health
        // gate has blessed slot A (its rename is an ESP write of its own).
        _ = try await console.run("until systemctl is-active -q hostimg-health.service; do sleep 1; done", timeout: .seconds(600))
        let before = try await console.run(Self.layoutHash).output
        for (index, expected) in [(1, "payload"), (2, "signature")] {
            let refused = try await console.run("hostimg switch \(Self.device(index))", timeout: .seconds(600))
            #expect(refused.status == 1 && refused.output.contains("nothing was written") && refused.output.contains(expected), "\(refused.output)")
        }
        let untrusted = try await console.run("mkdir -p /run/empty-trust; hostimg switch \(Self.device(0)) --trust /run/empty-trust")
        #expect(untrusted.status == 1 && untrusted.output.contains("trust"), "\(untrusted.output)")
        let after = try await console.run(Self.layoutHash).output
        #expect(after == before, "a refused bundle changed the GPT or the ESP:\nbefore:\n\(before)\nafter:\n\(after)")

        // Version 2 from the second disk, by kexec.
        try await Self.switchAndWait(console, "hostimg switch \(Self.device(0))", landing: builds.v2.rootHash)
        var status = try await SwitchStatus.read(console)
        #expect(status.running == "B" && status.slot("B")?.boot == "good" && status.slot("A")?.boot == "good", "\(status.raw)")
        #expect(status.result == "switched" && (status.blackout ?? 0) > 0, "\(status.raw)")

        // Version 3 fails its health check: back on version 2 by kexec, without a command.
        let offset = console.offset
        try console.type("hostimg switch \(Self.device(3))\n")
        try await console.wait(for: "Command line: roothash=\(builds.v3.rootHash)", timeout: .seconds(600), after: offset)
        let v3 = console.offset
        try await console.wait(for: "Command line: roothash=\(builds.v2.rootHash)", timeout: Self.timeout, after: v3)
        _ = try await console.loginShell(timeout: Self.timeout, after: console.offset)
        #expect(!console.text(after: offset).contains("BdsDxe"), "the rollback went through the firmware")
        _ = try await console.run("systemctl is-system-running --wait", timeout: .seconds(600))
        status = try await SwitchStatus.read(console)
        #expect(status.running == "B" && status.slot("A")?.boot == "bad" && status.result == "rolled-back", "\(status.raw)")
        #expect(status.reason?.contains("90-fail") == true, "status names the failed check: \(status.raw)")

        // Killed during the slot write: the firmware boots version 2, the slot is empty.
        let killOffset = console.offset
        try console.type("hostimg switch \(Self.device(3))\n")
        try await console.wait(for: "made unbootable", timeout: .seconds(600), after: killOffset)
        try await Task.sleep(for: .seconds(4))
        console.kill()
        console = try GuestConsole(arguments: arguments, logPath: scratch.path("after-kill.log"))
        _ = try await console.loginShell(timeout: Self.timeout)
        _ = try await console.run("systemctl is-system-running --wait", timeout: .seconds(600))
        status = try await SwitchStatus.read(console)
        #expect(status.running == "B" && status.slot("A")?.label == "_empty" && status.interrupted == "install", "\(status.raw)")
        let again = try await console.run("hostimg switch \(Self.device(3)) --no-reboot", timeout: .seconds(900))
        #expect(again.status == 0, "a new switch after the kill: \(again.output)")
        status = try await SwitchStatus.read(console)
        #expect(status.slot("A")?.label == "qemu-dev_0.3.0" && status.result == "installed", "\(status.raw)")
        try await console.powerOff()
    }

    /// Types `command` (a switch that ends in a kexec), waits for the new kernel, the shell
    /// and the end of the boot; checks the root hash and that the firmware never ran.
    static func switchAndWait(_ console: GuestConsole, _ command: String, landing rootHash: String) async throws {
        let offset = console.offset
        try console.type(command + "\n")
        try await console.wait(for: "Command line: roothash=\(rootHash)", timeout: .seconds(900), after: offset)
        _ = try await console.loginShell(timeout: timeout, after: console.offset)
        _ = try await console.run("systemctl is-system-running --wait", timeout: .seconds(600))
        let cmdline = try await console.run("cat /proc/cmdline").output
        #expect(cmdline.contains("roothash=\(rootHash)"), "\(cmdline)")
        #expect(!console.text(after: offset).contains("BdsDxe"), "OVMF ran again: not a kexec")
        #expect(console.text(after: offset).contains("kexec into"), "the switch printed no kexec step")
    }
}
