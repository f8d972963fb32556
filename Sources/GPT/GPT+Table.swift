extension GPT {
    /// One used partition entry, as the caller sees it.
    public struct Partition: Sendable, Hashable, Codable {
        /// `PartitionTypeGUID`; never `GUID.zero` (that marks an unused entry).
        public var type: GUID
        /// `UniquePartitionGUID`: the PARTUUID.
        public var uuid: GUID
        /// `PartitionName`: at most 36 UTF-16 code units (the PARTLABEL).
        public var name: String
        /// `StartingLBA`.
        public var firstLBA: UInt64
        /// `EndingLBA`, inclusive.
        public var lastLBA: UInt64
        /// `Attributes`.
        public var attributes: Attributes

        public init(type: GUID, uuid: GUID, name: String, firstLBA: UInt64, lastLBA: UInt64, attributes: Attributes = []) {
            self.type = type
            self.uuid = uuid
            self.name = name
            self.firstLBA = firstLBA
            self.lastLBA = lastLBA
            self.attributes = attributes
        }

        /// Byte offset of the first sector in the disk image.
        public var offset: UInt64 { firstLBA * Table.sectorSize }
        /// Size in bytes. Only meaningful when `lastLBA >= firstLBA`, which `plan`, `write` and
        /// `read` all guarantee.
        public var size: UInt64 { (lastLBA - firstLBA + 1) * Table.sectorSize }

        /// The longest name an entry holds: 72 bytes of UTF-16LE.
        public static let maximumNameLength = 36
    }

    /// A whole partition table: what `write` stores and `read` returns.
    public struct Table: Sendable, Hashable, Codable {
        /// `DiskGUID`.
        public var diskGUID: GUID
        /// Size of the disk (image file) in bytes, a multiple of 512.
        public var diskSize: UInt64
        /// Used entries in entry order; the writer stores them at entry indices 0, 1, 2...
        public var partitions: [Partition]

        public init(diskGUID: GUID, diskSize: UInt64, partitions: [Partition]) {
            self.diskGUID = diskGUID
            self.diskSize = diskSize
            self.partitions = partitions
        }

        /// Logical block size (the only one supported).
        public static let sectorSize: UInt64 = 512
        /// `NumberOfPartitionEntries`.
        public static let entryCount: UInt64 = 128
        /// `SizeOfPartitionEntry`.
        public static let entrySize: UInt64 = 128
        /// Sectors taken by one entry array: 128 × 128 / 512 = 32.
        public static let entryArraySectors: UInt64 = entryCount * entrySize / sectorSize
        /// Smallest disk that holds both tables and one usable sector: MBR, two headers, two arrays.
        public static let minimumDiskSize: UInt64 = (2 + 2 * entryArraySectors + 1) * sectorSize

        /// Number of 512-byte sectors.
        public var diskSectors: UInt64 { diskSize / Self.sectorSize }
        /// MBR, primary header and primary entries come first: LBA 34.
        public var firstUsableLBA: UInt64 { 2 + Self.entryArraySectors }
        /// Backup entries (32 sectors) and backup header (1) at the end: LBA n - 34.
        public var lastUsableLBA: UInt64 { diskSectors - Self.entryArraySectors - 2 }
        /// LBA of the backup header: the last sector.
        public var backupHeaderLBA: UInt64 { diskSectors - 1 }
        /// LBA of the backup entry array, just before the backup header.
        public var backupEntriesLBA: UInt64 { diskSectors - 1 - Self.entryArraySectors }

        /// Checks everything `write` relies on: a disk size that holds the tables, at most 128
        /// partitions, non-empty types, names that fit, extents inside the usable area and
        /// no two partitions sharing a sector.
        public func validate() throws(GPTError) {
            guard diskSize % Self.sectorSize == 0, diskSize >= Self.minimumDiskSize else {
                throw .invalidDiskSize(diskSize)
            }
            guard UInt64(partitions.count) <= Self.entryCount else {
                throw .tooManyPartitions(count: partitions.count)
            }
            for partition in partitions {
                try Self.checkName(partition.name)
                guard partition.type != .zero else { throw .emptyType(partition: partition.name) }
                guard partition.firstLBA <= partition.lastLBA, partition.firstLBA >= firstUsableLBA,
                    partition.lastLBA <= lastUsableLBA
                else {
                    throw .outsideUsableArea(
                        partition: partition.name, firstLBA: partition.firstLBA, lastLBA: partition.lastLBA,
                        firstUsableLBA: firstUsableLBA, lastUsableLBA: lastUsableLBA)
                }
            }
            let sorted = partitions.sorted { $0.firstLBA < $1.firstLBA }
            for (earlier, later) in zip(sorted, sorted.dropFirst()) where later.firstLBA <= earlier.lastLBA {
                throw .overlap(first: earlier.name, second: later.name, sharedLBA: later.firstLBA)
            }
        }

        static func checkName(_ name: String) throws(GPTError) {
            let units = name.utf16.count
            guard units <= Partition.maximumNameLength else { throw .nameTooLong(name: name, utf16Units: units) }
            // Readers stop at the first NUL code unit, so a name containing one would come back cut.
            guard !name.utf16.contains(0) else { throw .nameContainsNUL(name: name) }
        }
    }
}
