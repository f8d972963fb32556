import Foundation
import Testing
import TestSupport

/// Issue 14's last acceptance: DPDK itself runs on what the image bakes in. The image is
/// qemu-dev plus dpdk-dev (manifests/tests/qemu-dpdk.yaml); dpdk-testpmd runs as the non-root
/// user `dpdk`, takes its memory from the hugetlbfs mount, drives the e1000e through vfio-pci
/// and the emulated IOMMU, and transmits for a while. No manual step comes before it.
@Suite("dpdk-testpmd on a booted image (qemu-dpdk, OVMF, intel-iommu)", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["HOSTIMG_NETWORK_TESTS"] == "1", "set HOSTIMG_NETWORK_TESTS=1 (make e2e): needs deb.debian.org"),
       .enabled(if: GuestConsole.binary != nil, "qemu-system-x86_64 is not installed"),
       .enabled(if: Firmware.isInstalled, "OVMF is not installed (apt-get install ovmf)"))
struct DPDKEndToEndTests {
    @Test("dpdk-testpmd, run by a non-root member of the DPDK group, probes the vfio-bound e1000e and transmits")
    func testpmdTransmits() async throws {
        let scratch = try ScratchDirectory()
        let manifest = "tests/qemu-dpdk.yaml"
        let promises = try TuningEndToEndTests.promises(manifest)
        let hugepages = try #require(promises.mounts.first?.path)
        let device = try #require(promises.vfioDevices.first)
        let result = try await TuningEndToEndTests.build(manifest, in: scratch)
        let console = try await TuningEndToEndTests.boot(result, in: scratch, name: "dpdk")
        let gate = try await console.run("systemctl is-active hostimg-health.service; systemctl --failed --no-legend --plain")
        #expect(gate.output == "active\n", "the DPDK image is healthy: \(gate.output)")
        let user = try await console.run("runuser -u dpdk -- sh -c 'id -u; id -Gn; ulimit -l'")
        let facts = user.output.split(separator: "\n").map(String.init)
        #expect(facts.count == 3 && facts[0] != "0" && facts[1].split(separator: " ").contains("dpdk") && facts[2] == "unlimited",
                "the dpdk user: \(user.output)")
        let command = "runuser -u dpdk -- timeout -s INT 20 dpdk-testpmd -l 0-1 -n 1 --huge-dir \(hugepages) -a \(device)"
            + " -- --forward-mode=txonly --total-num-mbufs=2048 --stats-period 5"
        let run = try await console.run(command + " 2>&1", timeout: .seconds(300))
        let sent = Self.transmitted(run.output)
        #expect(run.output.contains("Port 0: "), "testpmd did not probe the port:\n\(run.output.suffix(3000))")
        #expect((sent ?? 0) > 0, "no packets sent:\n\(run.output.suffix(3000))")
        print("dpdk-testpmd as user dpdk on \(device) (vfio-pci), huge pages from \(hugepages): TX-packets \(sent ?? 0) in 20 s")
        try await console.powerOff()
    }

    /// TX-packets of testpmd's final "Accumulated forward statistics for all ports".
    static func transmitted(_ output: String) -> Int? {
        guard let block = output.range(of: "Accumulated forward statistics for all ports") else { return nil }
        let rest = output[block.upperBound...]
        guard let label = rest.range(of: "TX-packets:") else { return nil }
        return Int(rest[label.upperBound...].drop { $0 == " " }.prefix { $0.isNumber })
    }
}
