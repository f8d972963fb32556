import Agent
import Bundle
import BuildPipeline
import Crypto
import Foundation
import SlotInstall
import Testing
import TestSupport

/// Issue 15's first working path: a version 2 bundle installed offline into slot B of a
/// version 1 disk image (`hostimg switch --disk`: check, empty, write, read back through
/// verity, relabel, UKI into the ESP), then the disk cold-boots through OVMF into version 2,
/// whose health gate blesses it, while slot A stays good.
@Suite("offline provisioning of slot B, then a firmware boot (qemu-dev, OVMF)", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["HOSTIMG_NETWORK_TESTS"] == "1", "set HOSTIMG_NETWORK_TESTS=1 (make e2e): needs deb.debian.org"),
       .enabled(if: GuestConsole.binary != nil, "qemu-system-x86_64 is not installed"),
       .enabled(if: Firmware.isInstalled, "OVMF is not installed (apt-get install ovmf)"))
struct ProvisioningEndToEndTests {
    @Test("version 2 written into slot B of a version 1 disk boots from firmware and is blessed")
    func provisionedSlotBoots() async throws {
        let scratch = try ScratchDirectory()
        let first = try await BootEndToEndTests.buildQemuDev(in: scratch, signed: true)
        let second = try await Self.buildVersion2(in: scratch)
        let disk = scratch.path("disk.img")
        try Firmware.copyDisk(try #require(first.report.disk).path, to: disk)
        let bundle = try UpdateBundle.Reader(path: try #require(second.bundlePath))
        var lines: [String] = []
        var installer = SlotInstaller(disk: disk, trusted: [try Certificate(pemFile: scratch.path("cert.pem"))])
        installer.report = { lines.append($0) }
        let plan = try installer.check(bundle, keep: .slot(0))
        try installer.install(bundle, plan: plan, emptier: SlotEmptier(disk: disk, entriesDirectory: nil, commandLineOfUKI: { _ in "" }),
                              runningRootHash: nil)
        #expect(plan.slotLetter == "B" && lines.last?.contains("qemu-dev_0.2.0+3.efi added to the ESP") == true, "\(lines)")

        try Firmware.freshVariables(at: scratch.path("vars.fd"))
        let console = try GuestConsole(arguments: Firmware.arguments(disk: disk, variables: scratch.path("vars.fd")),
                                       logPath: scratch.path("provisioned.log"))
        _ = try await console.loginShell(timeout: FirmwareBootEndToEndTests.bootTimeout)
        _ = try await console.run("systemctl is-system-running --wait", timeout: .seconds(600))
        let cmdline = try await console.run("cat /proc/cmdline")
        #expect(cmdline.output.contains("roothash=\(bundle.manifest.rootHash)"), "firmware booted another slot: \(cmdline.output)")
        let status = try await console.run("hostimg-agent status --json")
        let object = try JSONSerialization.jsonObject(with: Data(status.output.utf8)) as? [String: Any]
        let slots = object?["slots"] as? [[String: Any]] ?? []
        #expect(slots.count == 2, "\(status.output)")
        #expect(slots.first?["label"] as? String == "qemu-dev_0.1.0" && slots.first?["running"] as? Bool == false, "\(status.output)")
        #expect(slots.last?["label"] as? String == "qemu-dev_0.2.0" && slots.last?["running"] as? Bool == true
                && slots.last?["boot"] as? String == "good", "slot B runs and is blessed: \(status.output)")
        try await console.powerOff()
    }

    /// qemu-dev at version 0.2.0, signed with the same key as version 1 (scratch key.pem),
    /// from a copy of the project (a manifest must live inside its project).
    static func buildVersion2(in scratch: ScratchDirectory) async throws -> Pipeline.Result {
        let project = try SwitchVariants.copyProject(in: scratch)
        try "extends:\n  - qemu-dev.yaml\nimage:\n  version: 0.2.0\n"
            .write(toFile: project + "/manifests/version2.yaml", atomically: true, encoding: .utf8)
        var options = Pipeline.Options(manifest: project + "/manifests/version2.yaml", output: scratch.path("out2"),
                                       cache: RootFSEndToEndTests.cache)
        options.root = project
        options.lockPath = project + "/manifests/qemu-dev.lock"
        options.target = .bundle
        options.image = ImageRequest(signing: .files(key: scratch.path("key.pem"), certificate: scratch.path("cert.pem")),
                                     environment: ProcessInfo.processInfo.environment)
        return try await Pipeline(options).run()
    }
}
