import BuildPipeline
import Crypto
import Foundation
import PE
import Testing
import TestSupport

/// Issue 13's acceptance: qemu-dev's disk cold-boots through OVMF and systemd-boot (q35,
/// intel-iommu, TCG, no `-kernel`) into slot A, to the serial root shell; the UKI's command
/// line is /proc/cmdline, the ESP is at /efi, no unit failed, and the health gate blessed the
/// slot (its UKI has no counter on the ESP after power-off). The same image by direct kernel
/// boot is timed beside it.
@Suite("firmware boot in QEMU (qemu-dev, OVMF)", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["HOSTIMG_NETWORK_TESTS"] == "1", "set HOSTIMG_NETWORK_TESTS=1 (make e2e): needs deb.debian.org"),
       .enabled(if: GuestConsole.binary != nil, "qemu-system-x86_64 is not installed"),
       .enabled(if: Firmware.isInstalled, "OVMF is not installed (apt-get install ovmf)"))
struct FirmwareBootEndToEndTests {
    static let bootTimeout = Duration.seconds(900)

    @Test("cold boot through OVMF and systemd-boot to a blessed slot; direct kernel boot timed beside it")
    func coldBootBlessesTheSlot() async throws {
        let scratch = try ScratchDirectory()
        let result = try await BootEndToEndTests.buildQemuDev(in: scratch, signed: true)
        let boot = try #require(result.report.boot)
        let disk = try #require(result.report.disk)
        let esp = try #require(disk.partitions.first { $0.label == "esp" })
        let entry = try #require(boot.espEntry)
        #expect(entry == "EFI/Linux/qemu-dev_0.1.0+3.efi")
        let image = scratch.path("disk.img")
        try Firmware.copyDisk(disk.path, to: image)
        try Firmware.freshVariables(at: scratch.path("vars.fd"))
        #expect(try ESPFiles.list(image, offset: esp.offset, directory: "EFI/Linux") == ["qemu-dev_0.1.0+3.efi"])

        let console = try GuestConsole(arguments: Firmware.arguments(disk: image, variables: scratch.path("vars.fd")),
                                       logPath: scratch.path("firmware.log"))
        let shell = try await console.loginShell(timeout: Self.bootTimeout)
        let blessed = try await Self.checkHealthyHost(console, commandLine: boot.commandLine)
        try await console.powerOff()
        #expect(try ESPFiles.list(image, offset: esp.offset, directory: "EFI/Linux") == ["qemu-dev_0.1.0.efi"])
        if let fsck = Tools.find("fsck.fat") {
            let extracted = scratch.path("esp.img")
            _ = try Tools.run("/bin/dd", ["if=\(image)", "of=\(extracted)", "bs=1M", "skip=\(esp.offset >> 20)", "count=\(esp.size >> 20)", "status=none"])
            let check = try Tools.run(fsck, ["-n", extracted])
            #expect(check.status == 0, "fsck.fat -n after the boot: \(check.stdoutText) \(check.stderr)")
        }

        // The same image, direct kernel boot (what the earlier tests do), for the timing.
        try Firmware.copyDisk(disk.path, to: image)
        let direct = try GuestConsole(arguments: [
            "-accel", "tcg", "-machine", "q35", "-cpu", "max", "-smp", "2", "-m", "1536", "-no-reboot",
            "-kernel", boot.vmlinuz, "-initrd", boot.initrd, "-append", boot.commandLine,
        ] + Firmware.q35Devices(disk: image), logPath: scratch.path("direct.log"))
        let directShell = try await direct.loginShell(timeout: Self.bootTimeout)
        let directBlessed = try await Self.checkHealthyHost(direct, commandLine: boot.commandLine)
        try await direct.powerOff()
        print("firmware boot: shell after \(shell) s, blessed after \(blessed) s; direct kernel boot: shell after \(directShell) s, blessed after \(directBlessed) s; UKI \(boot.ukiBytes ?? 0) bytes, ESP \(esp.size) bytes")
    }

    /// The checks of a healthy, blessed host on its root shell; returns the seconds from
    /// QEMU's start until the running slot's UKI had lost its counter.
    static func checkHealthyHost(_ console: GuestConsole, commandLine: String) async throws -> Double {
        let cmdline = try await console.run("cat /proc/cmdline")
        #expect(cmdline.output.trimmingCharacters(in: .whitespacesAndNewlines) == commandLine)
        let mount = try await console.run("findmnt -n -o FSTYPE,OPTIONS /efi")
        let fields = mount.output.split(whereSeparator: \.isWhitespace).map(String.init)
        #expect(fields.first == "vfat" && fields.dropFirst().first?.hasPrefix("rw,") == true,
                "the ESP is not mounted read-write at /efi: \(mount.output)")
        let state = try await console.run("systemctl is-system-running --wait", timeout: .seconds(600))
        #expect(state.output.trimmingCharacters(in: .whitespacesAndNewlines) == "running", "system state: \(state.output)")
        let failed = try await console.run("systemctl --failed --no-legend --plain")
        #expect(failed.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "failed units: \(failed.output)")
        let gate = try await console.run("systemctl is-active hostimg-health.service; journalctl -b -u hostimg-health.service --no-pager -o cat")
        #expect(gate.output.contains("hostimg-agent: blessed"), "the health gate did not bless: \(gate.output)")
        let entries = try await console.run("ls /efi/EFI/Linux")
        #expect(entries.output.trimmingCharacters(in: .whitespacesAndNewlines) == "qemu-dev_0.1.0.efi")
        // The agent's status finds the disk by the running root's PARTUUID and reads both slots.
        let status = try await console.run("hostimg-agent status --json")
        let object = try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any]
        let slots = object?["slots"] as? [[String: Any]] ?? []
        #expect(object?["disk"] as? String == "/dev/vda" && slots.count == 2, "\(status.output)")
        #expect(slots.first?["running"] as? Bool == true && slots.first?["boot"] as? String == "good"
                && slots.last?["boot"] as? String == "empty", "\(status.output)")
        return console.elapsed
    }
}
