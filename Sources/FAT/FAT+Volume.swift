import SystemIO

extension FAT {
    /// A FAT12/16/32 volume in a region of a file or disk, opened to list directories, read
    /// files, rename entries (the boot counter in a UKI's name), and add and remove files in
    /// place (a slot's UKI on the ESP).
    ///
    /// A trust boundary: the volume may come from a host. Every field is checked before use
    /// (`BootSector(decoding:)`), every cluster number against the cluster count, every read
    /// against the volume, which must lie in the region; cluster chains are followed with a
    /// record of the clusters passed, so a loop is reported (`FATError.chainLoop`) instead of
    /// followed. Memory is bounded by `Limits`: the active FAT is held in memory, a directory
    /// is at most 2 MiB (fatgen103's 65536 entries), a file at most `maximumFileBytes`.
    /// Nothing here traps on input: the errors say what is wrong and where.
    public final class Volume {
        public enum Access: Sendable {
            case read
            /// Opens the file O_RDWR, for `rename`, `add` and `remove`.
            case readWrite
        }

        /// What the reader holds in memory at most.
        public struct Limits: Sendable, Equatable {
            /// The FAT copy read at open (64 MiB: 16 Mi FAT32 clusters, an 8 GiB volume of
            /// 512-byte clusters or 512 GiB of 32 KiB ones).
            public var maximumFATBytes: Int
            /// A file `read` returns (1 GiB).
            public var maximumFileBytes: UInt64

            public init(maximumFATBytes: Int = 64 << 20, maximumFileBytes: UInt64 = 1 << 30) {
                self.maximumFATBytes = maximumFATBytes
                self.maximumFileBytes = maximumFileBytes
            }
        }

        public let path: String
        /// Where the volume starts in the file.
        public let offset: UInt64
        public let geometry: Geometry
        /// `BS_VolID`.
        public let volumeID: UInt32
        /// `BS_VolLab` without its padding ("NO NAME" when none was set).
        public let bootSectorLabel: String
        let bootSector: BootSector
        let file: SystemIO.File
        let access: Access
        let limits: Limits
        /// The active FAT copy (the first, unless FAT32 `BPB_ExtFlags` names another).
        var table: AllocationTable

        /// Opens the volume at `offset` of `path`, which spans at most `size` bytes (the
        /// partition; the rest of the file when nil), and reads its boot sector and FAT.
        public init(
            path: String, offset: UInt64 = 0, size: UInt64? = nil, access: Access = .read, limits: Limits = Limits()
        ) throws(FATError) {
            self.path = path
            self.offset = offset
            self.access = access
            self.limits = limits
            file = try IO.open(path, writable: access == .readWrite)
            let fileSize = try IO.size(file)
            guard offset <= fileSize else {
                throw .truncated(path: path, what: "a FAT volume at byte \(offset)", needed: offset, available: fileSize)
            }
            let regionSize = size ?? fileSize - offset
            guard regionSize <= fileSize - offset else {
                throw .truncated(
                    path: path, what: "the \(regionSize)-byte region at byte \(offset)", needed: offset &+ regionSize,
                    available: fileSize)
            }
            let sector = try IO.read(file, count: BootSector.size, at: offset)
            bootSector = try BootSector(decoding: sector, path: path, regionSize: regionSize)
            geometry = bootSector.geometry
            volumeID = bootSector.volumeID
            bootSectorLabel = ShortName.display(bootSector.volumeLabel)
            table = AllocationTable(kind: geometry.kind, clusterCount: geometry.clusterCount, bytes: [])
            table = try readTable()
        }

        /// The active FAT: the bytes its entries take, rounded up to whole sectors.
        private func readTable() throws(FATError) -> AllocationTable {
            let needed = Geometry.fatBytes(kind: geometry.kind, clusters: UInt64(geometry.clusterCount))
            let sector = UInt64(geometry.bytesPerSector)
            let count = (needed + sector - 1) / sector * sector
            guard count <= UInt64(limits.maximumFATBytes) else {
                throw .tooLarge(path: path, what: "the FAT is \(count) bytes", limit: "\(limits.maximumFATBytes) bytes")
            }
            let active = bootSector.activeFATs.first ?? 0
            let start = (geometry.firstFATSector + UInt64(active) * UInt64(geometry.sectorsPerFAT)) * sector
            let bytes = try readVolume(at: start, count: Int(count), what: "FAT \(active + 1)")
            return AllocationTable(kind: geometry.kind, clusterCount: geometry.clusterCount, bytes: bytes)
        }

        /// Exactly `count` bytes at `position` of the volume, which must lie within it.
        func readVolume(at position: UInt64, count: Int, what: String) throws(FATError) -> [UInt8] {
            let (end, overflow) = position.addingReportingOverflow(UInt64(count))
            guard !overflow, end <= geometry.volumeSize else {
                throw .corrupt(
                    path: path, detail: "\(what) would end at byte \(overflow ? UInt64.max : end) of a "
                        + "\(geometry.volumeSize)-byte volume")
            }
            let bytes = try IO.read(file, count: count, at: offset + position)
            guard bytes.count == count else {
                throw .truncated(path: path, what: what, needed: offset + end, available: offset + position + UInt64(bytes.count))
            }
            return bytes
        }

        /// Writes `bytes` at `position` of the volume (directory, FAT, FSInfo and data sectors).
        func writeVolume(_ bytes: [UInt8], at position: UInt64) throws(FATError) {
            guard access == .readWrite else { throw .readOnly(path: path) }
            let (end, overflow) = position.addingReportingOverflow(UInt64(bytes.count))
            guard !overflow, end <= geometry.volumeSize else {
                throw .corrupt(path: path, detail: "a write would end at byte \(end) of a \(geometry.volumeSize)-byte volume")
            }
            try IO.write(file, bytes, at: offset + position)
        }

        public var kind: Kind { geometry.kind }

        /// Clusters whose FAT entry is 0.
        public var freeClusters: UInt32 { table.freeClusters }

        /// The FSInfo sector's free count and next-free hint, when the volume is FAT32 and the
        /// sector has its signatures (nil otherwise).
        public func fsInfo() throws(FATError) -> (freeCount: UInt32, nextFree: UInt32)? {
            guard let sector = fsInfoSector else { return nil }
            let bytes = try readVolume(at: sector, count: BootSector.size, what: "the FSInfo sector")
            return FSInfo(sector: bytes).map { ($0.freeCount, $0.nextFree) }
        }

        /// Byte position of the FSInfo sector in the volume, when the BPB names one inside the
        /// reserved area.
        var fsInfoSector: UInt64? {
            let number = UInt32(bootSector.fsInfoSector)
            guard geometry.kind == .fat32, number >= 1, number < geometry.reservedSectors else { return nil }
            return UInt64(number) * UInt64(geometry.bytesPerSector)
        }
    }
}
