import BuildPipeline
import Foundation
import Testing
import TestSupport

/// Issue 15's acceptance beyond the file and device sources: a bundle streamed from an HTTP
/// server on the test machine's loopback (reached through QEMU user networking), and a new
/// kernel that hangs after the kexec, reset by the watchdog (Debian's generic kernel, QEMU's
/// i6300esb) so that the firmware boots the previous slot.
@Suite("hostimg switch over HTTP, and the watchdog after a hanging kexec (OVMF)", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["HOSTIMG_NETWORK_TESTS"] == "1", "set HOSTIMG_NETWORK_TESTS=1 (make e2e): needs deb.debian.org"),
       .enabled(if: GuestConsole.binary != nil, "qemu-system-x86_64 is not installed"),
       .enabled(if: Firmware.isInstalled, "OVMF is not installed (apt-get install ovmf)"))
struct SwitchSourcesEndToEndTests {
    static let timeout = FirmwareBootEndToEndTests.bootTimeout

    @Test("over HTTP: a payload mismatch stops the write with the slot empty and slot A untouched; the good bundle switches by kexec")
    func overHTTP() async throws {
        let scratch = try ScratchDirectory()
        let builds = try await SwitchVariants.pair(in: scratch, base: "qemu-dev.yaml", lock: "qemu-dev.lock")
        let served = scratch.path("served")
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: builds.v2.bundle, toPath: served + "/v2.bundle")
        try FileManager.default.copyItem(atPath: builds.flipped, toPath: served + "/flipped.bundle")
        let server = try LoopbackServer(directory: served)
        defer { server.stop() }
        let disk = scratch.path("disk.img")
        try Firmware.copyDisk(builds.v1.image, to: disk)
        try Firmware.freshVariables(at: scratch.path("vars.fd"))
        let console = try GuestConsole(
            arguments: Firmware.arguments(disk: disk, variables: scratch.path("vars.fd"), reachLoopback: true),
            logPath: scratch.path("http.log"))
        _ = try await console.loginShell(timeout: Self.timeout)
        _ = try await console.run("systemctl is-system-running --wait", timeout: .seconds(600))
        let network = try await console.run("ip link set enp0s2 up && ip address add 10.0.2.15/24 dev enp0s2")
        #expect(network.status == 0, "\(network.output)")
        let entries = try await console.run("ls /efi/EFI/Linux; sha256sum /efi/EFI/Linux/*").output
        let url = "http://10.0.2.2:\(server.port)/range/"

        let mismatch = try await console.run("hostimg switch \(url)flipped.bundle", timeout: .seconds(900))
        #expect(mismatch.status == 1 && mismatch.output.contains("root"), "\(mismatch.output)")
        var status = try await SwitchStatus.read(console)
        #expect(status.slot("B")?.label == "_empty" && status.running == "A" && status.slot("A")?.boot == "good", "\(status.raw)")
        #expect(try await console.run("ls /efi/EFI/Linux; sha256sum /efi/EFI/Linux/*").output == entries, "the ESP changed")

