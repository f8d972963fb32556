import BuildPipeline
import Crypto
import Foundation
import PE
import Testing
import TestSupport

/// Issue 13's acceptance, the failure paths of firmware boot: an image whose health check
/// fails counts down on each boot (`+2-1`, `+1-2`, `+0-3`, read from the ESP after each
/// power-off) and never blesses itself; with Secure Boot enforced (the image certificate
/// enrolled as PK, KEK and db) the signed image boots, and a UKI that is unsigned or signed
/// by another key is refused by the firmware.
@Suite("boot counting and Secure Boot in QEMU (qemu-dev, OVMF)", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["HOSTIMG_NETWORK_TESTS"] == "1", "set HOSTIMG_NETWORK_TESTS=1 (make e2e): needs deb.debian.org"),
       .enabled(if: GuestConsole.binary != nil, "qemu-system-x86_64 is not installed"),
       .enabled(if: Firmware.isInstalled, "OVMF is not installed (apt-get install ovmf)"))
struct BootCountingEndToEndTests {
    @Test("a slot whose health check fails counts down on every boot and is never blessed")
    func unhealthySlotCountsDown() async throws {
        let scratch = try ScratchDirectory()
        let result = try await Self.buildUnhealthy(in: scratch)
        let disk = try #require(result.report.disk)
        let esp = try #require(disk.partitions.first { $0.label == "esp" })
        let image = scratch.path("disk.img")
        try Firmware.copyDisk(disk.path, to: image)
        try Firmware.freshVariables(at: scratch.path("vars.fd"))
        var seen: [String] = []
        for boot in 1...3 {
            let console = try GuestConsole(arguments: Firmware.arguments(disk: image, variables: scratch.path("vars.fd")),
                                           logPath: scratch.path("boot\(boot).log"))
            _ = try await console.loginShell(timeout: FirmwareBootEndToEndTests.bootTimeout)
            let state = try await console.run("systemctl is-system-running --wait", timeout: .seconds(600))
            #expect(state.output.trimmingCharacters(in: .whitespacesAndNewlines) == "degraded")
            let gate = try await console.run("systemctl is-failed hostimg-health.service; journalctl -b -u hostimg-health.service --no-pager -o cat")
            #expect(gate.output.hasPrefix("failed"), "\(gate.output)")
            #expect(gate.output.contains("health.d/10-always-fails: FAILED"), "\(gate.output)")
            try await console.powerOff()
            seen += try ESPFiles.list(image, offset: esp.offset, directory: "EFI/Linux")
        }
        #expect(seen == ["qemu-dev_0.1.0+2-1.efi", "qemu-dev_0.1.0+1-2.efi", "qemu-dev_0.1.0+0-3.efi"])
    }

    @Test("Secure Boot enforced: the signed image boots; an unsigned or foreign-signed UKI is refused")
    func secureBootIsEnforced() async throws {
        let scratch = try ScratchDirectory()
        let result = try await BootEndToEndTests.buildQemuDev(in: scratch, signed: true)
        let boot = try #require(result.report.boot)
        let disk = try #require(result.report.disk)
        let esp = try #require(disk.partitions.first { $0.label == "esp" })
        #expect(boot.secureBootSigned == true)
        let variables = scratch.path("vars.fd")
        try #require(try Firmware.secureVariables(at: variables, certificate: scratch.path("cert.pem")),
                     "virt-fw-vars is not installed (python3 -m pip install virt-firmware)")
        let image = scratch.path("disk.img")
        try Firmware.copyDisk(disk.path, to: image)

        let console = try GuestConsole(arguments: Firmware.arguments(disk: image, variables: variables, secureBoot: true),
                                       logPath: scratch.path("secure.log"))
        _ = try await console.loginShell(timeout: FirmwareBootEndToEndTests.bootTimeout)
        let secure = try await console.run("od -An -tu1 /sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c")
        #expect(secure.output.split(separator: " ").last.map(String.init)?.trimmingCharacters(in: .whitespacesAndNewlines) == "1",
                "Secure Boot is not on in the guest: \(secure.output)")
        let cmdline = try await console.run("cat /proc/cmdline")
        #expect(cmdline.output.trimmingCharacters(in: .whitespacesAndNewlines) == boot.commandLine)
        try await console.powerOff()

        let uki = try [UInt8](Data(contentsOf: URL(fileURLWithPath: try #require(boot.uki))))
        let other = try DevelopmentIdentity.generate(commonName: "another key", validityDays: 2, keyType: .rsa2048)
        let foreign = try PE.Authenticode.sign(uki, key: try PrivateKey(pem: other.privateKeyPEM),
                                               certificate: try Certificate(pem: other.certificatePEM))
        for (name, bytes) in [("unsigned", try PE.Authenticode.strip(uki)), ("foreign", foreign)] {
            let file = scratch.path("\(name).efi")
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            try Firmware.copyDisk(disk.path, to: image)
            try ESPFiles.replace(image, offset: esp.offset, path: try #require(boot.espEntry), with: file)
            let refused = try GuestConsole(arguments: Firmware.arguments(disk: image, variables: variables, secureBoot: true),
                                           logPath: scratch.path("\(name).log"))
            let text = try await Self.watch(refused, for: .seconds(240), until: ["Linux version", "Access Denied", "Security Violation"])
            refused.kill()
            #expect(!text.contains("Linux version"), "a \(name) UKI started its kernel under Secure Boot")
            #expect(text.contains("Access Denied") || text.contains("Security Violation"), "no refusal seen for the \(name) UKI:\n\(text.suffix(2000))")
        }
    }

    /// The console text once one of `markers` appeared (and 5 s more, for the lines around
    /// it), QEMU stopped, or `duration` passed.
    static func watch(_ console: GuestConsole, for duration: Duration, until markers: [String]) async throws -> String {
        let deadline = ContinuousClock.now + duration
        while ContinuousClock.now < deadline, console.isRunning, !markers.contains(where: console.text.contains) {
            try await Task.sleep(for: .milliseconds(500))
        }
        try await Task.sleep(for: .seconds(5))
        return console.text
    }

    /// qemu-dev with one more overlay whose health check always fails, built from a copy of
    /// the project (a manifest must live inside its project).
    static func buildUnhealthy(in scratch: ScratchDirectory) async throws -> Pipeline.Result {
        let project = scratch.path("project")
        let repository = RootFSEndToEndTests.repository
        for directory in ["manifests", "kernels", "overlays", "hardware"] {
            try FileManager.default.createDirectory(atPath: project, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: repository + "/" + directory, toPath: project + "/" + directory)
        }
        let check = project + "/overlays/unhealthy/etc/hostimg/health.d/10-always-fails"
        try FileManager.default.createDirectory(atPath: (check as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try "#!/bin/sh\necho 'this image is never healthy (test)'\nexit 1\n".write(toFile: check, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: check)
        try "extends:\n  - qemu-dev.yaml\noverlays:\n  - ../overlays/unhealthy\n"
            .write(toFile: project + "/manifests/unhealthy.yaml", atomically: true, encoding: .utf8)
        var options = Pipeline.Options(manifest: project + "/manifests/unhealthy.yaml", output: scratch.path("out"),
                                       cache: RootFSEndToEndTests.cache)
        options.root = project
        options.lockPath = project + "/manifests/qemu-dev.lock"
        options.target = .bundle
        options.image = ImageRequest(signing: try BootEndToEndTests.developmentSigning(in: scratch, commonName: "hostimg development key (unhealthy)"),
                                     environment: ProcessInfo.processInfo.environment)
        return try await Pipeline(options).run()
    }
}
