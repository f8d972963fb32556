extension FAT.Volume {
    /// Removes the file `path` (`EFI/Linux/qemu-dev_0.1.0.efi`, matched without case against
    /// long and short names), in place: its short entry and long-name entries are marked
    /// free (0xE5) and synced, then its cluster chain is freed in every active FAT copy,
    /// then FSInfo's free count set (exact, from the FAT) and synced. A crash between the two
    /// leaves clusters that no entry names, which `fsck.fat` reclaims; never an entry whose
    /// clusters are free.
    ///
    /// The chain is walked to its end mark before anything is written, as `read` walks it:
    /// a cluster out of range, a loop, a free or bad cluster inside it, or a chain through
    /// its own directory's clusters is `.corrupt`/`.chainLoop`, and nothing changes. A
    /// directory is refused (`.isADirectory`): this removes files only.
    public func remove(path: String) throws(FATError) {
        guard access == .readWrite else { throw .readOnly(path: self.path) }
        var components = FAT.Tree.components(path, trimmingTrailingSlash: true)
        guard let name = components.popLast() else { throw .isADirectory(path: path) }
        let loaded = try directory(at: components.joined(separator: "/"))
        guard let target = listing(loaded).find(name) else { throw .notFound(path: FAT.Tree.join(loaded.path, name)) }
        let filePath = FAT.Tree.join(loaded.path, target.entry.name)
        guard !target.entry.isDirectory else { throw .isADirectory(path: filePath) }
        let chain = try clusters(of: target.entry, path: filePath, in: loaded)

        var bytes = loaded.bytes
        Self.markFree(&bytes, slots: target.firstSlot, count: target.slotCount)
        try writeChanges(from: loaded, to: bytes, clusters: loaded.clusters)
        try FAT.IO.sync(file)
        for cluster in chain { table[cluster] = 0 }
        try writeTable(entries: chain)
        try updateFSInfo(nextFree: nil)
        try FAT.IO.sync(file)
    }

    /// The clusters a removed file frees: its whole chain, none for an empty file.
    private func clusters(
        of entry: FAT.DirectoryEntry, path: String, in directory: FAT.LoadedDirectory
    ) throws(FATError) -> [UInt32] {
        guard entry.firstCluster != 0 else { return [] }
        let chain = try chain(from: entry.firstCluster, what: path, maximum: Int(geometry.clusterCount), toEnd: true)
        var own = Set(directory.clusters)
        if kind == .fat32 { own.insert(geometry.rootCluster) }
        if let shared = chain.first(where: own.contains) {
            throw .corrupt(
                path: self.path, detail: "the cluster chain of \(path) runs through cluster \(shared), which holds a directory")
        }
        return chain
    }
}
