extension FAT.Volume {
    /// The clusters of the chain that starts at `first`, in order.
    ///
    /// Stops after `maximum` clusters: a file needs no more than its size covers (`toEnd`
    /// false), a directory must end by then (`toEnd` true, else `.tooLarge`). Every cluster
    /// is checked to be a data cluster, and marked in a bitmap of the volume's clusters so a
    /// chain that comes back to one is `.chainLoop`; a free or bad entry inside the chain, or
    /// one that points nowhere, is `.corrupt`. The walk ends after at most `maximum` steps.
    func chain(from first: UInt32, what: String, maximum: Int, toEnd: Bool) throws(FATError) -> [UInt32] {
        var clusters: [UInt32] = []
        var seen = [UInt64](repeating: 0, count: Int(table.lastCluster) / 64 + 1)
        var current = first
        while true {
            guard current >= 2, current <= table.lastCluster else {
                throw .corrupt(path: path, detail: "\(what) refers to cluster \(current); the volume has clusters 2..."
                    + "\(table.lastCluster)")
            }
            let (word, bit) = (Int(current / 64), UInt64(1) << UInt64(current % 64))
            guard seen[word] & bit == 0 else { throw .chainLoop(path: path, what: what, cluster: current) }
            seen[word] |= bit
            clusters.append(current)
            let link = table.link(after: current)
            if clusters.count == maximum {
                guard toEnd, link != .end else { return clusters }
                throw .tooLarge(path: path, what: "\(what) has more than \(maximum) clusters", limit: "\(maximum) clusters")
            }
            switch link {
            case .end: return clusters
            case .next(let next): current = next
            case .free:
                throw .corrupt(path: path, detail: "the cluster chain of \(what) runs into free cluster \(current)")
            case .bad:
                throw .corrupt(path: path, detail: "the cluster chain of \(what) goes through cluster \(current), marked bad")
            case .invalid(let value):
                throw .corrupt(path: path, detail: "the FAT entry of cluster \(current) in \(what) holds \(value), "
                    + "which is no cluster (2...\(table.lastCluster)) and no end mark")
            }
        }
    }

    /// The bytes of `clusters`, read one run of consecutive clusters at a time.
    func readClusters(_ clusters: [UInt32], what: String) throws(FATError) -> [UInt8] {
        let clusterSize = geometry.clusterSize
        var bytes: [UInt8] = []
        var index = 0
        while index < clusters.count {
            var end = index + 1
            while end < clusters.count, clusters[end] == clusters[end - 1] + 1 { end += 1 }
            let position = geometry.offset(ofCluster: clusters[index])
            let run = try readVolume(at: position, count: (end - index) * Int(clusterSize), what: what)
            if bytes.isEmpty { bytes = run } else { bytes += run }
            index = end
        }
        return bytes
    }

    /// Reads the file at `path` (names separated by "/", matched without case against long
    /// and short names): exactly `DIR_FileSize` bytes from its chain.
    public func read(_ path: String) throws(FATError) -> [UInt8] {
        let entry = try entry(at: path)
        guard !entry.isDirectory else { throw .isADirectory(path: path) }
        let size = UInt64(entry.size)
        guard size <= limits.maximumFileBytes else {
            throw .tooLarge(path: self.path, what: "\(path) is \(size) bytes", limit: "\(limits.maximumFileBytes) bytes")
        }
        guard size > 0 else { return [] }
        let needed = (size + geometry.clusterSize - 1) / geometry.clusterSize
        guard needed <= UInt64(geometry.clusterCount) else {
            throw .corrupt(path: self.path, detail: "\(path) is \(size) bytes, more than the volume's clusters hold")
        }
        let clusters = try chain(from: entry.firstCluster, what: path, maximum: Int(needed), toEnd: false)
        guard clusters.count == Int(needed) else {
            throw .corrupt(
                path: self.path, detail: "\(path) is \(size) bytes (\(needed) clusters) but its cluster chain ends "
                    + "after \(clusters.count)")
        }
        var bytes = try readClusters(clusters, what: path)
        bytes.removeSubrange(Int(size)...)
        return bytes
    }
}