        try await SwitchEndToEndTests.switchAndWait(console, "hostimg switch \(url)v2.bundle", landing: builds.v2.rootHash)
        status = try await SwitchStatus.read(console)
        #expect(status.running == "B" && status.slot("B")?.boot == "good" && status.result == "switched", "\(status.raw)")
        try await console.powerOff()
    }

    @Test("a new kernel that hangs after the kexec is reset by the watchdog; the firmware boots the previous slot, which marks the new one bad")
    func watchdogResetsAHangingKernel() async throws {
        let scratch = try ScratchDirectory()
        let builds = try await SwitchVariants.pair(
            in: scratch, base: "tests/qemu-generic.yaml", lock: "tests/qemu-generic.lock",
            v2Extra: "kernel: ../../kernels/debian-generic-hang.yaml\n",
            prepare: { project in
                // The test variant: the kernel panics (no init) and, with panic=0, hangs.
                let kernel = try String(contentsOfFile: project + "/kernels/debian-generic.yaml", encoding: .utf8)
                    .replacingOccurrences(of: "  - watchdog.stop_on_reboot=0\n",
                                          with: "  - watchdog.stop_on_reboot=0\n  - panic=0\n  - rdinit=/nonexistent\n")
                try kernel.write(toFile: project + "/kernels/debian-generic-hang.yaml", atomically: true, encoding: .utf8)
            })
        let disk = scratch.path("disk.img")
        try Firmware.copyDisk(builds.v1.image, to: disk)
        try Firmware.freshVariables(at: scratch.path("vars.fd"))
        let console = try GuestConsole(
            arguments: Firmware.arguments(disk: disk, variables: scratch.path("vars.fd"), resets: true)
                + SwitchEndToEndTests.bundleDisks([builds.v2.bundleDisk]) + ["-device", "i6300esb,addr=09.0", "-watchdog-action", "reset"],
            logPath: scratch.path("watchdog.log"))
        _ = try await console.loginShell(timeout: Self.timeout)
        _ = try await console.run("systemctl is-system-running --wait", timeout: .seconds(600))
        let offset = console.offset
        try console.type("hostimg switch \(SwitchEndToEndTests.device(0)) --watchdog-timeout 90\n")
        try await console.wait(for: "watchdog armed for 90 s", timeout: .seconds(900), after: offset)
        try await console.wait(for: "Command line: roothash=\(builds.v2.rootHash)", timeout: .seconds(300), after: offset)
        try await console.wait(for: "BdsDxe", timeout: .seconds(400), after: offset)
        _ = try await console.loginShell(timeout: Self.timeout, after: console.offset)
        _ = try await console.run("systemctl is-system-running --wait", timeout: .seconds(600))
        let cmdline = try await console.run("cat /proc/cmdline").output
        #expect(cmdline.contains("roothash=\(builds.v1.rootHash)"), "the firmware booted another slot: \(cmdline)")
        let status = try await SwitchStatus.read(console)
        #expect(status.running == "A" && status.slot("B")?.boot == "bad" && status.result == "rolled-back", "\(status.raw)")
        try await console.powerOff()
    }
}

extension SwitchSourcesEndToEndTests {
    @Test("an image built without a trust store (unsigned) refuses every bundle and writes nothing")
    func noTrustStoreRefuses() async throws {
        let scratch = try ScratchDirectory()
        var options = Pipeline.Options(manifest: RootFSEndToEndTests.repository + "/manifests/qemu-dev.yaml",
                                       output: scratch.path("unsigned"), cache: RootFSEndToEndTests.cache)
        options.lockPath = RootFSEndToEndTests.repository + "/manifests/qemu-dev.lock"
        options.target = .bundle
        options.image = ImageRequest(signing: .unsigned, environment: ProcessInfo.processInfo.environment)
        let unsigned = try await Pipeline(options).run()
        let signed = try await SwitchVariants.pair(in: scratch, base: "qemu-dev.yaml", lock: "qemu-dev.lock")
        let disk = scratch.path("disk.img")
        try Firmware.copyDisk(try #require(unsigned.report.disk).path, to: disk)
        try Firmware.freshVariables(at: scratch.path("vars.fd"))
        let console = try GuestConsole(
            arguments: Firmware.arguments(disk: disk, variables: scratch.path("vars.fd"))
                + SwitchEndToEndTests.bundleDisks([signed.v2.bundleDisk]),
            logPath: scratch.path("untrusted.log"))
        _ = try await console.loginShell(timeout: Self.timeout)
        _ = try await console.run("systemctl is-system-running --wait", timeout: .seconds(600))
        let before = try await console.run(SwitchEndToEndTests.layoutHash).output
        let refused = try await console.run("ls /usr/lib/hostimg/trust; hostimg switch \(SwitchEndToEndTests.device(0))", timeout: .seconds(600))
        #expect(refused.status == 1 && refused.output.contains("nothing was written") && refused.output.contains("trust"), "\(refused.output)")
        #expect(try await console.run(SwitchEndToEndTests.layoutHash).output == before, "a refused bundle changed the GPT or the ESP")
        try await console.powerOff()
    }
}

/// Tests/HTTPSourceTests/server.py on 127.0.0.1 (a port it picks), serving `directory`.
final class LoopbackServer {
    let process = Process()
    let input = Pipe()
    let port: Int

    init(directory: String) throws {
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [RootFSEndToEndTests.repository + "/Tests/HTTPSourceTests/server.py", directory]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        // One line, "PORT IPV6"; availableData returns what is there (readData(ofLength:)
        // would wait for all 64 bytes of a server that keeps running).
        var line = ""
        while !line.contains("\n") {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += String(decoding: chunk, as: UTF8.self)
        }
        guard let port = line.split(separator: " ").first.flatMap({ Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
            process.terminate()
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "server.py printed no port: '\(line)'"])
        }
        self.port = port
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
