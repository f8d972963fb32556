extension FAT.Volume {
    /// Renames the entry `from` in the directory at `directory` to `to`, in place: the file
    /// keeps its clusters, size, attributes and times; only its name entries change. This is
    /// how boot counting moves a UKI from `NAME+3.efi` to `NAME+2-1.efi` and to `NAME.efi`
    /// (systemd's "Automatic Boot Assessment").
    ///
    /// The new name gets a new short name (its own when it is an upper-case 8.3 name, else
    /// `ShortName.generate`'s, unique among the other entries) and as many long-name entries
    /// as it needs. The old slots are marked free (0xE5); the new run goes where the old one
    /// started when it fits there, else into the first run of free slots, else into new
    /// clusters appended to the directory (zeroed, linked in every active FAT, FSInfo's free
    /// count lowered). A FAT12/16 root cannot grow: `.directoryFull`.
    ///
    /// Not atomic against a crash (the live host renames through the kernel's vfat); the
    /// changes are written new clusters first, then the FAT, then the directory sectors, and
    /// synced.
    public func rename(in directory: String, from oldName: String, to newName: String) throws(FATError) {
        guard access == .readWrite else { throw .readOnly(path: path) }
        let loaded = try self.directory(at: directory)
        let listing = listing(loaded)
        guard let target = listing.find(oldName) else { throw .notFound(path: FAT.Tree.join(loaded.path, oldName)) }
        guard target.entry.name != newName else { return }
        let others = listing.entries.filter { $0.firstSlot != target.firstSlot }
        try Self.checkNewName(newName, among: others, directory: loaded.path)
        let run = try Self.records(for: newName, replacing: target.record, others: others, directory: loaded.path)

        var bytes = loaded.bytes
        Self.markFree(&bytes, slots: target.firstSlot, count: target.slotCount)
        let placement = try placement(
            of: run.count, in: bytes, clusters: loaded.clusters, preferring: target.firstSlot, directory: loaded.path)
        var clusters = loaded.clusters
        let added = try grow(&clusters, &bytes, by: placement.growth, directory: loaded.path)
        Self.place(run, in: &bytes, at: placement.start)
        try writeChanges(from: loaded, to: bytes, clusters: clusters)
        if let last = added.last { try updateFSInfo(nextFree: last) }
        try FAT.IO.sync(file)
    }
}
