import Agent
import Foundation
import HostTuning
import SystemIO
import Testing
import TestSupport

/// Which pmem device is the preserved region (by the physical range sysfs shows), the verdict
/// on a super block, and the health gate's check of the mount.
@Suite struct PreservedDevicesTests {
    static let inside = ("pmem1", Optional("0x100000000"), Optional("1073741824"))
    static let below = ("pmem0", Optional("0x40000000"), Optional("1073741824"))

    static func mountedDevice(_ recorder: MountRecorder) -> String? {
        recorder.calls.first.map { String($0.prefix { $0 != " " }) }
    }

    static func prepare(_ host: FakeHost, _ name: String) throws {
        let mkfs = try #require(PreservedRegionTests.mkfs)
        let result = try Tools.run(mkfs, ["-q", "-F", "-b", "4096", host.path("/dev/" + name)])
        try #require(result.status == 0, "\(result.stderr)")
    }

    @Test(.enabled(if: PreservedRegionTests.mkfs != nil, "needs mkfs.ext4 (apt-get install e2fsprogs)"))
    func theDeviceInsideTheRegionIsChosen() throws {
        let host = try PreservedRegionTests.host(devices: [Self.below, Self.inside])
        try Self.prepare(host, "pmem1")
        let recorder = MountRecorder()
        let lines = try PreservedRegionTests.region(host, recorder: recorder).mountRegion()
        #expect(Self.mountedDevice(recorder) == host.path("/dev/pmem1"))
        #expect(lines.first == "region 0x100000000–0x140000000: pmem1 (0x100000000+1073741824 bytes, inside it)")
    }

    /// After `ndctl create-namespace -m fsdax` the block device sits on a pfn device whose range
    /// starts past the page structures it keeps at the front.
    @Test(.enabled(if: PreservedRegionTests.mkfs != nil, "needs mkfs.ext4 (apt-get install e2fsprogs)"))
    func aPfnDeviceInsideTheRegionCounts() throws {
        let host = try PreservedRegionTests.host(devices: [("pmem0", "0x101000000", "\((1 << 30) - (16 << 20))")])
        try Self.prepare(host, "pmem0")
        let recorder = MountRecorder()
        _ = try PreservedRegionTests.region(host, recorder: recorder).mountRegion()
        #expect(Self.mountedDevice(recorder) == host.path("/dev/pmem0"))
    }

