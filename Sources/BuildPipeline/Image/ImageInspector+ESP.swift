import BootEntries
import ByteCodec
import FAT
import GPT
import PE
import Slots

extension Inspection {
    /// One UKI on the ESP: its file, the slot its `.cmdline` boots, its boot counter.
    public struct BootEntry: Sendable, Codable {
        public var file: String
        /// "A", "B", or nil when no slot of the table carries its root hash.
        public var slot: String?
        /// "good", "counting" or "bad" (BLS boot counting).
        public var state: String
        public var triesLeft: Int?
        public var triesDone: Int?
        public var bytes: UInt64
        public var secureBootSigned: Bool
    }

    /// The ESP's file system and boot entries; nil when it holds no FAT file system.
    public struct ESP: Sendable, Codable {
        public var fileSystem: String
        public var bootLoaderSigned: Bool?
        public var entries: [BootEntry]
    }

    static func describeESP(_ table: GPT.Table, slots: [Slot], path: String) -> ESP? {
        guard let partition = table.partitions.first(where: { $0.type == GPT.PartitionType.esp }),
              let volume = try? FAT.Volume(path: path, offset: partition.offset(sectorSize: table.sectorSize),
                                           size: partition.size(sectorSize: table.sectorSize)) else { return nil }
        let loader = (try? volume.read(ESPLayout.fallbackLoader)).map { (try? PE.Image($0).certificateTable) != nil }
        let files = ((try? volume.list(ESPLayout.entriesDirectory)) ?? []).filter { !$0.isDirectory }
        let entries = files.compactMap { file -> BootEntry? in
            guard let name = BootEntryName(fileName: file.name), name.suffix.lowercased() == ".efi" else { return nil }
            let image = (try? volume.read(ESPLayout.entriesDirectory + "/" + file.name)).flatMap { try? PE.Image($0) }
            let hash = RunningSlot.rootHash(commandLine: image?.commandLine ?? "")
            return BootEntry(file: file.name, slot: slots.first { $0.state == .written && $0.rootHash == hash }?.letter,
                             state: name.isGood ? "good" : name.isBad ? "bad" : "counting",
                             triesLeft: name.counter?.left, triesDone: name.counter?.done, bytes: UInt64(file.size),
                             secureBootSigned: image?.certificateTable != nil)
        }
        return ESP(fileSystem: volume.kind.rawValue, bootLoaderSigned: loader, entries: entries)
    }
}
