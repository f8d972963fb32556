import Bundle
import Foundation
import Testing
import TestSupport

/// Issue 16's acceptance under nested TCG: the qemu-hv host (OVMF, 4 GiB, `memmap=1G!4G`)
/// runs an inner QEMU whose guest is a boot sector counting in its RAM, that RAM a shared file
/// in the preserved region. `hostimg switch` to version 2 pauses it, saves its device state,
/// kexecs, and the new slot's agent relaunches it (a new pid) and resumes it: the counter read
/// through QMP before and after never goes back. Version 3 fails its health check: back on
/// version 2 by kexec with the VM still preserved, resumed there. A hugetlbfs-backed VM is
/// planned cold and refuses the switch without --allow-cold. A damaged sentinel (the test
/// hook) makes the agent refuse to resume and say so, the VM's RAM left as it was. Beside the
/// counter, a small Linux guest (`InnerLinuxGuest`) crosses the same switches: its boot_id
/// stays and its uptime goes on.
@Suite("VM-preserving switch: nested QEMU on qemu-hv (OVMF)", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["HOSTIMG_NETWORK_TESTS"] == "1", "set HOSTIMG_NETWORK_TESTS=1 (make e2e): needs deb.debian.org"),
       .enabled(if: GuestConsole.binary != nil, "qemu-system-x86_64 is not installed"),
       .enabled(if: Firmware.isInstalled, "OVMF is not installed (apt-get install ovmf)"))
struct PreservingSwitchEndToEndTests {
    static let timeout = FirmwareBootEndToEndTests.bootTimeout
    static let socket = "/run/hostimg/vms/inner.qmp"
    static let ram = "/run/hostimg/preserved/inner.ram"

    /// The boot sector, written by printf with octal escapes (the guest has no base64 tool
    /// that busybox does not also need).
    static var writeBootSector: String {
        let escaped = CounterBootSector.sector.map { "\\" + String($0, radix: 8) }.joined()
        return "mkdir -p /var/lib/hostimg; printf '\(escaped)' > /var/lib/hostimg/inner.img; cp /var/lib/hostimg/inner.img /var/lib/hostimg/huge.img"
    }

    /// An inner QEMU: 16 MiB of RAM in `memPath` (shared), its copy of the counter boot sector
    /// (QEMU locks a disk image it writes, so two VMs cannot share one), QMP at
    /// /run/hostimg/vms/NAME.qmp, daemonized like a launcher would.
    static func launch(_ name: String, memPath: String) -> String {
        "mkdir -p /run/hostimg/vms; qemu-system-x86_64 -accel tcg -machine pc-i440fx-7.2 -m 16 -display none -nodefaults "
            + "-object memory-backend-file,id=ram,size=16M,mem-path=\(memPath),share=on -machine memory-backend=ram "
            + "-drive file=/var/lib/hostimg/\(name).img,format=raw,if=ide "
            + "-qmp unix:/run/hostimg/vms/\(name).qmp,server=on,wait=off -daemonize"
    }

    /// The counter (`xp` through `hostimg-agent qmp`), once the guest counts: under nested TCG
    /// its BIOS takes a while before the boot sector runs.
    static func counter(_ console: GuestConsole) async throws -> UInt32 {
        var last = ""
        for _ in 0..<60 {
            let reply = try await console.run("hostimg-agent qmp \(socket) human-monitor-command '{\"command-line\":\"\(CounterBootSector.readCommand)\"}'")
            last = reply.output
            if let match = reply.output.firstMatch(of: /: 0x([0-9a-fA-F]+)/), let value = UInt32(match.1, radix: 16), value > 0 {
                return value
            }
            try await Task.sleep(for: .seconds(2))
        }
        Issue.record("no counter above 0 in: \(last)")
        return 0
    }

    /// The pid of the VM `name` in `hostimg-agent vms --json`.
    static func pid(_ console: GuestConsole, _ name: String) async throws -> Int? {
        try await plan(console).first { $0["name"] as? String == name }?["pid"] as? Int
    }

