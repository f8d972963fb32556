extension FAT.Volume {
    /// Adds the file `path` (its directory must exist: `EFI/Linux/qemu-dev_0.2.0+3.efi`) of
    /// `size` bytes, which `contents` gives through the `FileSink` it is handed, in pieces of
    /// any size (a UKI of 20 MB need not be in memory at once). Every time of the entry is
    /// `timestamp` (Unix seconds, stored as UTC like the writer's); its attributes are
    /// "archive".
    ///
    /// Refused before anything is written: a volume opened for reading, a directory that
    /// does not exist, a name FAT cannot store (`.invalidName`), a name the directory has
    /// already as a long or short name, compared without case (`.nameExists`), a file over
    /// 4 GiB - 1, a directory that cannot grow to take the name (`.directoryFull`: the
    /// FAT12/16 root), and too few free clusters for the data and the directory's growth
    /// (`.noSpace`, in bytes).
    ///
    /// Written in an order a crash cannot turn into a visible half file:
    /// 1. the data, into free clusters (searched from FSInfo's hint) that the FAT still
    ///    shows free; the rest of the last cluster zeroed;
    /// 2. their chain, in every active FAT copy; synced;
    /// 3. the long-name entries and the short entry (a `~N` short name unique in the
    ///    directory, with its checksum) in the first free run of slots, else at the end of
    ///    the directory, grown by zeroed clusters linked in every FAT first;
    /// 4. FSInfo's free count (exact, from the FAT) and next-free hint; synced.
    ///
    /// A crash before 3 leaves clusters that no entry names, which `fsck.fat` reclaims. When
    /// `contents` throws or gives another number of bytes than `size` (`.sizeMismatch`),
    /// only free clusters were written.
    @discardableResult
    public func add(
        path: String, size: UInt64, timestamp: Int64, contents: (FileSink) throws(FATError) -> Void
    ) throws(FATError) -> FAT.DirectoryEntry {
        guard access == .readWrite else { throw .readOnly(path: self.path) }
        var components = FAT.Tree.components(path, trimmingTrailingSlash: false)
        let name = components.popLast() ?? ""
        let loaded = try directory(at: components.joined(separator: "/"))
        let filePath = FAT.Tree.join(loaded.path, name)
        let others = listing(loaded).entries
        try Self.checkNewName(name, among: others, directory: loaded.path)
        guard size <= UInt64(UInt32.max) else { throw .fileTooLarge(path: filePath, bytes: size) }
        let time = FAT.Timestamp(unixTime: timestamp)
        func records(first: UInt32) throws(FATError) -> [[UInt8]] {
            let record = FAT.ShortEntry(
                name: FAT.ShortName.padded([], FAT.ShortName.length), attributes: FAT.ShortEntry.Attribute.archive, time: time,
                firstCluster: first, fileSize: UInt32(size))
            return try Self.records(for: name, replacing: record, others: others, directory: loaded.path)
        }
        let placement = try placement(
            of: try records(first: 0).count, in: loaded.bytes, clusters: loaded.clusters, preferring: nil,
            directory: loaded.path)
        let dataClusters = Int((size + geometry.clusterSize - 1) / geometry.clusterSize)
        try checkSpace(clusters: dataClusters + placement.growth, file: filePath)

        let data = try allocate(dataClusters, directory: loaded.path)
        let sink = FileSink(volume: self, clusters: data, size: size, file: filePath)
        defer { sink.isOpen = false }
        try contents(sink)
        try sink.finish()
        link(data)
        try writeTable(entries: data)
        try FAT.IO.sync(file)

        let run = try records(first: data.first ?? 0)
        var bytes = loaded.bytes, clusters = loaded.clusters
        let grown = try grow(&clusters, &bytes, by: placement.growth, directory: loaded.path)
        Self.place(run, in: &bytes, at: placement.start)
        try writeChanges(from: loaded, to: bytes, clusters: clusters)
        try updateFSInfo(nextFree: grown.last ?? data.last)
        try FAT.IO.sync(file)
        guard let added = FAT.DirectoryListing(run.flatMap { $0 }, highClusterBits: kind == .fat32).entries.first else {
            throw .corrupt(path: self.path, detail: "the entry written for \(filePath) does not read back")
        }
        return added.entry
    }

    /// Adds the file `path` with `contents` (`add(path:size:timestamp:contents:)`).
    @discardableResult
    public func add(path: String, contents: [UInt8], timestamp: Int64) throws(FATError) -> FAT.DirectoryEntry {
        try add(path: path, size: UInt64(contents.count), timestamp: timestamp) { sink throws(FATError) in
            try sink.write(contents)
        }
    }

    /// Adds the file `path` with the bytes of the file `source`, read through SystemIO 4 MiB
    /// at a time (`add(path:size:timestamp:contents:)`); a source that changes size while it
    /// is copied is `.sizeMismatch`.
    @discardableResult
    public func add(path: String, copying source: String, timestamp: Int64) throws(FATError) -> FAT.DirectoryEntry {
        let input = try FAT.IO.open(source, writable: false)
        let size = try FAT.IO.size(input)
        return try add(path: path, size: size, timestamp: timestamp) { sink throws(FATError) in
            while sink.written < size {
                let chunk = try FAT.IO.read(input, count: Int(min(size - sink.written, 4 << 20)), at: sink.written)
                guard !chunk.isEmpty else { return }
                try sink.write(chunk)
            }
        }
    }

    /// `.noSpace` unless `clusters` clusters are free.
    func checkSpace(clusters needed: Int, file: String) throws(FATError) {
        let free = table.freeClusters
        guard UInt64(needed) <= UInt64(free) else {
            throw .noSpace(
                path: path, file: file, bytesNeeded: UInt64(needed) * geometry.clusterSize,
                bytesFree: UInt64(free) * geometry.clusterSize)
        }
    }

    /// Where `add`'s contents go: each `write` puts the next bytes of the file into its
    /// clusters, one volume write per run of consecutive clusters. Usable only inside the
    /// closure given to `add`; at most `size` bytes in all (more is `.sizeMismatch`).
    public final class FileSink {
        /// The size `add` was given.
        public let size: UInt64
        /// Bytes written so far.
        public private(set) var written: UInt64 = 0
        let volume: FAT.Volume
        let clusters: [UInt32]
        let file: String
        var isOpen = true

        init(volume: FAT.Volume, clusters: [UInt32], size: UInt64, file: String) {
            self.volume = volume
            self.clusters = clusters
            self.size = size
            self.file = file
        }

        /// Writes the next `bytes` of the file.
        public func write(_ bytes: [UInt8]) throws(FATError) {
            guard isOpen else {
                throw .io(path: volume.path, operation: "write \(file)", message: "add has returned; its sink is closed")
            }
            guard UInt64(bytes.count) <= size - written else {
                throw .sizeMismatch(path: volume.path, file: file, declared: size, written: written + UInt64(bytes.count))
            }
            let clusterSize = volume.geometry.clusterSize
            var done = 0
            while done < bytes.count {
                let position = written + UInt64(done)
                let index = Int(position / clusterSize), within = position % clusterSize
                let left = UInt64(bytes.count - done)
                var end = index + 1
                func room() -> UInt64 { UInt64(end - index) * clusterSize - within }
                while end < clusters.count, clusters[end] == clusters[end - 1] + 1, room() < left { end += 1 }
                let count = Int(min(left, room()))
                let piece = count == bytes.count ? bytes : Array(bytes[done..<(done + count)])
                try volume.writeVolume(piece, at: volume.geometry.offset(ofCluster: clusters[index]) + within)
                done += count
            }
            written += UInt64(bytes.count)
        }

        /// Checks that `size` bytes came and zeroes the last cluster after them.
        func finish() throws(FATError) {
            guard written == size else {
                throw .sizeMismatch(path: volume.path, file: file, declared: size, written: written)
            }
            let clusterSize = volume.geometry.clusterSize
            let used = size % clusterSize
            guard used > 0, let last = clusters.last else { return }
            let zeros = [UInt8](repeating: 0, count: Int(clusterSize - used))
            try volume.writeVolume(zeros, at: volume.geometry.offset(ofCluster: last) + used)
        }
    }
}
