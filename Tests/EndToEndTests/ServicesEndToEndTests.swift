import BuildPipeline
import Foundation
import Testing
import TestSupport

/// Issue 13, bullets 5 and 6: qemu-dev boots (TCG, direct kernel boot) to a root shell on the
/// serial console, and every unit the image enables starts — ssh.service included, with host
/// keys made on the first boot on the state partition and still the same after a reboot.
/// The guest is asked through `GuestConsole`; two boots share one copy-on-write disk layer, so
/// the second sees what the first wrote to the state partition while the image stays as built.
@Suite("services on a booted qemu-dev", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["HOSTIMG_NETWORK_TESTS"] == "1", "set HOSTIMG_NETWORK_TESTS=1 (make e2e): needs deb.debian.org"),
       .enabled(if: GuestConsole.binary != nil, "qemu-system-x86_64 is not installed"))
struct ServicesEndToEndTests {
    static let keyTypes = ["ed25519", "ecdsa", "rsa"]

    @Test("a root shell on ttyS0; systemctl --failed is empty; ssh is active with host keys that survive a reboot")
    func everyEnabledUnitStarts() async throws {
        let scratch = try ScratchDirectory()
        let result = try await BootEndToEndTests.buildQemuDev(in: scratch, signed: true)
        let boot = try #require(result.report.boot)
        let image = try #require(result.imagePath)
        let disk = try Self.writableLayer(over: image, in: scratch)
        let arguments = Self.directBoot(boot, disk: disk)

        let first = try GuestConsole(arguments: arguments, logPath: scratch.path("boot1.log"))
        let shellAfter = try await first.loginShell(timeout: .seconds(420))
        print("boot 1: root shell on ttyS0 \(String(format: "%.1f", shellAfter)) s after QEMU started")
        try await Self.expectHealthy(first, commandLine: boot.commandLine)
        #expect(try await first.run("id -u").output == "0\n")
        let terminal = try await first.run("readlink /proc/self/fd/1").output
        #expect(terminal == "/dev/ttyS0\n", "the shell is not on the serial console: \(terminal)")
        #expect(try await first.run("systemctl is-active ssh").output == "active\n")
        let keys = try await first.run("ls -1 /var/lib/ssh").output.split(separator: "\n").map(String.init)
        for type in Self.keyTypes {
            #expect(keys.contains("ssh_host_\(type)_key") && keys.contains("ssh_host_\(type)_key.pub"), "\(type) host key missing: \(keys)")
        }
        let scan = try await first.run("command -v ssh-keyscan >/dev/null || echo absent; ssh-keyscan -t ed25519 localhost 2>/dev/null")
        if !scan.output.hasPrefix("absent") {
            #expect(scan.output.contains("localhost ssh-ed25519 "), "sshd does not answer on localhost:22: \(scan.output)")
        }
        let fingerprints = try await Self.fingerprints(first)
        print("journal errors, boot 1:\n\(try await first.run("journalctl -b -p err -q --no-pager").output)")
        try await first.powerOff()

        let second = try GuestConsole(arguments: arguments, logPath: scratch.path("boot2.log"))
        print("boot 2: root shell after \(String(format: "%.1f", try await second.loginShell(timeout: .seconds(420)))) s")
        try await Self.expectHealthy(second, commandLine: boot.commandLine)
        #expect(try await Self.fingerprints(second) == fingerprints, "the host keys changed across a reboot")
        #expect(try await second.run("systemctl is-active ssh").output == "active\n")
        try await second.powerOff()
    }

    /// Waits for the boot to settle, then: nothing failed, the command line is the build's.
    static func expectHealthy(_ guest: GuestConsole, commandLine: String) async throws {
        let state = try await guest.run("systemctl is-system-running --wait", timeout: .seconds(300))
        let failed = try await guest.run("systemctl --failed --no-legend --plain")
        #expect(state.output == "running\n", "system state \(state.output); failed units:\n\(failed.output)")
        let status = failed.output.isEmpty ? "" : try await guest.run("systemctl status --failed --no-pager -l").output
        #expect(failed.output.isEmpty, "failed units:\n\(failed.output)\n\(status)")
        #expect(try await guest.run("cat /proc/cmdline").output == commandLine + "\n")
    }

    static func fingerprints(_ guest: GuestConsole) async throws -> String {
        let command = keyTypes.map { "ssh-keygen -l -f /var/lib/ssh/ssh_host_\($0)_key.pub" }.joined(separator: "; ")
        let result = try await guest.run(command)
        #expect(result.status == 0, "\(result.output)")
        return result.output
    }

    /// A qcow2 layer over the image (the image file is never written), or a copy of it when
    /// qemu-img is missing.
    static func writableLayer(over image: String, in scratch: ScratchDirectory) throws -> (path: String, format: String) {
        if let qemuImg = Tools.find("qemu-img") {
            let layer = scratch.path("disk.qcow2")
            let created = try Tools.run(qemuImg, ["create", "-q", "-f", "qcow2", "-F", "raw", "-b", image, layer])
            if created.status == 0 { return (layer, "qcow2") }
        }
        let copy = scratch.path("disk.img")
        try FileManager.default.copyItem(atPath: image, toPath: copy)
        return (copy, "raw")
    }

    static func directBoot(_ boot: BootFiles, disk: (path: String, format: String)) -> [String] {
        [
            "-accel", "tcg", "-machine", "q35", "-cpu", "max", "-smp", "2", "-m", "1536", "-no-reboot",
            "-kernel", boot.vmlinuz, "-initrd", boot.initrd, "-append", boot.commandLine,
        ] + Firmware.q35Devices(disk: disk.path, format: disk.format)
    }
}
