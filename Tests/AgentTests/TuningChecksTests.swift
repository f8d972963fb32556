import Agent
import Foundation
import HostTuning
import Testing
import TestSupport

/// The tuning checks of the health gate on a fake host tree (`FakeHost`): every promise
/// holds and every check passes; then one thing at a time is broken and exactly its check
/// fails, with a summary that says what is wrong.
@Suite struct TuningChecksTests {
    static let names = [
        "tuning/cmdline", "tuning/hugepages-2048kB", "tuning/hugepages-1048576kB", "tuning/mount /dev/hugepages",
        "tuning/vfio 0000:00:03.0", "tuning/keep 0000:00:02.0", "tuning/device-group", "tuning/affinity",
    ]

    /// A healthy host with `breakIt` applied, checked; the checks that failed.
    static func failures(_ breakIt: (FakeHost) throws -> Void, promises: TuningPromises = FakeHost.promises) throws -> [HealthGate.Check] {
        let host = try FakeHost()
        try host.healthy()
        try breakIt(host)
        let checks = TuningChecks(promises: promises, root: host.root).run()
        #expect(checks.map(\.name) == Self.names)
        return checks.filter { !$0.passed }
    }

    /// The one check that failed, by name, and its summary.
    static func onlyFailure(_ breakIt: (FakeHost) throws -> Void) throws -> (name: String, summary: String)? {
        let failed = try failures(breakIt)
        #expect(failed.count == 1, "\(failed.map { "\($0.name): \($0.summary)" })")
        return failed.first.map { ($0.name, $0.summary) }
    }

    @Test func everyPromiseHoldsAndEveryCheckPasses() throws {
        let host = try FakeHost()
        try host.healthy()
        let checks = TuningChecks(promises: FakeHost.promises, root: host.root).run()
        #expect(checks.map(\.name) == Self.names)
        #expect(checks.allSatisfy { $0.passed }, "\(checks.filter { !$0.passed }.map(\.summary))")
        let summaries = Dictionary(uniqueKeysWithValues: checks.map { ($0.name, $0.summary) })
        #expect(summaries["tuning/cmdline"] == "4 parameter(s) present")
        #expect(summaries["tuning/hugepages-2048kB"] == "96 in all, 32 on node 1")
        #expect(summaries["tuning/hugepages-1048576kB"] == "2 in all, 2 on node 0")
        #expect(summaries["tuning/mount /dev/hugepages"] == "hugetlbfs pagesize=2M group dpdk mode 0770")
        #expect(summaries["tuning/keep 0000:00:02.0"] == "on virtio-pci")
        #expect(summaries["tuning/affinity"] == "systemd runs on CPUs 0,16,32,48")
    }

    @Test func noPromisesNoChecks() throws {
        let host = try FakeHost()
        #expect(TuningChecks(promises: TuningPromises(), root: host.root).run().isEmpty)
    }

    @Test func aMissingCommandLineParameterIsNamed() throws {
        let failed = try Self.onlyFailure { host in
            // hugepages=640 is not hugepages=64: parameters are compared as whole words.
            try host.write("/proc/cmdline", "BOOT_IMAGE=/vmlinuz default_hugepagesz=2M hugepagesz=2M hugepages=640\n")
        }
        #expect(failed?.name == "tuning/cmdline")
        #expect(failed?.summary == "/proc/cmdline lacks hugepages=64 intel_iommu=on: the slot booted without its own command line")
    }

    @Test func anUnreadableCommandLineFails() throws {
        let failed = try Self.onlyFailure { try $0.remove("/proc/cmdline") }
        #expect(failed?.summary == "cannot read /proc/cmdline")
    }