    @Test func noDeviceInsideTheRegionIsAnErrorListingThem() throws {
        let host = try PreservedRegionTests.host(devices: [Self.below, ("pmem2", "0x13fe00000", "4194304"),
                                                           ("pmem3", "0x100000000", "18446744073709551615")])
        let recorder = MountRecorder()
        let error = #expect(throws: PreservedRegionError.self) {
            try PreservedRegionTests.region(host, recorder: recorder).mountRegion()
        }
        #expect(error?.description == "no pmem device lies inside the preserved region 0x100000000–0x140000000; found pmem0 0x40000000+1073741824, pmem2 0x13fe00000+4194304, pmem3 0x100000000+18446744073709551615")
        #expect(recorder.calls == [])
    }

    @Test func twoDevicesInsideTheRegionAreAnError() throws {
        let host = try PreservedRegionTests.host(devices: [("pmem0", "0x100000000", "536870912"), ("pmem1", "0x120000000", "536870912")])
        let error = #expect(throws: PreservedRegionError.self) {
            try PreservedRegionTests.region(host, recorder: MountRecorder()).mountRegion()
        }
        #expect(error?.description.hasPrefix("2 pmem devices lie inside the preserved region") == true)
    }

    @Test(.enabled(if: PreservedRegionTests.mkfs != nil, "needs mkfs.ext4 (apt-get install e2fsprogs)"))
    func theOnlyDeviceIsUsedWhenItsRangeIsUnknown() throws {
        let host = try PreservedRegionTests.host(devices: [("pmem0", nil, "1073741824")])
        try Self.prepare(host, "pmem0")
        let recorder = MountRecorder()
        let lines = try PreservedRegionTests.region(host, recorder: recorder).mountRegion()
        #expect(Self.mountedDevice(recorder) == host.path("/dev/pmem0"))
        #expect(lines.first?.hasPrefix("region 0x100000000–0x140000000: pmem0, the only pmem device (its range is unknown: ") == true)
        #expect(lines.first?.contains("/sys/block/pmem0/device/resource") == true)
    }

    @Test func noDeviceLoadsThePmemModulesWaitsForProbingAndSaysWhatToCheck() throws {
        let host = try PreservedRegionTests.host(devices: [])
        try host.write("/sys/bus/nd/devices/ndbus0/wait_probe", "0\n")
        let modprobe = try TuningApplyTests.modprobe(host, "exit 0")
        let error = #expect(throws: PreservedRegionError.self) {
            try PreservedRegionTests.region(host, modprobe: modprobe, recorder: MountRecorder()).mountRegion()
        }
        #expect(TuningApplyTests.modprobeCalls(host) == "-a nd_e820 nd_pmem\n")
        #expect(error?.description == "no pmem device for the preserved region 0x100000000–0x140000000: is memmap=1G!4G on /proc/cmdline, and are nd_e820 and nd_pmem there?")
    }

    /// The device appears once the modules are loaded (as when udev had not loaded them yet).
    @Test(.enabled(if: PreservedRegionTests.mkfs != nil, "needs mkfs.ext4 (apt-get install e2fsprogs)"))
    func aDeviceTheModulesBringIsUsed() throws {
        let host = try PreservedRegionTests.host(devices: [])
        let ready = host.scratch.path("ready.img")
        try Data(count: PreservedRegionTests.imageSize).write(to: URL(fileURLWithPath: ready))
        let mkfs = try #require(PreservedRegionTests.mkfs)
        #expect(try Tools.run(mkfs, ["-q", "-F", "-b", "4096", ready]).status == 0)
        let sysfs = host.path("/sys/block/pmem0/device")
        let modprobe = try TuningApplyTests.modprobe(host, """
            mkdir -p '\(sysfs)' '\(host.path("/dev"))'
            echo 0x100000000 > '\(sysfs)/resource'
            echo 1073741824 > '\(sysfs)/size'
            cp '\(ready)' '\(host.path("/dev/pmem0"))'
            """)
        let recorder = MountRecorder()
        let lines = try PreservedRegionTests.region(host, modprobe: modprobe, recorder: recorder).mountRegion()
        #expect(lines.first == "no pmem device yet: loaded nd_e820, nd_pmem")
        #expect(lines.dropFirst().first == "region 0x100000000–0x140000000: pmem0 (0x100000000+1073741824 bytes, inside it)")
        #expect(Self.mountedDevice(recorder) == host.path("/dev/pmem0"))
    }

    /// Super blocks made byte by byte: the magic and the block size decide.
    @Test func verdicts() {
        func superblock(magic: UInt16, logBlockSize: UInt32) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: 1024)
            bytes[24] = UInt8(logBlockSize & 0xff)
            bytes[56] = UInt8(magic & 0xff)
            bytes[57] = UInt8(magic >> 8)
            for (index, byte) in "vms".utf8.enumerated() { bytes[120 + index] = byte }
            return bytes
        }
        #expect(PreservedRegion.verdict(superblock: [UInt8](repeating: 0, count: 1024)) == .format)
        #expect(PreservedRegion.verdict(superblock: []) == .format)
        #expect(PreservedRegion.verdict(superblock: superblock(magic: 0x53EF, logBlockSize: 2)) == .format)
        guard case let .mount(found) = PreservedRegion.verdict(superblock: superblock(magic: 0xEF53, logBlockSize: 2)) else {
            Issue.record("4096-byte blocks are mounted")
            return
        }
        #expect(found == Ext4SuperBlock(superblock(magic: 0xEF53, logBlockSize: 2)))
        #expect(found.blockSize == 4096 && found.label == "vms")
        guard case let .refuse(reason) = PreservedRegion.verdict(superblock: superblock(magic: 0xEF53, logBlockSize: 0)) else {
            Issue.record("1024-byte blocks are refused")
            return
        }
        #expect(reason.contains("1024-byte blocks"))
    }

    static func checks(_ host: FakeHost) -> [HealthGate.Check] {
        var promises = TuningPromises()
        promises.preserved = PreservedRegionTests.region
        return TuningChecks(promises: promises, root: host.root).run()
    }

    static func mounted(type: String, source: String, options: String) -> String {
        FakeHost.mountinfo + "50 22 259:0 / /run/hostimg/preserved rw,nosuid,nodev,relatime shared:30 - \(type) \(source) \(options)\n"
    }

    @Test("tuning/preserved: the health gate wants the region's ext4 mounted with dax")
    func healthCheck() throws {
        let host = try FakeHost()
        try host.write("/proc/self/mountinfo", Self.mounted(type: "ext4", source: "/dev/pmem0", options: "rw,dax=always"))
        #expect(Self.checks(host).map(\.summary) == ["/dev/pmem0 ext4 dax at /run/hostimg/preserved (memmap=1G!4G)"])
        #expect(Self.checks(host).map(\.passed) == [true])

        try host.write("/proc/self/mountinfo", Self.mounted(type: "ext4", source: "/dev/pmem0", options: "rw"))
        #expect(Self.checks(host).map(\.passed) == [false])
        #expect(Self.checks(host).first?.summary.contains("not ext4 with dax on a pmem device") == true)

        try host.write("/proc/self/mountinfo", FakeHost.mountinfo)
        #expect(Self.checks(host).map(\.summary) == ["nothing is mounted at /run/hostimg/preserved (hostimg-preserved.service; memmap=1G!4G)"])
    }

    @Test func theCommandTakesOnlyMount() {
        #expect(AgentCommand.main(["preserved", "format"], readUKICommandLine: { _ in "" }) == 2)
        #expect(AgentCommand.main(["preserved"], readUKICommandLine: { _ in "" }) == 2)
    }
}
