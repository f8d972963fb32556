extension FAT {
    /// Where a volume's regions are, in sectors from the start of the volume (fatgen103
    /// "FAT Data Structure" and "FAT Type Determination"):
    ///
    /// ```
    /// 0 ... reservedSectors-1                 reserved (boot sector, FSInfo, backup)
    /// firstFATSector + n × sectorsPerFAT      FAT n, n < fatCount
    /// rootDirectorySector                     FAT12/16 root directory, rootEntryCount × 32 bytes
    /// firstDataSector + (c - 2) × spc         cluster c, 2 ≤ c < clusterCount + 2
    /// ```
    public struct Geometry: Sendable, Codable, Equatable {
        public var kind: Kind
        /// `BPB_BytsPerSec`.
        public var bytesPerSector: UInt32
        /// `BPB_SecPerClus`: a power of two, 1...128.
        public var sectorsPerCluster: UInt32
        /// `BPB_RsvdSecCnt`.
        public var reservedSectors: UInt32
        /// `BPB_NumFATs`.
        public var fatCount: UInt32
        /// `BPB_FATSz16` or `BPB_FATSz32`.
        public var sectorsPerFAT: UInt32
        /// `BPB_RootEntCnt`: 0 on FAT32.
        public var rootEntryCount: UInt32
        /// `BPB_TotSec16` or `BPB_TotSec32`.
        public var totalSectors: UInt32
        /// `BPB_RootClus` on FAT32; 0 on FAT12/16, whose root is no cluster.
        public var rootCluster: UInt32

        public init(
            kind: Kind, bytesPerSector: UInt32, sectorsPerCluster: UInt32, reservedSectors: UInt32, fatCount: UInt32,
            sectorsPerFAT: UInt32, rootEntryCount: UInt32, totalSectors: UInt32, rootCluster: UInt32
        ) {
            self.kind = kind
            self.bytesPerSector = bytesPerSector
            self.sectorsPerCluster = sectorsPerCluster
            self.reservedSectors = reservedSectors
            self.fatCount = fatCount
            self.sectorsPerFAT = sectorsPerFAT
            self.rootEntryCount = rootEntryCount
            self.totalSectors = totalSectors
            self.rootCluster = rootCluster
        }

        /// Sectors of the FAT12/16 root directory (fatgen103 `RootDirSectors`).
        public var rootDirectorySectors: UInt64 {
            (UInt64(rootEntryCount) * 32 + UInt64(bytesPerSector) - 1) / UInt64(bytesPerSector)
        }

        public var firstFATSector: UInt64 { UInt64(reservedSectors) }

        public var rootDirectorySector: UInt64 { firstFATSector + UInt64(fatCount) * UInt64(sectorsPerFAT) }

        public var firstDataSector: UInt64 { rootDirectorySector + rootDirectorySectors }

        /// Clusters in the data area (fatgen103 `CountofClusters`); 0 when the metadata
        /// already fills the volume.
        public var clusterCount: UInt32 {
            guard UInt64(totalSectors) > firstDataSector else { return 0 }
            return UInt32((UInt64(totalSectors) - firstDataSector) / UInt64(sectorsPerCluster))
        }

        public var clusterSize: UInt64 { UInt64(sectorsPerCluster) * UInt64(bytesPerSector) }

        /// Bytes of the volume.
        public var volumeSize: UInt64 { UInt64(totalSectors) * UInt64(bytesPerSector) }

        /// Byte offset of cluster `cluster` (2 or more) from the start of the volume.
        public func offset(ofCluster cluster: UInt32) -> UInt64 {
            (firstDataSector + UInt64(cluster - 2) * UInt64(sectorsPerCluster)) * UInt64(bytesPerSector)
        }

        /// Bytes a FAT needs for `clusterCount` clusters plus the two reserved entries.
        static func fatBytes(kind: Kind, clusters: UInt64) -> UInt64 {
            ((clusters + 2) * UInt64(kind.entryBits) + 7) / 8
        }
    }
}

extension FAT.Geometry {
    /// The smallest region the writer formats (FAT12 with a few dozen clusters).
    public static let minimumSize: UInt64 = 64 << 10
    /// `BPB_TotSec32` counts 512-byte sectors in 32 bits.
    public static let maximumSize: UInt64 = UInt64(UInt32.max) * FAT.sectorSize

