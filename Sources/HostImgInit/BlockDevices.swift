import GPT
import Slots
import Glibc

/// Disks and partitions as /sys/class/block shows them.
public enum BlockDevices {
    public static let sysClassBlock = "/sys/class/block"

    /// Device names that are never the boot disk and can be slow or noisy to open.
    static func isCandidateDisk(_ name: String) -> Bool {
        for prefix in ["dm-", "loop", "ram", "zram", "sr", "fd", "md", "nbd"] where name.hasPrefix(prefix) { return false }
        return !System.exists("\(sysClassBlock)/\(name)/partition")
    }

    /// Whole disks, sorted by name.
    public static func disks() -> [String] {
        System.list(sysClassBlock).filter(isCandidateDisk)
    }

    /// The partition device of `disk` whose kernel number is `number` (vda2, nvme0n1p2...),
    /// found through each child's `partition` attribute rather than guessed from the name.
    public static func partition(of disk: String, number: Int) -> String? {
        for child in System.list("\(sysClassBlock)/\(disk)") where child.hasPrefix(disk) {
            guard let text = try? System.readText("\(sysClassBlock)/\(disk)/\(child)/partition") else { continue }
            if Int(trimmed(text)) == number { return child }
        }
        return nil
    }

    /// "MAJOR:MINOR" of a block device from sysfs.
    public static func numbers(_ name: String) throws -> (major: UInt32, minor: UInt32) {
        let text = trimmed(try System.readText("\(sysClassBlock)/\(name)/dev"))
        let parts = text.split(separator: ":")
        guard parts.count == 2, let major = UInt32(parts[0]), let minor = UInt32(parts[1]) else {
            throw InitError.system(operation: "parse \"\(text)\" as MAJOR:MINOR from", path: "\(sysClassBlock)/\(name)/dev", errno: EINVAL)
        }
        return (major, minor)
    }

    /// Size in 512-byte sectors.
    public static func sectors(_ name: String) throws -> UInt64 {
        let text = trimmed(try System.readText("\(sysClassBlock)/\(name)/size"))
        guard let value = UInt64(text) else {
            throw InitError.system(operation: "parse \"\(text)\" as a size from", path: "\(sysClassBlock)/\(name)/size", errno: EINVAL)
        }
        return value
    }

    /// /dev/NAME, created from sysfs when devtmpfs has not (yet).
    public static func node(_ name: String) throws -> String {
        let path = "/dev/\(name)"
        if !System.exists(path) {
            let (major, minor) = try numbers(name)
            try System.ensureBlockNode(path, major: major, minor: minor)
        }
        return path
    }

    static func trimmed(_ text: String) -> String {
        String(text.filter { $0 != "\n" && $0 != " " && $0 != "\0" })
    }
}

/// The partitions of one slot, as device names (vda2…).
public struct SlotDevices: Sendable, Equatable {
    public var disk: String
    public var root: String
    public var verity: String
    public var signature: String
    public var state: String?
}

/// Finding the slot a root hash names.
public enum SlotFinder {
    public typealias Partition = GPT.NumberedPartition

    /// The partitions of one slot in a disk's table.
    public struct Match: Sendable, Equatable {
        public var root: Partition
        public var verity: Partition
        public var signature: Partition
        public var state: Partition?
    }

    /// The entries of `table` that belong to `rootHash`, by the one slot pairing rule
    /// (`SlotTable.slot(rootHash:)`: root and verity by PARTUUID, the signature by the root's
    /// label) and the state partition by type. Nil unless both PARTUUIDs are there; throws
    /// when they are but the slot must not boot.
    public static func match(_ table: [Partition], rootHash: [UInt8], device: String) throws -> Match? {
        let slots = SlotTable(table)
        do {
            guard let slot = try slots.slot(rootHash: rootHash) else { return nil }
            return Match(root: slot.root, verity: slot.verity, signature: slot.signature, state: try slots.statePartition())
        } catch {
            throw InitError.partitionTable(device: device, error.description)
        }
    }

    /// Poll every 100 ms until some disk's GPT holds the slot and its partitions have devices.
    /// A disk whose table cannot be read is skipped (it may be another disk altogether), and
    /// what was wrong with it is part of the error when no disk holds the slot in time.
    public static func wait(rootHash: String, rootHashBytes: [UInt8], timeoutSeconds: Int) throws -> SlotDevices {
        let deadline = System.now() + timeoutSeconds * 1000
        var seen: [String] = []
        while true {
            seen = []
            for disk in BlockDevices.disks() {
                let table: [Partition]
                do {
                    table = try GPT.readPrimary(path: try BlockDevices.node(disk))
                } catch {
                    seen.append("\(disk) (\(error))")
                    continue
                }
                seen.append(disk)
                guard let found = try match(table, rootHash: rootHashBytes, device: "/dev/\(disk)") else { continue }
                guard let root = BlockDevices.partition(of: disk, number: found.root.number),
                    let verity = BlockDevices.partition(of: disk, number: found.verity.number),
                    let signature = BlockDevices.partition(of: disk, number: found.signature.number)
                else { continue }  // the kernel has not added the partitions yet
                let state = found.state.flatMap { BlockDevices.partition(of: disk, number: $0.number) }
                if found.state != nil, state == nil { continue }
                return SlotDevices(disk: disk, root: root, verity: verity, signature: signature, state: state)
            }
            if System.now() >= deadline { break }
            System.sleep(milliseconds: 100)
        }
        throw InitError.partitionsNotFound(rootHash: rootHash, seconds: timeoutSeconds, disks: seen)
    }
}
