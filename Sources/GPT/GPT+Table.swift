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

        /// Byte offset of the first sector in a disk of 512-byte sectors (image files).
        public var offset: UInt64 { offset(sectorSize: Table.defaultSectorSize) }
        /// Size in bytes with 512-byte sectors. Only meaningful when `lastLBA >= firstLBA`,
        /// which `plan`, `write` and `read` all guarantee.
        public var size: UInt64 { size(sectorSize: Table.defaultSectorSize) }

        /// Byte offset of the first sector when an LBA is `sectorSize` bytes.
        public func offset(sectorSize: UInt64) -> UInt64 { firstLBA * sectorSize }
        /// Size in bytes when an LBA is `sectorSize` bytes.
        public func size(sectorSize: UInt64) -> UInt64 { (lastLBA - firstLBA + 1) * sectorSize }

        /// The longest name an entry holds: 72 bytes of UTF-16LE.
        public static let maximumNameLength = 36
    }

    /// A whole partition table: what `write` stores and `read` returns.
    public struct Table: Sendable, Hashable, Codable {
        /// `DiskGUID`.
        public var diskGUID: GUID
        /// Size of the disk (image file) in bytes, a multiple of `sectorSize`.
        public var diskSize: UInt64
        /// Used entries in entry order; the writer stores them at entry indices 0, 1, 2...
        public var partitions: [Partition]
        /// Bytes per LBA: 512 for image files and most disks, 4096 on a 4Kn disk (the device's
        /// logical block size, BLKSSZGET). Every LBA in the table counts in these units.
        public var sectorSize: UInt64

        public init(diskGUID: GUID, diskSize: UInt64, partitions: [Partition], sectorSize: UInt64 = Table.defaultSectorSize) {
            self.diskGUID = diskGUID
            self.diskSize = diskSize
            self.partitions = partitions
            self.sectorSize = sectorSize
        }

        /// The logical block size of image files, which the image build writes.
        public static let defaultSectorSize: UInt64 = 512
        /// Logical block sizes Linux disks have (the kernel's BLKSSZGET values).
        public static let supportedSectorSizes: [UInt64] = [512, 1024, 2048, 4096]
        /// `NumberOfPartitionEntries`.
        public static let entryCount: UInt64 = 128
        /// `SizeOfPartitionEntry`.
        public static let entrySize: UInt64 = 128
        /// Sectors taken by one entry array of 128 × 128 bytes: 32 of 512 bytes, 4 of 4096.
        public static func entryArraySectors(sectorSize: UInt64) -> UInt64 {
            (entryCount * entrySize + sectorSize - 1) / sectorSize
        }
        /// Smallest disk that holds both tables and one usable sector: MBR, two headers, two arrays.
        public static func minimumDiskSize(sectorSize: UInt64) -> UInt64 {
            (2 + 2 * entryArraySectors(sectorSize: sectorSize) + 1) * sectorSize
        }
        /// `minimumDiskSize` with 512-byte sectors (67 sectors).
        public static let minimumDiskSize: UInt64 = minimumDiskSize(sectorSize: defaultSectorSize)

        /// Sectors of one entry array on this disk.
        public var entryArraySectors: UInt64 { Self.entryArraySectors(sectorSize: sectorSize) }
        /// Number of sectors.
        public var diskSectors: UInt64 { diskSize / sectorSize }
        /// MBR, primary header and primary entries come first: LBA 34 (LBA 6 with 4096-byte sectors).
        public var firstUsableLBA: UInt64 { 2 + entryArraySectors }
        /// Backup entries and backup header at the end: LBA n - 34 (n - 6 with 4096-byte sectors).
        public var lastUsableLBA: UInt64 { diskSectors - entryArraySectors - 2 }
        /// LBA of the backup header: the last sector.
        public var backupHeaderLBA: UInt64 { diskSectors - 1 }
        /// LBA of the backup entry array, just before the backup header.
        public var backupEntriesLBA: UInt64 { diskSectors - 1 - entryArraySectors }

        /// Checks everything `write` relies on: a supported sector size, a disk size that holds
        /// the tables, at most 128 partitions, non-empty types, names that fit, extents inside
        /// the usable area and no two partitions sharing a sector.
        public func validate() throws(GPTError) {
            try checkGeometry()
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

        /// A supported sector size and a disk of whole sectors that holds both tables.
        func checkGeometry() throws(GPTError) {
            try Self.checkSectorSize(sectorSize)
            guard diskSize % sectorSize == 0, diskSize >= Self.minimumDiskSize(sectorSize: sectorSize) else {
                throw sectorSize == Self.defaultSectorSize
                    ? .invalidDiskSize(diskSize) : .invalidDiskSizeForSectorSize(diskSize, sectorSize: sectorSize)
            }
        }

        static func checkSectorSize(_ sectorSize: UInt64) throws(GPTError) {
            guard supportedSectorSizes.contains(sectorSize) else { throw .unsupportedSectorSize(sectorSize) }
        }

        static func checkName(_ name: String) throws(GPTError) {
            let units = name.utf16.count
            guard units <= Partition.maximumNameLength else { throw .nameTooLong(name: name, utf16Units: units) }
            // Readers stop at the first NUL code unit, so a name containing one would come back cut.
            guard !name.utf16.contains(0) else { throw .nameContainsNUL(name: name) }
        }
    }
}