    @Test func aHugepageShortfallGivesTheNumbers() throws {
        let failed = try Self.onlyFailure { try $0.write("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "90\n") }
        #expect(failed?.name == "tuning/hugepages-2048kB")
        #expect(failed?.summary == "shortfall: 90 of 96 2048 kB pages in all (6 missing: memory too small or fragmented)")
    }

    @Test func morePagesThanPromisedFail() throws {
        let failed = try Self.onlyFailure { try $0.write("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "100\n") }
        #expect(failed?.name == "tuning/hugepages-2048kB")
        #expect(failed?.summary == "100 2048 kB pages in all, the image promises 96")
        #expect(failed?.summary.contains("shortfall") == false)
    }

    @Test func aNodePoolWithTheWrongCountFails() throws {
        let failed = try Self.onlyFailure { try $0.write("/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages", "30\n") }
        #expect(failed?.name == "tuning/hugepages-2048kB")
        #expect(failed?.summary.hasPrefix("shortfall: 30 of 32 2048 kB pages on node 1 (2 missing") == true)
        let more = try Self.onlyFailure { try $0.write("/sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages", "3\n") }
        #expect(more?.name == "tuning/hugepages-1048576kB")
        #expect(more?.summary == "3 1048576 kB pages on node 0, the image promises 2")
    }

    @Test func missingSysfsFilesNameTheSizeOrTheNode() throws {
        let size = try Self.onlyFailure { try $0.remove("/sys/kernel/mm/hugepages/hugepages-1048576kB") }
        #expect(size?.summary == "/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages is missing: the kernel has no 1048576 kB pages")
        let node = try Self.onlyFailure { try $0.remove("/sys/devices/system/node/node1") }
        #expect(node?.summary == "/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages is missing: no NUMA node 1")
        let garbage = try Self.onlyFailure { try $0.write("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "lots\n") }
        #expect(garbage?.summary.hasSuffix("is missing: the kernel has no 2048 kB pages") == true)
    }

    @Test func bothTheTotalAndANodeAreReportedInOneCheck() throws {
        let failed = try Self.onlyFailure { host in
            try host.write("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "64\n")
            try host.write("/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages", "0\n")
        }
        #expect(failed?.summary == "shortfall: 64 of 96 2048 kB pages in all (32 missing: memory too small or fragmented); "
            + "shortfall: 0 of 32 2048 kB pages on node 1 (32 missing: memory too small or fragmented)")
    }

    @Test func noMountAtThePathFails() throws {
        // /dev/hugepages1G is mounted, /dev/hugepages is not: a prefix is not the path.
        let failed = try Self.onlyFailure { try $0.write("/proc/self/mountinfo", FakeHost.mountLine("/dev/hugepages1G", options: "rw,pagesize=2M")) }
        #expect(failed?.name == "tuning/mount /dev/hugepages")
        #expect(failed?.summary == "nothing is mounted at /dev/hugepages")
        let unreadable = try Self.onlyFailure { try $0.remove("/proc/self/mountinfo") }
        #expect(unreadable?.summary == "cannot read /proc/self/mountinfo")
    }

    @Test func aMountOfAnotherFilesystemFails() throws {
        let failed = try Self.onlyFailure { try $0.write("/proc/self/mountinfo", FakeHost.mountLine("/dev/hugepages", type: "tmpfs", options: "rw,mode=770")) }
        #expect(failed?.summary == "/dev/hugepages is tmpfs, not hugetlbfs")
    }

    @Test func theLastMountAtThePathCounts() throws {
        // A tmpfs mounted over the hugetlbfs hides it.
        let failed = try Self.onlyFailure { host in
            try host.write("/proc/self/mountinfo", FakeHost.mountinfo + FakeHost.mountLine("/dev/hugepages", type: "tmpfs", options: "rw"))
        }
        #expect(failed?.summary == "/dev/hugepages is tmpfs, not hugetlbfs")
    }

    @Test func theWrongPageSizeFails() throws {
        let failed = try Self.onlyFailure { try $0.write("/proc/self/mountinfo", FakeHost.mountLine("/dev/hugepages", options: "rw,gid=2001,mode=770,pagesize=1024M")) }
        #expect(failed?.summary == "/dev/hugepages has pagesize=1024M, the image promises pagesize=2M")
        let none = try Self.onlyFailure { try $0.write("/proc/self/mountinfo", FakeHost.mountLine("/dev/hugepages", options: "rw,mode=770")) }
        #expect(none?.summary == "/dev/hugepages has no pagesize, the image promises pagesize=2M")
    }

    /// The kernel prints a hugetlbfs page size in K or M only (fs/hugetlbfs/inode.c,
    /// hugetlbfs_show_options: a 'G' was proposed and refused, it would break parsers), so a
    /// mount of 1 GB pages shows `pagesize=1024M` in /proc/self/mountinfo.
    @Test func aOneGigabyteMountAsTheKernelShowsItPasses() throws {
        var promises = TuningPromises()
        promises.mounts = [TuningPromises.Mount(path: "/dev/hugepages1G", pageSizeKB: 1_048_576, group: "dpdk", mode: 0o770)]
        let host = try FakeHost()
        try host.healthy()
        try host.directory("/dev/hugepages1G", mode: 0o770, gid: FakeHost.dpdkGID)
        try host.write("/proc/self/mountinfo", FakeHost.mountLine("/dev/hugepages1G", options: "rw,gid=\(FakeHost.dpdkGID),mode=770,pagesize=1024M"))
        let check = try #require(TuningChecks(promises: promises, root: host.root).run().first)
        #expect(check.passed, "\(check.summary)")
    }

    @Test func theWrongModeFails() throws {
        let failed = try Self.onlyFailure { try $0.directory("/dev/hugepages", mode: 0o755) }
        #expect(failed?.summary == "/dev/hugepages: mode 0755, not 0770")
    }

    @Test func theWrongGroupFails() throws {
        // dpdk names another group id than the mount's (and /dev/vfio/7's): both checks fail.
        let failed = try Self.failures { try $0.write("/etc/group", "root:x:0:\ndpdk:x:\(FakeHost.otherGID):dpdk\n") }
        #expect(failed.map(\.name) == ["tuning/mount /dev/hugepages", "tuning/device-group"])
        #expect(failed.first?.summary == "/dev/hugepages: group id \(FakeHost.dpdkGID), not dpdk (\(FakeHost.otherGID))")
        let gone = try Self.failures { try $0.write("/etc/group", "root:x:0:\nkvm:x:994:\n") }
        #expect(gone.map(\.name) == ["tuning/mount /dev/hugepages", "tuning/device-group"])
        #expect(gone.first?.summary == "/dev/hugepages: group dpdk is not in /etc/group")
        #expect(gone.last?.summary == "group dpdk is not in /etc/group")
    }

    @Test(.enabled(if: getuid() == 0, "changing a file's group to one the process is not in needs root"))
    func aMountDirectoryOfAnotherGroupFails() throws {
        let failed = try Self.onlyFailure { try $0.directory("/dev/hugepages", gid: FakeHost.otherGID) }
        #expect(failed?.name == "tuning/mount /dev/hugepages")
        #expect(failed?.summary == "/dev/hugepages: group id \(FakeHost.otherGID), not dpdk (\(FakeHost.dpdkGID))")
        let both = try Self.onlyFailure { try $0.directory("/dev/hugepages", mode: 0o700, gid: FakeHost.otherGID) }
        #expect(both?.summary == "/dev/hugepages: mode 0700, not 0770, group id \(FakeHost.otherGID), not dpdk (\(FakeHost.dpdkGID))")
    }

    @Test func aMountOfTheRootGroupNeedsGID0() throws {
        var promises = FakeHost.promises
        promises.mounts = [TuningPromises.Mount(path: "/dev/hugepages", pageSizeKB: 2048, group: nil, mode: 0o770)]
        let host = try FakeHost()
        try host.healthy()
        let check = TuningChecks(promises: promises, root: host.root).run().first { $0.name == "tuning/mount /dev/hugepages" }
        if FakeHost.dpdkGID == 0 {
            #expect(check?.passed == true)
        } else {
            #expect(check?.summary == "/dev/hugepages: group id \(FakeHost.dpdkGID), not root (0)")
        }
    }

    @Test func aVfioDeviceOnAnotherDriverOrNoneFails() throws {
        let other = try Self.onlyFailure { host in
            try host.unbind(FakeHost.vfio, from: "vfio-pci")
            try host.bind(FakeHost.vfio, to: "e1000e")
        }
        #expect(other?.name == "tuning/vfio 0000:00:03.0")
        #expect(other?.summary == "0000:00:03.0 is bound to e1000e, not vfio-pci")
        let none = try Self.onlyFailure { try $0.unbind(FakeHost.vfio, from: "vfio-pci") }
        #expect(none?.summary == "0000:00:03.0 is bound to no driver, not vfio-pci")
        let absent = try Self.onlyFailure { try $0.remove("/sys/bus/pci/devices/" + FakeHost.vfio) }
        #expect(absent?.summary == "no PCI device 0000:00:03.0 on this host")
    }

    @Test func theManagementNICOnVfioFails() throws {
        let failed = try Self.onlyFailure { host in
            try host.unbind(FakeHost.management, from: "virtio-pci")
            try host.bind(FakeHost.management, to: "vfio-pci")
        }
        #expect(failed?.name == "tuning/keep 0000:00:02.0")
        #expect(failed?.summary == "0000:00:02.0 (the management NIC) is bound to vfio-pci: the host would lose its network")
        // Absent, or on no driver, it is not on vfio-pci: that passes.
        #expect(try Self.failures { try $0.remove("/sys/bus/pci/devices/" + FakeHost.management) }.isEmpty)
        #expect(try Self.failures { try $0.unbind(FakeHost.management, from: "virtio-pci") }.isEmpty)
    }

    @Test(.enabled(if: getuid() == 0, "changing a file's group to one the process is not in needs root"))
    func aVfioGroupDeviceOfAnotherGroupFails() throws {
        let failed = try Self.onlyFailure { try $0.write("/dev/vfio/7", "", mode: 0o660, gid: FakeHost.otherGID) }
        #expect(failed?.name == "tuning/device-group")
        #expect(failed?.summary == "not usable by group dpdk (\(FakeHost.dpdkGID)): /dev/vfio/7 group id \(FakeHost.otherGID) mode 0660")
    }

    @Test func aVfioGroupDeviceNotGroupWritableOrMissingFails() throws {
        let mode = try Self.onlyFailure { try $0.write("/dev/vfio/7", "", mode: 0o640, gid: FakeHost.dpdkGID) }
        #expect(mode?.summary == "not usable by group dpdk (\(FakeHost.dpdkGID)): /dev/vfio/7 group id \(FakeHost.dpdkGID) mode 0640")
        let empty = try Self.onlyFailure { try $0.remove("/dev/vfio/7") }
        #expect(empty?.summary == "/dev/vfio holds no group device")
        let missing = try Self.onlyFailure { try $0.remove("/dev/vfio") }
        #expect(missing?.summary == "/dev/vfio is missing")
    }

    @Test func theDeviceGroupIsCheckedOnlyWithVfioDevices() throws {
        var promises = FakeHost.promises
        promises.vfioDevices = []
        let host = try FakeHost()
        try host.healthy()
        try host.remove("/dev/vfio")
        let checks = TuningChecks(promises: promises, root: host.root).run()
        #expect(!checks.map(\.name).contains("tuning/device-group"))
        #expect(checks.allSatisfy { $0.passed })
    }

    @Test func pid1OnOtherCPUsFails() throws {
        let failed = try Self.onlyFailure { try $0.write("/proc/1/status", "Name:\tsystemd\nCpus_allowed_list:\t0-63\n") }
        #expect(failed?.name == "tuning/affinity")
        #expect(failed?.summary == "systemd runs on CPUs 0-63, the image promises 0,16,32,48")
        let unreadable = try Self.onlyFailure { try $0.write("/proc/1/status", "Name:\tsystemd\n") }
        #expect(unreadable?.summary == "cannot read Cpus_allowed_list of PID 1")
        // The same set written another way passes.
        #expect(try Self.failures { try $0.write("/proc/1/status", "Cpus_allowed_list:\t48,32,16,0\n") }.isEmpty)
    }

    @Test func loadWithoutAFileIsNil() throws {
        let host = try FakeHost()
        #expect(TuningChecks.load(root: host.root) == nil)
    }

    @Test func loadReadsTheFileUnderTheRoot() throws {
        let host = try FakeHost()
        try host.write(TuningPromises.path, FakeHost.promises.encoded(header: ["test"]))
        guard case let .checks(checks)? = TuningChecks.load(root: host.root) else {
            Issue.record("tuning.conf was not loaded")
            return
        }
        #expect(checks.promises == FakeHost.promises)
        #expect(checks.root == host.root)
    }

    @Test func anUnparseableFileIsAFailedCheckNamingTheLine() throws {
        let host = try FakeHost()
        try host.write(TuningPromises.path, "# header\ncmdline iommu=pt\nhugepages 2048 64\n")
        guard case let .unreadable(check)? = TuningChecks.load(root: host.root) else {
            Issue.record("an unparseable tuning.conf was not reported")
            return
        }
        #expect(check.name == "tuning")
        #expect(!check.passed)
        #expect(check.summary.hasPrefix("cannot read /usr/lib/hostimg/tuning.conf: line 3: unknown promise 'hugepages'"))
    }
}
