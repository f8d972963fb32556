import Agent
import Foundation
import HostTuning
import SystemIO
import Testing
import TestSupport

/// Records the mounts `PreservedRegion` asks for, and fails them with `failure` when set.
final class MountRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []
    let failure: SystemIOError?

    init(failing failure: SystemIOError? = nil) { self.failure = failure }

    var calls: [String] { lock.withLock { recorded } }

    var mount: @Sendable (String, String) throws(SystemIOError) -> Void {
        { device, target throws(SystemIOError) in
            self.lock.withLock { self.recorded.append("\(device) on \(target)") }
            if let failure = self.failure { throw failure }
        }
    }
}

/// `hostimg-agent preserved mount` on a fake host: sysfs as plain files, the pmem device as a
/// regular file image that the real mkfs.ext4 formats, mount(2) recorded. The three verdicts
/// (mount, format, refuse) are checked on the bytes of the image: a region that holds ext4 is
/// never written to.
@Suite struct PreservedRegionTests {
    static let region = TuningPromises.Preserved(size: 1 << 30, offset: 4 << 30, path: "/run/hostimg/preserved")
    static let mkfs = Tools.find("mkfs.ext4")
    /// An image of a few MiB: what the region's device holds matters, not its size.
    static let imageSize = 16 << 20

    /// A host with `pmem0` at the region's range (sysfs) and `/dev/pmem0` a zeroed image.
    static func host(devices: [(name: String, start: String?, size: String?)] = [("pmem0", "0x100000000", "1073741824")]) throws -> FakeHost {
        let host = try FakeHost()
        try host.write("/proc/self/mountinfo", FakeHost.mountinfo)
        for device in devices {
            try host.directory("/sys/block/\(device.name)/device")
            if let start = device.start { try host.write("/sys/block/\(device.name)/device/resource", start + "\n") }
            if let size = device.size { try host.write("/sys/block/\(device.name)/device/size", size + "\n") }
            try host.write("/dev/" + device.name, "")
            try FileHandle(forWritingAtPath: host.path("/dev/" + device.name))?.truncate(atOffset: UInt64(imageSize))
        }
        return host
    }

    static func region(_ host: FakeHost, mkfs: String? = PreservedRegionTests.mkfs, modprobe: String = "/nonexistent/modprobe",
                       recorder: MountRecorder) -> PreservedRegion {
        PreservedRegion(region: region, root: host.root, modprobe: modprobe, mkfs: mkfs ?? "/nonexistent/mkfs.ext4",
                        mount: recorder.mount)
    }

    /// The real mkfs.ext4 on the fake device, as an operator (or an earlier boot) would have.
    static func makeExt4(_ host: FakeHost, blockSize: Int = 4096, label: String = "guests") throws {
        let mkfs = try #require(Self.mkfs)
        let result = try Tools.run(mkfs, ["-q", "-F", "-b", "\(blockSize)", "-L", label, host.path("/dev/pmem0")])
        try #require(result.status == 0, "\(result.stderr)")
    }

