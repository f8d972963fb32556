import Foundation
import HostTuning
import TestSupport

/// A directory laid out like the parts of a host the tuning reads and writes: /proc, /sys,
/// /dev and /etc/group as plain files and directories. `healthy()` makes every promise of
/// `FakeHost.promises` hold; a test then breaks one thing.
///
/// The dpdk group's files get `dpdkGID`; tests that give a file another group need root.
struct FakeHost {
    let scratch: ScratchDirectory
    let root: String

    static let vfio = "0000:00:03.0"
    static let management = "0000:00:02.0"
    /// The dpdk group's id: 2001 as root (who may give a file any group), else the
    /// process's own group (the only one an unprivileged chown may give).
    static let dpdkGID = getuid() == 0 ? 2001 : UInt32(getegid())
    /// A group id no file of the tree has.
    static let otherGID: UInt32 = dpdkGID == 4242 ? 4243 : 4242

    init() throws {
        scratch = try ScratchDirectory()
        root = scratch.path("host")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    /// One promise of each kind: a command-line pool and a node pool of 2 MB pages, a node
    /// pool of 1 GB pages, a hugetlbfs mount of group dpdk, a vfio device, the management
    /// NIC, the vfio device group and the housekeeping CPUs.
    static var promises: TuningPromises {
        var promises = TuningPromises()
        promises.commandLine = ["default_hugepagesz=2M", "hugepagesz=2M", "hugepages=64", "intel_iommu=on"]
        promises.pools = [TuningPromises.Pool(sizeKB: 2048, count: 64), TuningPromises.Pool(sizeKB: 2048, count: 32, node: 1),
                          TuningPromises.Pool(sizeKB: 1_048_576, count: 2, node: 0)]
        promises.mounts = [TuningPromises.Mount(path: "/dev/hugepages", pageSizeKB: 2048, group: "dpdk", mode: 0o770)]
        promises.vfioDevices = [vfio]
        promises.keptDevices = [management]
        promises.deviceGroup = "dpdk"
        promises.affinity = "0,16,32,48"
        return promises
    }

    static let commandLine = "BOOT_IMAGE=/vmlinuz roothash=ab default_hugepagesz=2M hugepagesz=2M hugepages=64 intel_iommu=on iommu=pt quiet\n"

    /// mountinfo's line for a mount at `path` (what the kernel prints, with `shared:` tags).
    static func mountLine(_ path: String, type: String = "hugetlbfs", options: String = "rw,gid=2001,mode=770,pagesize=2M") -> String {
        "45 23 0:44 / \(path) rw,nosuid,nodev,relatime shared:17 - \(type) \(type) \(options)\n"
    }

    static let mountinfo = "22 1 253:0 / / ro,relatime shared:1 - erofs /dev/dm-0 ro,user_xattr\n"
        + "23 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs udev rw,size=1000k,nr_inodes=250,mode=755\n"
        + mountLine("/dev/hugepages1G", options: "rw,pagesize=1024M")
        + mountLine("/dev/hugepages")

    /// Everything `promises` asks for, as a healthy host shows it.
    func healthy() throws {
        try write("/proc/cmdline", Self.commandLine)
        try write("/proc/self/mountinfo", Self.mountinfo)
        try write("/proc/1/status", "Name:\tsystemd\nCpus_allowed:\t00000000,00010001,00010001\nCpus_allowed_list:\t0,16,32,48\nMems_allowed_list:\t0-1\n")
        try write("/etc/group", "root:x:0:\nkvm:x:994:\ndpdk:x:\(Self.dpdkGID):dpdk\n")
        try write("/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages", "96\n")
        try write("/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "2\n")
        try write("/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages", "32\n")
        try write("/sys/devices/system/node/node0/hugepages/hugepages-1048576kB/nr_hugepages", "2\n")
        try directory("/dev/hugepages", mode: 0o770, gid: Self.dpdkGID)
        try device(Self.vfio, driver: "vfio-pci")
        try device(Self.management, driver: "virtio-pci")
        try write("/dev/vfio/vfio", "", mode: 0o666)
        try write("/dev/vfio/7", "", mode: 0o660, gid: Self.dpdkGID)
    }

    func path(_ path: String) -> String { root + path }

    func write(_ path: String, _ text: String, mode: Int? = nil, gid: UInt32? = nil) throws {
        let full = root + path
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: full))
        try set(full, mode: mode, gid: gid)
    }

    func directory(_ path: String, mode: Int? = nil, gid: UInt32? = nil) throws {
        try FileManager.default.createDirectory(atPath: root + path, withIntermediateDirectories: true)
        try set(root + path, mode: mode, gid: gid)
    }

    func set(_ full: String, mode: Int?, gid: UInt32?) throws {
        var attributes: [FileAttributeKey: Any] = [:]
        if let mode { attributes[.posixPermissions] = mode }
        if let gid { attributes[.groupOwnerAccountID] = gid }
        if !attributes.isEmpty { try FileManager.default.setAttributes(attributes, ofItemAtPath: full) }
    }

    func remove(_ path: String) throws {
        try FileManager.default.removeItem(atPath: root + path)
    }

    func read(_ path: String) throws -> String {
        try String(contentsOfFile: root + path, encoding: .utf8)
    }

    /// A PCI device (its sysfs directory with driver_override as sysfs shows it unset), bound
    /// to `driver` when given: the driver's directory lists the address.
    func device(_ address: String, driver: String?) throws {
        try directory("/sys/bus/pci/devices/" + address)
        try write("/sys/bus/pci/devices/\(address)/driver_override", "(null)\n")
        if let driver { try bind(address, to: driver) }
    }

    func bind(_ address: String, to driver: String) throws {
        try directory("/sys/bus/pci/drivers/\(driver)/\(address)")
    }

    func unbind(_ address: String, from driver: String) throws {
        try remove("/sys/bus/pci/drivers/\(driver)/\(address)")
    }
}

/// Executable shell scripts for the tests to run, written through a close-on-exec descriptor.
/// Tests run in parallel and start programs: one started while a script is being written
/// must not inherit a descriptor open for writing on it, or running the script fails with
/// ETXTBSY ("Text file busy") for as long as that program lives.
enum Script {
    struct WriteError: Error, CustomStringConvertible {
        var path: String
        var code: Int32
        var description: String { "cannot write \(path): \(String(cString: strerror(code)))" }
    }

    static func write(_ path: String, _ body: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o755)
        guard fd >= 0 else { throw WriteError(path: path, code: errno) }
        defer { close(fd) }
        let bytes = Array(("#!/bin/sh\n" + body + "\n").utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { throw WriteError(path: path, code: errno) }
            written += count
        }
        guard fchmod(fd, 0o755) == 0 else { throw WriteError(path: path, code: errno) }
    }
}
