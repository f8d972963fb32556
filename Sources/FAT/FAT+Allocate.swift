import ByteCodec

extension FAT.Volume {
    /// Appends zeroed clusters to a directory (`clusters`, `bytes`) until it holds `slots`
    /// slots: the clusters are written, chained in every active FAT copy after the
    /// directory's last cluster, and taken off FSInfo's free count. A FAT12/16 root (no
    /// clusters) and a directory past 65536 slots cannot grow: `.directoryFull`, saying it
    /// would hold `entries` entries.
    func grow(
        _ clusters: inout [UInt32], _ bytes: inout [UInt8], toHold slots: Int, entries: Int, directory: String
    ) throws(FATError) {
        guard let last = clusters.last, slots <= FAT.Layout.maximumDirectorySlots else {
            let limit = clusters.isEmpty ? Int(geometry.rootEntryCount) : FAT.Layout.maximumDirectorySlots
            throw .directoryFull(directory: directory, entries: entries, limit: limit)
        }
        let clusterSize = Int(geometry.clusterSize)
        let missing = slots * FAT.ShortEntry.size - bytes.count
        guard missing > 0 else { return }
        let added = try allocate((missing + clusterSize - 1) / clusterSize, directory: directory)
        let zeros = [UInt8](repeating: 0, count: clusterSize)
        for cluster in added { try writeVolume(zeros, at: geometry.offset(ofCluster: cluster)) }
        for (index, cluster) in added.enumerated() {
            table[cluster] = index + 1 < added.count ? added[index + 1] : table.endOfChain
        }
        guard let first = added.first else { return }
        table[last] = first
        try writeTable(entries: added + [last])
        try takeFromFSInfo(added)
        clusters += added
        bytes += [UInt8](repeating: 0, count: added.count * clusterSize)
    }

    /// `count` free clusters, searched from the FSInfo hint (the last cluster allocated, as
    /// Linux keeps it) onward and then from cluster 2.
    func allocate(_ count: Int, directory: String) throws(FATError) -> [UInt32] {
        let hint = (try? fsInfo())?.nextFree ?? 1
        let start = (2...table.lastCluster).contains(hint) ? hint : 1
        var found: [UInt32] = []
        var cluster = start
        for _ in 0..<geometry.clusterCount where found.count < count {
            cluster = cluster >= table.lastCluster ? 2 : cluster + 1
            if table[cluster] == 0 { found.append(cluster) }
        }
        guard found.count == count else {
            throw .volumeFull(path: path, directory: directory, clustersNeeded: count, clustersFree: found.count)
        }
        return found
    }

    /// Writes the sectors of the FAT that hold `entries` to every active FAT copy.
    func writeTable(entries: [UInt32]) throws(FATError) {
        let sector = Int(geometry.bytesPerSector)
        var sectors = Set<Int>()
        for cluster in entries {
            let range = table.byteRange(of: cluster)
            sectors.insert(range.lowerBound / sector)
            sectors.insert((range.upperBound - 1) / sector)
        }
        for index in sectors.sorted() {
            let bytes = Array(table.bytes[(index * sector)..<((index + 1) * sector)])
            for copy in bootSector.activeFATs {
                let first = geometry.firstFATSector + UInt64(copy) * UInt64(geometry.sectorsPerFAT)
                try writeVolume(bytes, at: (first + UInt64(index)) * UInt64(sector))
            }
        }
    }

    /// Lowers FSInfo's free count by the clusters `allocated` and makes the last of them the
    /// hint; nothing when the volume has no FSInfo sector or its count is unknown.
    func takeFromFSInfo(_ allocated: [UInt32]) throws(FATError) {
        guard let position = fsInfoSector, let last = allocated.last else { return }
        var bytes = try readVolume(at: position, count: FAT.BootSector.size, what: "the FSInfo sector")
        guard let info = FAT.FSInfo(sector: bytes) else { return }
        if info.freeCount != FAT.FSInfo.unknown {
            let free = info.freeCount >= UInt32(allocated.count) ? info.freeCount - UInt32(allocated.count) : 0
            bytes.setInteger(free, at: 488, endianness: .little)
        }
        bytes.setInteger(last, at: 492, endianness: .little)
        try writeVolume(bytes, at: position)
    }

    /// Writes each sector of the directory whose bytes differ from what was loaded (every
    /// sector of clusters added since).
    func writeChanges(from loaded: FAT.LoadedDirectory, to bytes: [UInt8], clusters: [UInt32]) throws(FATError) {
        let sector = Int(geometry.bytesPerSector), clusterSize = Int(geometry.clusterSize)
        let rootStart = geometry.rootDirectorySector * UInt64(sector)
        for start in stride(from: 0, to: bytes.count, by: sector) {
            let end = min(start + sector, bytes.count)
            if end <= loaded.bytes.count, bytes[start..<end] == loaded.bytes[start..<end] { continue }
            let position = clusters.isEmpty
                ? rootStart + UInt64(start)
                : geometry.offset(ofCluster: clusters[start / clusterSize]) + UInt64(start % clusterSize)
            try writeVolume(Array(bytes[start..<end]), at: position)
        }
    }
}
