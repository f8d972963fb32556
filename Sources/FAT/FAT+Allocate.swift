import ByteCodec

extension FAT.Volume {
    /// Appends `count` zeroed clusters to a directory (`clusters`, `bytes`; `placement` said
    /// how many, and that it can grow): the clusters are written, then chained in every
    /// active FAT copy after the directory's last cluster. Returns them; FSInfo is the
    /// caller's (`updateFSInfo`), after the directory's entries.
    func grow(
        _ clusters: inout [UInt32], _ bytes: inout [UInt8], by count: Int, directory: String
    ) throws(FATError) -> [UInt32] {
        guard count > 0 else { return [] }
        guard let last = clusters.last else {
            throw .directoryFull(directory: directory, entries: Self.slotsInUse(bytes), limit: Int(geometry.rootEntryCount))
        }
        let clusterSize = Int(geometry.clusterSize)
        let added = try allocate(count, directory: directory)
        let zeros = [UInt8](repeating: 0, count: clusterSize)
        for cluster in added { try writeVolume(zeros, at: geometry.offset(ofCluster: cluster)) }
        link(added)
        if let first = added.first { table[last] = first }
        try writeTable(entries: added + [last])
        clusters += added
        bytes += [UInt8](repeating: 0, count: added.count * clusterSize)
        return added
    }

    /// Chains `clusters` in that order in the table in memory, the last one ending the chain.
    func link(_ clusters: [UInt32]) {
        for (index, cluster) in clusters.enumerated() {
            table[cluster] = index + 1 < clusters.count ? clusters[index + 1] : table.endOfChain
        }
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

    /// Writes the sectors of the FAT that hold `entries` to every active FAT copy, each run
    /// of consecutive sectors in one write.
    func writeTable(entries: [UInt32]) throws(FATError) {
        let sector = Int(geometry.bytesPerSector)
        var sectors = Set<Int>()
        for cluster in entries {
            let range = table.byteRange(of: cluster)
            sectors.insert(range.lowerBound / sector)
            sectors.insert((range.upperBound - 1) / sector)
        }
        let sorted = sectors.sorted()
        var index = 0
        while index < sorted.count {
            var end = index + 1
            while end < sorted.count, sorted[end] == sorted[end - 1] + 1 { end += 1 }
            let bytes = Array(table.bytes[(sorted[index] * sector)..<((sorted[end - 1] + 1) * sector)])
            for copy in bootSector.activeFATs {
                let first = geometry.firstFATSector + UInt64(copy) * UInt64(geometry.sectorsPerFAT)
                try writeVolume(bytes, at: (first + UInt64(sorted[index])) * UInt64(sector))
            }
            index = end
        }
    }

    /// Sets FSInfo's free count to the free clusters of the FAT in memory (exact: the whole
    /// active FAT is there) and, when given, its next-free hint to `nextFree` (the last
    /// cluster allocated, as Linux keeps it); nothing when the volume has no FSInfo sector
    /// or the sector lacks its signatures.
    func updateFSInfo(nextFree: UInt32?) throws(FATError) {
        guard let position = fsInfoSector else { return }
        var bytes = try readVolume(at: position, count: FAT.BootSector.size, what: "the FSInfo sector")
        guard FAT.FSInfo(sector: bytes) != nil else { return }
        bytes.setInteger(table.freeClusters, at: 488, endianness: .little)
        if let nextFree { bytes.setInteger(nextFree, at: 492, endianness: .little) }
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
