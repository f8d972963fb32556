import Glibc
import GPT
import Slots
import SystemIO

/// Makes a slot unbootable and anonymous (AGENT.md, phase 1 step 1, and the boot-time undo of
/// an interrupted install): first its UKIs leave the ESP — after that nothing can boot it —
/// then its three partitions are relabelled `_empty` with fresh random PARTUUIDs, so the
/// initrd can no longer find it by a root hash either (GPT backup copy first, fsync, then the
/// primary, `GPT.update`). The contents are left as they are: without labels, PARTUUIDs and a
/// UKI, half-written bytes are unreachable, and the next install overwrites them.
///
/// The running slot is refused by root hash: a host never empties what it runs on.
public struct SlotEmptier: Sendable {
    /// The disk: a block device on a host, an image file offline.
    public var disk: String
    /// The mounted ESP's `EFI/Linux` (nil: an image file whose ESP is handled elsewhere).
    public var entriesDirectory: String?
    public var commandLineOfUKI: @Sendable (String) throws -> String
    /// 16 random bytes per call (`/dev/urandom` on a host).
    public var random: @Sendable () throws -> [UInt8]

    public init(disk: String, entriesDirectory: String?, commandLineOfUKI: @escaping @Sendable (String) throws -> String,
                random: @escaping @Sendable () throws -> [UInt8] = SlotEmptier.urandom) {
        self.disk = disk
        self.entriesDirectory = entriesDirectory
        self.commandLineOfUKI = commandLineOfUKI
        self.random = random
    }

    public struct Report: Sendable, Equatable {
        /// The UKIs removed from the ESP (file names).
        public var removedEntries: [String]
        /// The slot's label before (`NAME_VERSION` or `_empty`).
        public var previousLabel: String
    }

    /// Empties slot `index` (0 = A) of the disk; `runningRootHash` is the root hash the host
    /// runs (nil offline).
    public func empty(slot index: Int, runningRootHash: [UInt8]?) throws -> Report {
        let table = try GPT.readRecovering(path: disk)
        let slots = SlotTable(table.partitions).slots
        guard slots.indices.contains(index) else {
            throw AgentError.slot("\(disk) has \(slots.count) slot(s); there is no slot \(SlotTable.letter(index))")
        }
        let slot = slots[index]
        if let running = runningRootHash, slot.holds(rootHash: running) {
            throw AgentError.slot("slot \(slot.letter) (\(slot.label)) is the running slot; it is never emptied")
        }
        // Everything that can fail without writing comes first.
        var changes: [GPT.EntryChange] = []
        for partition in [slot.root, slot.verity, slot.signature] {
            let bytes = try random()
            guard bytes.count == 16 else { throw AgentError.slot("the random source gave \(bytes.count) bytes, not 16") }
            changes.append(GPT.EntryChange(index: partition.number - 1, uuid: GPT.GUID(bytes: Self.version4(bytes)),
                                           name: Slot.emptyLabel))
        }
        var removed: [String] = []
        if let directory = entriesDirectory, slot.state == .written {
            removed = try removeEntries(booting: slot.rootHash, in: directory)
        }
        _ = try GPT.update(path: disk, changes: changes)
        return Report(removedEntries: removed, previousLabel: slot.label)
    }

    /// Removes every UKI of `directory` whose command line boots `rootHash`; the directory is
    /// fsynced before the GPT changes, so no entry outlives the slot it names.
    func removeEntries(booting rootHash: [UInt8], in directory: String) throws -> [String] {
        let entries = try Blessing(entriesDirectory: directory, commandLineOfUKI: commandLineOfUKI).entries(booting: rootHash)
        for entry in entries {
            do {
                try SystemIO.remove(directory + "/" + entry.fileName)
            } catch {
                throw AgentError.slot("cannot remove \(directory)/\(entry.fileName): \(error); the slot was left as it was")
            }
        }
        if !entries.isEmpty { try SystemIO.syncDirectory(directory) }
        return entries.map(\.fileName)
    }

    /// RFC 4122 version 4: random, with the version and variant bits set.
    static func version4(_ bytes: [UInt8]) -> [UInt8] {
        var uuid = bytes
        uuid[6] = (uuid[6] & 0x0f) | 0x40
        uuid[8] = (uuid[8] & 0x3f) | 0x80
        return uuid
    }

    public static let urandom: @Sendable () throws -> [UInt8] = {
        try SystemIO.File(path: "/dev/urandom", flags: O_RDONLY).read(count: 16, at: 0)
    }
}