    /// The geometry the writer gives a region of `size` bytes: FAT32 wherever the size allows
    /// at least 65525 clusters with fatgen103's FAT32 table of sectors per cluster (from
    /// about 33 MiB: 512-byte clusters up to 260 MiB, 4 KiB to 8 GiB, 8 KiB to 16 GiB, 16 KiB
    /// to 32 GiB, 32 KiB above, as Windows' format and `mkfs.fat -F 32` choose); below that
    /// FAT16 with its table (from 4.1 MB), and below that FAT12 with the smallest cluster that
    /// keeps the count under 4085. 2 FATs, media 0xF8; FAT32 reserves 32 sectors and roots at
    /// cluster 2; FAT12/16 reserve 1 sector and hold 512 root entries.
    public static func plan(size: UInt64) throws(FATError) -> FAT.Geometry {
        guard size % FAT.sectorSize == 0 else { throw .invalidSize(size, problem: .notSectorMultiple) }
        guard size >= minimumSize else { throw .invalidSize(size, problem: .tooSmall(minimum: minimumSize)) }
        guard size <= maximumSize else { throw .invalidSize(size, problem: .tooLarge(maximum: maximumSize)) }
        let sectors = UInt32(size / FAT.sectorSize)
        if let spc = fat32SectorsPerCluster(sectors) {
            let geometry = make(.fat32, sectors: sectors, sectorsPerCluster: spc)
            if geometry.clusterCount >= 65525 { return geometry }
        }
        if let spc = fat16SectorsPerCluster(sectors) {
            let geometry = make(.fat16, sectors: sectors, sectorsPerCluster: spc)
            if (4085...65524).contains(geometry.clusterCount) { return geometry }
        }
        for shift in 0...6 {
            let geometry = make(.fat12, sectors: sectors, sectorsPerCluster: 1 << shift)
            if (1...4084).contains(geometry.clusterCount) { return geometry }
        }
        throw .invalidSize(size, problem: .tooSmall(minimum: minimumSize))
    }

    /// fatgen103 `DskTableFAT32` (512-byte sectors); nil below 66600 sectors (32.5 MiB).
    static func fat32SectorsPerCluster(_ sectors: UInt32) -> UInt32? {
        switch sectors {
        case ...66600: nil
        case ...532_480: 1
        case ...16_777_216: 8
        case ...33_554_432: 16
        case ...67_108_864: 32
        default: 64
        }
    }

    /// fatgen103 `DskTableFAT16`; nil below 8400 sectors (4.1 MB) and above 2 GiB.
    static func fat16SectorsPerCluster(_ sectors: UInt32) -> UInt32? {
        switch sectors {
        case ...8400: nil
        case ...32680: 2
        case ...262_144: 4
        case ...524_288: 8
        case ...1_048_576: 16
        case ...2_097_152: 32
        case ...4_194_304: 64
        default: nil
        }
    }

    /// A geometry of `kind` with the smallest FAT that covers its clusters. A larger FAT
    /// leaves fewer clusters, so "covers" holds from some size on: grow from one sector to the
    /// size the clusters left need until it holds (two or three rounds), then halve the gap
    /// down to the smallest size for which it still does.
    static func make(_ kind: FAT.Kind, sectors: UInt32, sectorsPerCluster: UInt32) -> FAT.Geometry {
        var geometry = FAT.Geometry(
            kind: kind, bytesPerSector: UInt32(FAT.sectorSize), sectorsPerCluster: sectorsPerCluster,
            reservedSectors: kind == .fat32 ? 32 : 1, fatCount: 2, sectorsPerFAT: 1,
            rootEntryCount: kind == .fat32 ? 0 : 512, totalSectors: sectors, rootCluster: kind == .fat32 ? 2 : 0)
        func covers(_ sectorsPerFAT: UInt32) -> Bool {
            var candidate = geometry
            candidate.sectorsPerFAT = sectorsPerFAT
            return fatBytes(kind: kind, clusters: UInt64(candidate.clusterCount)) <= UInt64(sectorsPerFAT) * FAT.sectorSize
        }
        var high: UInt32 = 1
        while !covers(high) {
            var candidate = geometry
            candidate.sectorsPerFAT = high
            let bytes = fatBytes(kind: kind, clusters: UInt64(candidate.clusterCount))
            high = max(high + 1, UInt32((bytes + FAT.sectorSize - 1) / FAT.sectorSize))
        }
        var low: UInt32 = 0
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if covers(middle) { high = middle } else { low = middle }
        }
        geometry.sectorsPerFAT = high
        return geometry
    }
}