    /// The Linux guest's reading after a switch: newer than `before`, the same boot.
    static func expectContinued(_ console: GuestConsole, from before: InnerLinuxGuest.Reading?, _ what: String) async throws -> InnerLinuxGuest.Reading? {
        let after = try await InnerLinuxGuest.reading(console, after: before, timeout: .seconds(300))
        if let before, let after {
            #expect(after.bootID == before.bootID && after.uptime > before.uptime,
                    "the inner Linux guest rebooted \(what): \(before) before, \(after) after")
        }
        return after
    }

    /// The inner VM's pid and path from `hostimg-agent vms --json`.
    static func plan(_ console: GuestConsole) async throws -> [[String: Any]] {
        let output = try await console.run("hostimg-agent vms --json").output
        let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] ?? [:]
        return object["vms"] as? [[String: Any]] ?? []
    }

    static func vmStatus(_ console: GuestConsole) async throws -> [String: Any] {
        let output = try await console.run("hostimg status --json").output
        let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] ?? [:]
        let vms = (object["lastSwitch"] as? [String: Any])?["vms"] as? [[String: Any]] ?? []
        return vms.first { $0["name"] as? String == "inner" } ?? [:]
    }

    @Test("a counting inner guest survives the kexec to v2 and the rollback from v3; hugetlbfs is cold; a bad sentinel refuses")
    func preservedAcrossKexec() async throws {
        let scratch = try ScratchDirectory()
        let builds = try await SwitchVariants.build(in: scratch, base: "qemu-hv.yaml", lock: "qemu-hv.lock", foreign: false)
        // The bundle says what the plan checks before anything is written: its slot's command
        // line (the reservation) and its QEMU.
        let manifest = try UpdateBundle.Reader(path: builds.v2.bundle).manifest
        #expect(manifest.commandLine?.contains("memmap=1G!4G") == true && manifest.commandLine?.contains(builds.v2.rootHash) == true)
        #expect(manifest.qemuVersion?.hasPrefix("1:7.2") == true, "\(manifest.qemuVersion ?? "no qemuVersion")")
        let disk = scratch.path("disk.img")
        try Firmware.copyDisk(builds.v1.image, to: disk)
        try Firmware.freshVariables(at: scratch.path("vars.fd"))
        let linuxDisk = try InnerLinuxGuest.payloadDisk(kernel: scratch.path("out-v1/vmlinuz"), in: scratch)
        let bundles = SwitchEndToEndTests.bundleDisks([builds.v2.bundleDisk, builds.v3.bundleDisk, builds.v1.bundleDisk, linuxDisk])
        let arguments = Firmware.arguments(disk: disk, variables: scratch.path("vars.fd"), memory: "4G") + bundles
        let console = try GuestConsole(arguments: arguments, logPath: scratch.path("preserve.log"))
        _ = try await console.loginShell(timeout: Self.timeout)
        _ = try await console.run("systemctl is-system-running --wait", timeout: .seconds(900))
        _ = try await console.run("until systemctl is-active -q hostimg-health.service; do sleep 1; done", timeout: .seconds(600))

        // The inner guests (the Linux one first: it takes longest to boot), and a third one on
        // hugetlbfs that cannot be kept.
        #expect(try await console.run(InnerLinuxGuest.launch(from: SwitchEndToEndTests.device(3))).status == 0)
        _ = try await console.run(Self.writeBootSector)
        #expect(try await console.run(Self.launch("inner", memPath: Self.ram)).status == 0)
        #expect(try await console.run(Self.launch("huge", memPath: "/dev/hugepages/huge.ram")).status == 0)
        let first = try await Self.counter(console)
        try await Task.sleep(for: .seconds(2))
        #expect(try await Self.counter(console) > first, "the inner guest does not count")
        let planned = try await Self.plan(console)
        let huge = planned.first { $0["name"] as? String == "huge" }
        #expect(huge?["path"] as? String == "cold" && "\(huge?["reasons"] ?? "")".contains("hugetlbfs"), "\(planned)")
        #expect(planned.first { $0["name"] as? String == "inner" }?["path"] as? String == "preserve", "\(planned)")
        let refused = try await console.run("hostimg switch \(SwitchEndToEndTests.device(0))", timeout: .seconds(900))
        #expect(refused.status == 1 && refused.output.contains("huge") && refused.output.contains("--allow-cold"), "\(refused.output)")
        _ = try await console.run("hostimg-agent qmp /run/hostimg/vms/huge.qmp quit; sleep 1; rm -f /run/hostimg/vms/huge.qmp")

        // Version 2 by kexec: the VMs are relaunched (other pids) and go on from where they were.
        let pid = try #require(try await Self.pid(console, "inner"))
        let linuxPid = try #require(try await Self.pid(console, InnerLinuxGuest.name))
        var linux = try await InnerLinuxGuest.reading(console)
        let before = try await Self.counter(console)
        try await SwitchEndToEndTests.switchAndWait(console, "hostimg switch \(SwitchEndToEndTests.device(0))", landing: builds.v2.rootHash)
        _ = try await console.run("until systemctl is-active -q hostimg-health.service; do sleep 1; done", timeout: .seconds(600))
        let after = try await Self.counter(console)
        #expect(after >= before, "the counter went back: \(before) before the switch, \(after) after")
        let relaunched = try #require(try await Self.pid(console, "inner"))
        #expect(relaunched != pid, "the inner QEMU was not relaunched")
        #expect(try await Self.pid(console, InnerLinuxGuest.name).map { $0 != linuxPid } == true, "the Linux guest's QEMU was not relaunched")
        linux = try await Self.expectContinued(console, from: linux, "across the kexec to v2")
        var status = try await Self.vmStatus(console)
        #expect(status["state"] as? String == "resumed" && (status["blackoutSeconds"] as? Double ?? 0) > 0, "\(status)")

        // Version 3 fails its gate: back on version 2 by kexec, the VM resumed there.
        let offset = console.offset
        let beforeRollback = try await Self.counter(console)
        try console.type("hostimg switch \(SwitchEndToEndTests.device(1))\n")
        try await console.wait(for: "Command line: roothash=\(builds.v3.rootHash)", timeout: .seconds(900), after: offset)
        try await console.wait(for: "Command line: roothash=\(builds.v2.rootHash)", timeout: Self.timeout, after: console.offset)
        _ = try await console.loginShell(timeout: Self.timeout, after: console.offset)
        _ = try await console.run("systemctl is-system-running --wait", timeout: .seconds(900))
        _ = try await console.run("until systemctl is-active -q hostimg-health.service; do sleep 1; done", timeout: .seconds(600))
        #expect(try await Self.counter(console) >= beforeRollback, "the counter went back across the rollback")
        linux = try await Self.expectContinued(console, from: linux, "across the rollback from v3")
        status = try await Self.vmStatus(console)
        #expect(status["state"] as? String == "resumed", "\(status)")

        // A damaged sentinel: the agent on the new slot refuses to resume and says why.
        let last = try await Self.counter(console)
        try await SwitchEndToEndTests.switchAndWait(
            console, "HOSTIMG_TEST_CORRUPT_SENTINEL=1 hostimg switch \(SwitchEndToEndTests.device(2)) --allow-downgrade",
            landing: builds.v1.rootHash)
        _ = try await console.run("until systemctl is-active -q hostimg-health.service; do sleep 1; done", timeout: .seconds(600))
        status = try await Self.vmStatus(console)
        #expect(status["state"] as? String == "failed" && "\(status["reason"] ?? "")".contains("sentinel"), "\(status)")
        #expect(try await Self.plan(console).isEmpty, "a VM was resumed over a damaged sentinel")
        let kept = try await console.run("od -An -tu4 -j \(CounterBootSector.counterAddress) -N4 \(Self.ram)").output
        #expect(UInt32(kept.trimmingCharacters(in: .whitespacesAndNewlines)).map { $0 >= last } == true,
                "the VM's RAM was not left as it was: counter \(kept), last read \(last)")
        try await console.powerOff()
    }
}