    static func bytes(_ host: FakeHost) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: host.path("/dev/pmem0")))
    }

    @Test(.enabled(if: mkfs != nil && Tools.find("dumpe2fs") != nil, "needs mkfs.ext4 and dumpe2fs (apt-get install e2fsprogs)"))
    func emptyRegionIsFormattedWith4KBlocksThenMounted() throws {
        let host = try Self.host()
        let recorder = MountRecorder()
        let lines = try Self.region(host, recorder: recorder).mountRegion()
        let device = host.path("/dev/pmem0")
        #expect(recorder.calls == ["\(device) on \(host.path("/run/hostimg/preserved"))"])
        #expect(FileManager.default.fileExists(atPath: host.path("/run/hostimg/preserved")))
        #expect(lines.count == 3)
        #expect(lines.first == "region 0x100000000–0x140000000: pmem0 (0x100000000+1073741824 bytes, inside it)")
        #expect(lines.dropFirst().first?.hasPrefix("\(device) held no ext4: formatted (mkfs.ext4 -q -F -m 0 -b 4096 -L hostimg-preserve") == true)
        #expect(lines.last == "mounted \(device) (ext4, label 'hostimg-preserve', 4096-byte blocks) with dax at /run/hostimg/preserved")
        // The upstream tool's reading of what was made.
        let dump = try Tools.run(try #require(Tools.find("dumpe2fs")), ["-h", device])
        #expect(dump.status == 0)
        #expect(dump.stdoutText.contains("Block size:               4096"))
        #expect(dump.stdoutText.contains("Filesystem volume name:   hostimg-preserve\n"))
        #expect(dump.stdoutText.contains("Reserved block count:     0"))
    }

    @Test(.enabled(if: mkfs != nil, "needs mkfs.ext4 (apt-get install e2fsprogs)"))
    func ext4IsMountedAndNeverFormatted() throws {
        let host = try Self.host()
        try Self.makeExt4(host)
        let before = try Self.bytes(host)
        let recorder = MountRecorder()
        // No mkfs at all: a call to it would fail the mount.
        let lines = try Self.region(host, mkfs: nil, recorder: recorder).mountRegion()
        #expect(recorder.calls.count == 1)
        #expect(lines.last?.hasPrefix("mounted \(host.path("/dev/pmem0")) (ext4, label 'guests', 4096-byte blocks)") == true)
        #expect(try Self.bytes(host) == before)
    }

    @Test(.enabled(if: mkfs != nil, "needs mkfs.ext4 (apt-get install e2fsprogs)"))
    func ext4ThatWillNotMountIsRefusedAndLeftAlone() throws {
        let host = try Self.host()
        try Self.makeExt4(host)
        let before = try Self.bytes(host)
        let recorder = MountRecorder(failing: SystemIOError("/run/hostimg/preserved", "mount ext4", code: EINVAL))
        let error = #expect(throws: PreservedRegionError.self) {
            try Self.region(host, recorder: recorder).mountRegion()
        }
        #expect(recorder.calls.count == 1)
        #expect(error?.description.contains("holds ext4 (label 'guests') but it will not mount with dax") == true)
        #expect(error?.description.contains("Invalid argument") == true)
        #expect(error?.description.contains("never reformatted") == true)
        #expect(try Self.bytes(host) == before)
    }

    @Test(.enabled(if: mkfs != nil, "needs mkfs.ext4 (apt-get install e2fsprogs)"))
    func ext4WithSmallBlocksIsRefusedBeforeAnyMount() throws {
        let host = try Self.host()
        try Self.makeExt4(host, blockSize: 1024)
        let before = try Self.bytes(host)
        let recorder = MountRecorder()
        let error = #expect(throws: PreservedRegionError.self) {
            try Self.region(host, recorder: recorder).mountRegion()
        }
        #expect(recorder.calls == [])
        #expect(error?.description.contains("ext4 with 1024-byte blocks, which DAX cannot mount") == true)
        #expect(try Self.bytes(host) == before)
    }

    @Test func failingMkfsIsReportedAndNothingIsMounted() throws {
        let host = try Self.host()
        let mkfs = host.scratch.path("mkfs.ext4")
        try Script.write(mkfs, "echo 'mkfs.ext4: Device size reported to be zero.' >&2\nexit 1")
        let recorder = MountRecorder()
        let error = #expect(throws: PreservedRegionError.self) {
            try Self.region(host, mkfs: mkfs, recorder: recorder).mountRegion()
        }
        #expect(recorder.calls == [])
        #expect(error?.description.contains("exited with status 1: mkfs.ext4: Device size reported to be zero.") == true)
    }

    @Test func regionAlreadyMountedWithDaxIsLeftAsItIs() throws {
        let host = try Self.host()
        try host.write("/proc/self/mountinfo", FakeHost.mountinfo
            + FakeHost.mountLine("/run/hostimg/preserved", type: "ext4", options: "rw,dax=always").replacingOccurrences(of: "ext4 ext4", with: "ext4 /dev/pmem0"))
        let recorder = MountRecorder()
        let lines = try Self.region(host, mkfs: nil, recorder: recorder).mountRegion()
        #expect(lines == ["/run/hostimg/preserved: /dev/pmem0 is already mounted (ext4, dax); nothing to do"])
        #expect(recorder.calls == [])
    }

    @Test func somethingElseMountedThereIsAnError() throws {
        let host = try Self.host()
        try host.write("/proc/self/mountinfo", FakeHost.mountinfo + FakeHost.mountLine("/run/hostimg/preserved", type: "tmpfs", options: "rw"))
        let recorder = MountRecorder()
        let error = #expect(throws: PreservedRegionError.self) {
            try Self.region(host, recorder: recorder).mountRegion()
        }
        #expect(error?.description.contains("already has tmpfs (tmpfs, rw) mounted, not the region's ext4 with dax") == true)
        #expect(recorder.calls == [])
    }
}
