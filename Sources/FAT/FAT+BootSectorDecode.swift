import ByteCodec

extension FAT.BootSector {
    /// Decodes and checks a boot sector read from `path`, whose volume may span at most
    /// `regionSize` bytes. Every field the reader computes with is checked first, as Linux's
    /// `fat_read_bpb` and `fsck.fat` check them: the signature, a power-of-two sector size of
    /// 512...4096 and cluster size of 1...128 sectors, reserved sectors and FATs present, a
    /// known media byte, a volume inside the region with at least one cluster, a FAT large
    /// enough for every cluster and, on FAT32, the root cluster among them.
    ///
    /// FAT32 is a BPB whose `BPB_FATSz16` is 0; FAT12 and FAT16 follow from the cluster count.
    init(decoding sector: [UInt8], path: String, regionSize: UInt64) throws(FATError) {
        func invalid(_ field: String, _ found: some BinaryInteger, _ expected: String) -> FATError {
            .invalidBootSector(path: path, field: field, found: "\(found)", expected: expected)
        }
        let fields = ByteReader(sector, endianness: .little)
        let raw: RawFields
        do throws(ByteCodecError) {
            raw = try RawFields(fields)
        } catch {
            throw .truncated(path: path, what: "the boot sector", needed: 512, available: UInt64(sector.count))
        }
        guard raw.signature == 0xAA55 else {
            throw .invalidBootSector(
                path: path, field: "the signature at byte 510", found: "0x" + Hex.encode(raw.signature, digits: 4),
                expected: "0xaa55 (55 AA)")
        }
        guard [512, 1024, 2048, 4096].contains(raw.bytesPerSector) else {
            throw invalid("BPB_BytsPerSec", raw.bytesPerSector, "512, 1024, 2048 or 4096")
        }
        guard raw.sectorsPerCluster > 0, raw.sectorsPerCluster & (raw.sectorsPerCluster - 1) == 0 else {
            throw invalid("BPB_SecPerClus", raw.sectorsPerCluster, "a power of two from 1 to 128")
        }
        guard raw.reservedSectors >= 1 else { throw invalid("BPB_RsvdSecCnt", raw.reservedSectors, "at least 1") }
        guard (1...4).contains(raw.fatCount) else { throw invalid("BPB_NumFATs", raw.fatCount, "1 to 4 (normally 2)") }
        guard raw.media == 0xF0 || raw.media >= 0xF8 else {
            throw invalid("BPB_Media", raw.media, "0xF0 or 0xF8...0xFF")
        }
        let fat32 = raw.fatSize16 == 0
        let total = raw.totalSectors16 != 0 ? UInt32(raw.totalSectors16) : raw.totalSectors32
        let fatSize = fat32 ? raw.fatSize32 : UInt32(raw.fatSize16)
        guard fatSize > 0 else { throw invalid("BPB_FATSz32", fatSize, "at least 1 (BPB_FATSz16 is 0, so FAT32)") }
        guard fat32 ? raw.rootEntryCount == 0 : raw.rootEntryCount > 0 else {
            throw invalid("BPB_RootEntCnt", raw.rootEntryCount, fat32 ? "0 on FAT32" : "at least 1 on FAT12/16")
        }
        let sectorsInRegion = regionSize / UInt64(raw.bytesPerSector)
        guard total > 0, UInt64(total) <= sectorsInRegion else {
            throw invalid("the total sector count", total, "1...\(sectorsInRegion) (what the \(regionSize)-byte region holds)")
        }
        var geometry = FAT.Geometry(
            kind: .fat32, bytesPerSector: UInt32(raw.bytesPerSector), sectorsPerCluster: UInt32(raw.sectorsPerCluster),
            reservedSectors: UInt32(raw.reservedSectors), fatCount: UInt32(raw.fatCount), sectorsPerFAT: fatSize,
            rootEntryCount: UInt32(raw.rootEntryCount), totalSectors: total, rootCluster: fat32 ? raw.rootCluster : 0)
        if !fat32 { geometry.kind = geometry.clusterCount < 4085 ? .fat12 : .fat16 }
        try Self.check(geometry, raw: raw, path: path)
        self.init(geometry: geometry, hiddenSectors: raw.hiddenSectors, volumeID: raw.volumeID, volumeLabel: raw.label)
        media = raw.media
        if fat32 {
            extFlags = raw.extFlags
            fsInfoSector = raw.fsInfoSector
            backupBootSector = raw.backupBootSector
        }
    }

