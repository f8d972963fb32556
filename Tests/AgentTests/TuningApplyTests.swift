import Agent
import Foundation
import HostTuning
import Testing
import TestSupport

/// The run-time tuning (`hostimg-agent tuning apply`) on a fake sysfs. Plain files read back
/// what was written, so node pools succeed; nothing binds a device in a fake tree, so a
/// vfio binding is written correctly and still reported as not taken.
@Suite struct TuningApplyTests {
    static let node1 = "/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages"
    static let node0 = "/sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages"

    static func pools(_ pools: [TuningPromises.Pool]) -> TuningPromises {
        var promises = TuningPromises()
        promises.pools = pools
        return promises
    }

    static func vfio(_ addresses: [String]) -> TuningPromises {
        var promises = TuningPromises()
        promises.vfioDevices = addresses
        return promises
    }

    /// A modprobe stand-in that records its arguments in `modprobe.args` and ends with `body`.
    static func modprobe(_ host: FakeHost, _ body: String) throws -> String {
        let path = host.scratch.path("modprobe")
        try HealthGateTests.script(path, "echo \"$@\" >> '\(host.scratch.path("modprobe.args"))'\n" + body)
        return path
    }

    static func modprobeCalls(_ host: FakeHost) -> String? {
        try? String(contentsOfFile: host.scratch.path("modprobe.args"), encoding: .utf8)
    }

    /// A host where vfio-pci is loaded, the device exists on no driver, drivers_probe is a file.
    static func pciHost(driver: String? = nil) throws -> FakeHost {
        let host = try FakeHost()
        try host.directory("/sys/bus/pci/drivers/vfio-pci")
        try host.write("/sys/bus/pci/drivers_probe", "")
        try host.device(FakeHost.vfio, driver: driver)
        return host
    }

    @Test func nodePoolsAreWrittenAndReadBack() throws {
        let host = try FakeHost()
        try host.write(Self.node1, "")
        try host.write(Self.node0, "")
        let promises = Self.pools([TuningPromises.Pool(sizeKB: 2048, count: 64), TuningPromises.Pool(sizeKB: 2048, count: 32, node: 1),
                                   TuningPromises.Pool(sizeKB: 1_048_576, count: 2, node: 0)])
        let outcome = TuningApply(promises: promises, root: host.root, modprobe: "/nonexistent/modprobe").run()
        #expect(outcome.problems == [])
        #expect(outcome.done == ["node 1: 32 2048 kB pages", "node 0: 2 1048576 kB pages"])
        #expect(try host.read(Self.node1) == "32\n")
        #expect(try host.read(Self.node0) == "2\n")
        // The command-line pool is the kernel's business: no system-wide file is written.
        #expect(!FileManager.default.fileExists(atPath: host.path("/sys/kernel/mm/hugepages")))
    }

    @Test func anUnwritablePoolFileIsAProblemNamingTheNode() throws {
        let host = try FakeHost()
        try host.directory(Self.node1)
        try host.write(Self.node0, "")
        let promises = Self.pools([TuningPromises.Pool(sizeKB: 2048, count: 32, node: 1), TuningPromises.Pool(sizeKB: 1_048_576, count: 2, node: 0)])
        let outcome = TuningApply(promises: promises, root: host.root).run()
        #expect(outcome.problems.count == 1)
        #expect(outcome.problems.first?.hasPrefix("node 1: cannot set 32 2048 kB pages: ") == true, "\(outcome.problems)")
        // The other node is still done.
        #expect(outcome.done == ["node 0: 2 1048576 kB pages"])
    }

    @Test func aMissingNodeIsAProblem() throws {
        let host = try FakeHost()
        let outcome = TuningApply(promises: Self.pools([TuningPromises.Pool(sizeKB: 2048, count: 8, node: 3)]), root: host.root).run()
        #expect(outcome.done.isEmpty)
        #expect(outcome.problems.first?.hasPrefix("node 3: cannot set 8 2048 kB pages: ") == true, "\(outcome.problems)")
    }

