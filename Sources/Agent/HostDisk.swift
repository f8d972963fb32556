import Slots
import SystemIO

/// The disk the host runs from: the whole-disk block device that holds the running slot's
/// root partition, found from the root hash's PARTUUID (`/dev/disk/by-partuuid/UUID`, made
/// by udev), the partition's device number, and sysfs (`/sys/dev/block/MAJ:MIN/../dev` is the
/// parent disk's number, its `uevent` names its node).
public enum HostDisk {
    public static func locate(rootHash: [UInt8], root: String = "") throws -> String {
        let uuid = Slot.boundUUIDs(rootHash: rootHash).root.description.lowercased()
        let link = root + "/dev/disk/by-partuuid/" + uuid
        let partition: FileStatus
        do {
            partition = try SystemIO.status(of: link)
        } catch {
            throw AgentError.slot("no partition with PARTUUID \(uuid) (\(link): \(error)); is this host running a hostimg slot?")
        }
        guard partition.isBlockDevice else { throw AgentError.slot("\(link) is not a block device") }
        let number = "\(major(partition.deviceNumber)):\(minor(partition.deviceNumber))"
        let parent = try text(root + "/sys/dev/block/\(number)/../dev")
        let uevent = try text(root + "/sys/dev/block/\(parent)/uevent")
        guard let name = uevent.split(separator: "\n").first(where: { $0.hasPrefix("DEVNAME=") })?.dropFirst("DEVNAME=".count),
              !name.isEmpty else {
            throw AgentError.slot("/sys/dev/block/\(parent)/uevent names no DEVNAME")
        }
        return root + "/dev/" + name
    }

    static func text(_ path: String) throws -> String {
        do {
            let bytes = try SystemIO.readFile(path, limit: 4096)
            return String(decoding: bytes, as: UTF8.self).trimmingWhitespace
        } catch {
            throw AgentError.slot("cannot read \(path): \(error)")
        }
    }

    /// glibc's `gnu_dev_major` / `gnu_dev_minor` of a `dev_t`.
    static func major(_ device: UInt64) -> UInt64 { ((device >> 8) & 0xfff) | ((device >> 32) & ~UInt64(0xfff)) }
    static func minor(_ device: UInt64) -> UInt64 { (device & 0xff) | ((device >> 12) & ~UInt64(0xff)) }
}