    /// The checks that need the whole geometry: clusters, FAT size, root cluster, active FAT.
    private static func check(_ geometry: FAT.Geometry, raw: RawFields, path: String) throws(FATError) {
        let count = geometry.clusterCount
        guard count >= 1 else {
            throw .invalidBootSector(
                path: path, field: "the data area", found: "empty (it would start at sector \(geometry.firstDataSector) "
                    + "of \(geometry.totalSectors))", expected: "at least one cluster")
        }
        guard count <= geometry.kind.maximumClusters else {
            throw .invalidBootSector(
                path: path, field: "the cluster count", found: "\(count)",
                expected: "at most \(geometry.kind.maximumClusters) for \(geometry.kind)")
        }
        let fatBytes = UInt64(geometry.sectorsPerFAT) * UInt64(geometry.bytesPerSector)
        let needed = FAT.Geometry.fatBytes(kind: geometry.kind, clusters: UInt64(count))
        guard needed <= fatBytes else {
            throw .invalidBootSector(
                path: path, field: "the FAT size", found: "\(fatBytes) bytes",
                expected: "at least \(needed) bytes for \(count) clusters")
        }
        if geometry.kind == .fat32 {
            guard geometry.rootCluster >= 2, geometry.rootCluster < count + 2 else {
                throw .invalidBootSector(
                    path: path, field: "BPB_RootClus", found: "\(geometry.rootCluster)", expected: "2...\(count + 1)")
            }
            if raw.extFlags & 0x80 != 0, UInt32(raw.extFlags & 0xF) >= geometry.fatCount {
                throw .invalidBootSector(
                    path: path, field: "BPB_ExtFlags' active FAT", found: "\(raw.extFlags & 0xF)",
                    expected: "0...\(geometry.fatCount - 1)")
            }
        }
    }

    /// The FAT copies a writer updates: all of them, or only the active one on a FAT32 volume
    /// that does not mirror (`BPB_ExtFlags` bit 7).
    var activeFATs: [UInt32] {
        guard geometry.kind == .fat32, extFlags & 0x80 != 0 else { return Array(0..<geometry.fatCount) }
        return [UInt32(extFlags & 0xF)]
    }

    /// The fields as stored, before any is checked.
    private struct RawFields {
        var bytesPerSector: UInt16, sectorsPerCluster: UInt8, reservedSectors: UInt16, fatCount: UInt8
        var rootEntryCount: UInt16, totalSectors16: UInt16, media: UInt8, fatSize16: UInt16
        var hiddenSectors: UInt32, totalSectors32: UInt32, fatSize32: UInt32, extFlags: UInt16
        var rootCluster: UInt32, fsInfoSector: UInt16, backupBootSector: UInt16
        var volumeID: UInt32, label: [UInt8], signature: UInt16

        init(_ fields: ByteReader) throws(ByteCodecError) {
            bytesPerSector = try fields.u16(at: 11)
            sectorsPerCluster = try fields.u8(at: 13)
            reservedSectors = try fields.u16(at: 14)
            fatCount = try fields.u8(at: 16)
            rootEntryCount = try fields.u16(at: 17)
            totalSectors16 = try fields.u16(at: 19)
            media = try fields.u8(at: 21)
            fatSize16 = try fields.u16(at: 22)
            hiddenSectors = try fields.u32(at: 28)
            totalSectors32 = try fields.u32(at: 32)
            fatSize32 = try fields.u32(at: 36)
            extFlags = try fields.u16(at: 40)
            rootCluster = try fields.u32(at: 44)
            fsInfoSector = try fields.u16(at: 48)
            backupBootSector = try fields.u16(at: 50)
            signature = try fields.u16(at: 510)
            // BS_BootSig 0x29 says the id and label are there (at 67/71 on FAT32, 39/43 else).
            let extended = fatSize16 == 0 ? 64 : 36
            let hasIDs = try fields.u8(at: extended + 2) == 0x29
            volumeID = hasIDs ? try fields.u32(at: extended + 3) : 0
            label = hasIDs ? Array(try fields.bytes(at: extended + 7, count: 11)) : FAT.BootSector.noLabel
        }
    }
}
