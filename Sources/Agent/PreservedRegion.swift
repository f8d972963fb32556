import Glibc
import HostTuning
import SystemIO

/// `hostimg-agent preserved mount` (`hostimg-preserved.service`, early in every boot): the
/// `memmap=SIZE!OFFSET` region the image promises, found as a pmem block device by its
/// physical range, and mounted with an ext4 DAX file system at the promised path.
///
/// ```
/// ext4 magic, page-sized blocks   → mount -o dax=always        (guests' memory may be there)
/// ext4 magic, other block size    → refuse                     (DAX cannot mount it; never reformat)
/// ext4 magic, the mount fails     → refuse, loudly             (never reformat)
/// no ext4 magic                   → mkfs.ext4 -b 4096, mount   (a fresh region: RAM left over)
/// ```
///
/// Everything is read under `root` (normally "": /proc, /sys, /dev), so a test can hand it a
/// directory laid out like a host, with a regular file as the device.
public struct PreservedRegion: Sendable {
    public var region: TuningPromises.Preserved
    public var root: String
    public var modprobe: String
    public var mkfs: String
    /// mount(2) of the device's ext4 with DAX on the target; a test records the call instead.
    public var mount: @Sendable (_ device: String, _ target: String) throws(SystemIOError) -> Void

    /// The file system label a region formatted by the agent carries (ext4 labels hold at
    /// most 16 bytes: mke2fs would cut "hostimg-preserved" to this).
    public static let label = "hostimg-preserve"
    /// DAX maps file blocks straight into page tables, so they must be the page size.
    public static let pageSize: UInt64 = 4096

    public init(region: TuningPromises.Preserved, root: String = "", modprobe: String = "/usr/sbin/modprobe",
                mkfs: String = "/usr/sbin/mkfs.ext4",
                mount: @escaping @Sendable (_ device: String, _ target: String) throws(SystemIOError) -> Void = PreservedRegion.mountDAX) {
        self.region = region
        self.root = root
        self.modprobe = modprobe
        self.mkfs = mkfs
        self.mount = mount
    }

    /// ext4 with `dax=always` (fails rather than falling back to the page cache), no device
    /// nodes or set-id programs: the mount holds guests' memory files only.
    public static func mountDAX(_ device: String, _ target: String) throws(SystemIOError) {
        try SystemIO.mount(device, on: target, type: "ext4", flags: UInt(MS_NOSUID | MS_NODEV), data: "dax=always")
    }

    /// What the device's first bytes say to do.
    public enum Verdict: Sendable, Equatable {
        /// An ext4 file system DAX can mount.
        case mount(Ext4SuperBlock)
        /// No ext4 magic: nothing of ours is in the region.
        case format
        /// An ext4 file system that DAX cannot mount; it is left alone.
        case refuse(String)
    }

    /// `superblock` is what the device holds at `Ext4SuperBlock.offset`.
    public static func verdict(superblock: [UInt8]) -> Verdict {
        guard let found = Ext4SuperBlock(superblock) else { return .format }
        guard found.blockSize == pageSize else {
            return .refuse("it holds ext4 with \(found.blockSize)-byte blocks, which DAX cannot mount (it needs \(pageSize)); it is left as it is, never reformatted")
        }
        return .mount(found)
    }

    /// Mounts the region (formatting it first when it holds no ext4); one line per step.
    /// Already mounted at the path with DAX is success with nothing done, so the unit can be
    /// restarted.
    public func mountRegion() throws(PreservedRegionError) -> [String] {
        let target = region.path
        if let mounted = currentMount() {
            guard mounted.type == "ext4", mounted.superOptions.contains(where: { $0 == "dax" || $0 == "dax=always" }) else {
                throw PreservedRegionError("\(target) already has \(mounted.source) (\(mounted.type), \(mounted.superOptions.joined(separator: ","))) mounted, not the region's ext4 with dax")
            }
            return ["\(target): \(mounted.source) is already mounted (ext4, dax); nothing to do"]
        }
        var lines: [String] = []
        let device = try PreservedDevices(region: region, root: root, modprobe: modprobe).locate(&lines)
        switch Self.verdict(superblock: try readSuperBlock(device)) {
        case let .refuse(reason):
            throw PreservedRegionError("\(device): \(reason)")
        case let .mount(superblock):
            try mountDevice(device, superblock, &lines)
        case .format:
            try format(device, &lines)
            guard case let .mount(superblock) = Self.verdict(superblock: try readSuperBlock(device)) else {
                throw PreservedRegionError("\(device): \(mkfs) succeeded but the device holds no ext4 with \(Self.pageSize)-byte blocks afterwards")
            }
            try mountDevice(device, superblock, &lines)
        }
        return lines
    }

    /// The mount at the region's path, from `/proc/self/mountinfo`.
    func currentMount() -> MountTable.Entry? {
        guard let bytes = try? SystemIO.readFile(root + "/proc/self/mountinfo", limit: 1 << 22) else { return nil }
        return MountTable(String(decoding: bytes, as: UTF8.self)).top(at: region.path)
    }

    func readSuperBlock(_ device: String) throws(PreservedRegionError) -> [UInt8] {
        do {
            return try SystemIO.File(path: device, flags: O_RDONLY).read(upTo: Ext4SuperBlock.size, at: Ext4SuperBlock.offset)
        } catch {
            throw PreservedRegionError("cannot read the super block of \(device): \(error)")
        }
    }

    func format(_ device: String, _ lines: inout [String]) throws(PreservedRegionError) {
        // -F: RAM left over from before may look like some other file system to libblkid,
        // and mke2fs would stop to ask; that the device holds no ext4 was decided above.
        // -m 0: no blocks reserved for root, the space is for guests' memory.
        let arguments = ["-q", "-F", "-m", "0", "-b", "\(Self.pageSize)", "-L", Self.label, device]
        let result: SystemIO.ProcessResult
        do {
            result = try SystemIO.run(mkfs, arguments)
        } catch {
            throw PreservedRegionError("cannot run \(mkfs) (e2fsprogs): \(error)")
        }
        guard result.succeeded else {
            throw PreservedRegionError("\(mkfs) \(arguments.joined(separator: " ")) \(result.describe): \(result.text.trimmingWhitespace)")
        }
        lines.append("\(device) held no ext4: formatted (\(SystemIO.baseName(of: mkfs)) \(arguments.joined(separator: " ")))")
    }

    func mountDevice(_ device: String, _ superblock: Ext4SuperBlock, _ lines: inout [String]) throws(PreservedRegionError) {
        let target = root + region.path
        do {
            var path = root
            for component in region.path.split(separator: "/") {
                path += "/" + component
                try SystemIO.makeDirectory(path)
            }
            try mount(device, target)
        } catch {
            throw PreservedRegionError("\(device) holds ext4 (label '\(superblock.label)') but it will not mount with dax at \(region.path): \(error); it is left as it is, never reformatted: guests' memory may be in it")
        }
        lines.append("mounted \(device) (ext4, label '\(superblock.label)', \(superblock.blockSize)-byte blocks) with dax at \(region.path)")
    }
}

/// Why the region could not be mounted, in words an operator can act on.
public struct PreservedRegionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