    @Test func vfioBindingWritesDriverOverrideAndProbesButReportsTheDeviceUnbound() throws {
        let host = try Self.pciHost()
        let modprobe = try Self.modprobe(host, "exit 0")
        let outcome = TuningApply(promises: Self.vfio([FakeHost.vfio]), root: host.root, modprobe: modprobe).run()
        #expect(try host.read("/sys/bus/pci/devices/\(FakeHost.vfio)/driver_override") == "vfio-pci\n")
        #expect(try host.read("/sys/bus/pci/drivers_probe") == FakeHost.vfio)
        #expect(outcome.done.isEmpty)
        #expect(outcome.problems == ["0000:00:03.0: still unbound after the probe; is the IOMMU on (dmesg | grep -i vfio)?"])
        // vfio-pci is loaded already: modprobe is not run.
        #expect(Self.modprobeCalls(host) == nil)
    }

    @Test func aDeviceOnAnotherDriverIsUnboundFromIt() throws {
        let host = try Self.pciHost(driver: "e1000e")
        try host.write("/sys/bus/pci/drivers/e1000e/unbind", "")
        let outcome = TuningApply(promises: Self.vfio([FakeHost.vfio]), root: host.root).run()
        #expect(try host.read("/sys/bus/pci/devices/\(FakeHost.vfio)/driver_override") == "vfio-pci\n")
        #expect(try host.read("/sys/bus/pci/drivers/e1000e/unbind") == FakeHost.vfio)
        // Still listed by e1000e (nothing unbinds in a fake tree): no probe, and a problem.
        #expect(try host.read("/sys/bus/pci/drivers_probe") == "")
        #expect(outcome.problems == ["0000:00:03.0: still on e1000e after the probe; is the IOMMU on (dmesg | grep -i vfio)?"])
    }

    @Test func aDeviceAlreadyOnVfioIsDone() throws {
        let host = try Self.pciHost(driver: "vfio-pci")
        let outcome = TuningApply(promises: Self.vfio([FakeHost.vfio]), root: host.root).run()
        #expect(outcome.problems.isEmpty)
        #expect(outcome.done == ["0000:00:03.0: bound to vfio-pci"])
        #expect(try host.read("/sys/bus/pci/drivers_probe") == "")
    }

    @Test func anAbsentDeviceIsAProblemAndTheOthersAreStillBound() throws {
        let host = try Self.pciHost(driver: "vfio-pci")
        let outcome = TuningApply(promises: Self.vfio(["0000:5e:00.0", FakeHost.vfio]), root: host.root).run()
        #expect(outcome.problems == ["0000:5e:00.0: no such PCI device on this host (check tuning.vfio.devices)"])
        #expect(outcome.done == ["0000:00:03.0: bound to vfio-pci"])
    }

    @Test func aWriteThatFailsIsAProblemNamingTheDevice() throws {
        let host = try Self.pciHost()
        try host.remove("/sys/bus/pci/devices/\(FakeHost.vfio)/driver_override")
        let outcome = TuningApply(promises: Self.vfio([FakeHost.vfio]), root: host.root).run()
        #expect(outcome.problems.count == 1)
        #expect(outcome.problems.first?.hasPrefix("0000:00:03.0: ") == true)
        #expect(outcome.problems.first?.contains("driver_override") == true, "\(outcome.problems)")
    }

    @Test func modprobeRunsWhenVfioPciIsNotLoadedAndItsFailureStopsTheBinding() throws {
        let host = try Self.pciHost()
        try host.remove("/sys/bus/pci/drivers/vfio-pci")
        let modprobe = try Self.modprobe(host, "echo 'modprobe: FATAL: Module vfio-pci not found in directory /lib/modules/6.1.0' >&2\nexit 1")
        let outcome = TuningApply(promises: Self.vfio([FakeHost.vfio]), root: host.root, modprobe: modprobe).run()
        #expect(Self.modprobeCalls(host) == "vfio-pci\n")
        #expect(outcome.problems == ["modprobe vfio-pci exited with status 1: modprobe: FATAL: Module vfio-pci not found in directory /lib/modules/6.1.0"])
        #expect(outcome.done.isEmpty)
        // No device was touched.
        #expect(try host.read("/sys/bus/pci/devices/\(FakeHost.vfio)/driver_override") == "(null)\n")
    }

