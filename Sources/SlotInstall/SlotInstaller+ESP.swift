import BootEntries
import Bundle
import ByteCodec
import FAT
import GPT
import PE
import Slots
import SystemIO

/// The ESP of a disk image (offline installs): the target slot's old UKIs removed before the
/// slot is touched, the new slot's UKI added as the very last step (AGENT.md, phase 1 step
/// 5: only then can firmware boot it), in place, with the FAT module.
extension SlotInstaller {
    static let entriesDirectory = "EFI/Linux"

    /// The image's ESP volume, read-write; nil when the disk has no ESP.
    func espVolume() throws -> FAT.Volume? {
        let table = try GPT.readRecovering(path: disk)
        guard let esp = table.partitions.first(where: { $0.partition.type == GPT.PartitionType.esp }) else { return nil }
        return try FAT.Volume(path: disk, offset: esp.partition.offset(sectorSize: table.sectorSize),
                              size: esp.partition.size(sectorSize: table.sectorSize), access: .readWrite)
    }

    /// Removes the ESP's UKIs that boot `rootHash` (the slot about to be overwritten).
    func removeEntries(booting rootHash: [UInt8], from volume: FAT.Volume) throws -> [String] {
        let directory = (try? volume.list(Self.entriesDirectory)) ?? []
        var removed: [String] = []
        for entry in directory where !entry.isDirectory && BootEntryName(fileName: entry.name) != nil {
            let path = Self.entriesDirectory + "/" + entry.name
            guard let image = try? PE.Image(try volume.read(path)), let commandLine = image.commandLine,
                  RunningSlot.rootHash(commandLine: commandLine) == rootHash else { continue }
            try volume.remove(path: path)
            removed.append(entry.name)
        }
        return removed
    }

    /// The entry's file name: `NAME_VERSION+LEFT[-DONE].efi`.
    func entryName(_ plan: Plan) -> String {
        BootEntryName(base: Slot.label(name: plan.name, version: plan.version), counter: counter).fileName
    }

    /// The bundle's UKI, after checking that its command line boots the bundle's root hash;
    /// nil when the bundle carries none (an image without a kernel: firmware cannot boot it).
    func uki(_ bundle: UpdateBundle.Reader, plan: Plan) throws -> [UInt8]? {
        guard bundle.manifest.payload(role: .uki) != nil else { return nil }
        var uki: [UInt8] = []
        try bundle.streamPayload(role: .uki) { chunk in uki.append(contentsOf: chunk) }
        let image = try PE.Image(uki)
        guard let commandLine = image.commandLine, let hash = RunningSlot.rootHash(commandLine: commandLine),
              Hex.encode(hash) == plan.rootHash else {
            throw InstallError.failed("the bundle's UKI does not boot its own root hash \(plan.rootHash.prefix(12))…")
        }
        return uki
    }

    /// Adds the UKI to an image's ESP volume; returns the entry's file name.
    func addEntry(_ uki: [UInt8], plan: Plan, to volume: FAT.Volume, timestamp: Int64) throws -> String {
        let name = entryName(plan)
        _ = try volume.add(path: Self.entriesDirectory + "/" + name, contents: uki, timestamp: timestamp)
        return name
    }

    /// Adds the UKI to a mounted ESP's entries directory: a temporary name, fsync, rename,
    /// fsync of the directory (a crash leaves the whole entry or none, and at most a hidden
    /// temporary file, which the next install or the boot-time agent removes).
    func addEntry(_ uki: [UInt8], plan: Plan, toDirectory directory: String) throws -> String {
        let name = entryName(plan)
        do {
            try SystemIO.replace(directory + "/" + name, with: uki, permissions: 0o644)
        } catch {
            throw InstallError.failed("writing \(directory)/\(name): \(error)")
        }
        return name
    }
}