    @Test func aModprobeThatCannotRunIsAProblem() throws {
        let host = try Self.pciHost()
        try host.remove("/sys/bus/pci/drivers/vfio-pci")
        let missing = host.scratch.path("no-modprobe")
        let outcome = TuningApply(promises: Self.vfio([FakeHost.vfio]), root: host.root, modprobe: missing).run()
        #expect(outcome.problems.count == 1)
        #expect(outcome.problems.first?.hasPrefix("cannot run \(missing): ") == true, "\(outcome.problems)")
    }

    @Test func aModprobeThatSucceedsLetsTheBindingGoOn() throws {
        let host = try Self.pciHost()
        try host.remove("/sys/bus/pci/drivers/vfio-pci")
        let modprobe = try Self.modprobe(host, "exit 0")
        let outcome = TuningApply(promises: Self.vfio([FakeHost.vfio]), root: host.root, modprobe: modprobe).run()
        #expect(Self.modprobeCalls(host) == "vfio-pci\n")
        #expect(try host.read("/sys/bus/pci/devices/\(FakeHost.vfio)/driver_override") == "vfio-pci\n")
        #expect(outcome.problems.first?.hasPrefix("0000:00:03.0: still unbound after the probe") == true, "\(outcome.problems)")
    }

    @Test func nothingToBindRunsNoModprobe() throws {
        let host = try FakeHost()
        let modprobe = try Self.modprobe(host, "exit 1")
        var promises = FakeHost.promises
        promises.vfioDevices = []
        promises.pools = []
        let outcome = TuningApply(promises: promises, root: host.root, modprobe: modprobe).run()
        #expect(outcome.done.isEmpty && outcome.problems.isEmpty)
        #expect(Self.modprobeCalls(host) == nil)
    }
}

/// A command-line pool and a node pool of the same page size (lint allows it: rule
/// hugepages.node-memory counts the node pool on top of the node's share of the boot-time
/// pool) on a host whose sysfs behaves like the kernel's: `hugepages=64` at boot is spread
/// over the nodes, a write to a node's nr_hugepages *sets* that node's count
/// (Documentation/admin-guide/mm/hugetlbpage.rst), and the system-wide count is the sum of
/// the nodes'. Apply writes the node pool's own count, the checks want the sum of all pools
/// in all and exactly the node pool's count on the node: no host can pass both.
@Suite struct NodePoolOnTopOfABootPoolTests {
    static let total = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
    static func node(_ id: Int) -> String { "/sys/devices/system/node/node\(id)/hugepages/hugepages-2048kB/nr_hugepages" }

    @Test func aHostThatAppliedTheTuningPassesItsChecks() throws {
        var promises = TuningPromises()
        // A size is either on the command line or per node (lint: hugepages.node-mixed).
        promises.pools = [TuningPromises.Pool(sizeKB: 2048, count: 64, node: 0), TuningPromises.Pool(sizeKB: 2048, count: 32, node: 1)]
        let host = try FakeHost()
        try host.write(Self.total, "0\n")
        try host.write(Self.node(0), "0\n")
        try host.write(Self.node(1), "0\n")
        let outcome = TuningApply(promises: promises, root: host.root).run()
        #expect(outcome.problems.isEmpty)
        // The kernel: the total is the nodes' sum.
        let sum = try [0, 1].map { try #require(Int(host.read(Self.node($0)).trimmingCharacters(in: .whitespacesAndNewlines))) }.reduce(0, +)
        try host.write(Self.total, "\(sum)\n")
        let checks = TuningChecks(promises: promises, root: host.root).run()
        #expect(checks.allSatisfy { $0.passed }, "\(checks.map(\.summary))")
    }
}
