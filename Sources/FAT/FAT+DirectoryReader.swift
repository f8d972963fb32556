extension FAT {
    /// A name in a directory, as the reader lists it.
    public struct DirectoryEntry: Sendable, Equatable {
        /// The long name when its entries are whole and match the short name's checksum, else
        /// the short name.
        public var name: String
        /// The 8.3 name ("QEMU-D~1.EFI").
        public var shortName: String
        public var hasLongName: Bool
        /// `DIR_Attr`.
        public var attributes: UInt8
        public var size: UInt32
        public var firstCluster: UInt32
        public var created: Timestamp
        public var modified: Timestamp
        /// `DIR_LstAccDate`.
        public var accessed: UInt16

        public var isDirectory: Bool { attributes & ShortEntry.Attribute.directory != 0 }
    }

    /// A directory's bytes and where they are: the FAT12/16 root region, or its clusters.
    struct LoadedDirectory {
        /// The path inside the volume, for messages ("" for the root).
        let path: String
        /// Its clusters; empty for the FAT12/16 root.
        var clusters: [UInt32]
        var bytes: [UInt8]

        var slotCount: Int { bytes.count / ShortEntry.size }
    }

    /// An entry with the slots it takes (its long-name entries and its short entry).
    struct ListedEntry {
        var entry: DirectoryEntry
        var record: ShortEntry
        var firstSlot: Int
        var slotCount: Int
    }

    /// What a directory's slots hold, read as Linux's vfat reads them (fatgen103 "Directory
    /// Structure", "FAT Long Directory Entries"): 0x00 ends the directory, 0xE5 is free, a
    /// long-name run counts down from the entry with 0x40 to 1, each repeating the checksum,
    /// and names the short entry right after it only when that entry's `ShortName.checksum`
    /// matches; a broken run is dropped and the short name stands. "." and ".." are skipped;
    /// the first volume-label entry is kept apart.
    struct DirectoryListing {
        var entries: [ListedEntry] = []
        var label: String?

        init(_ bytes: [UInt8], highClusterBits: Bool) {
            var pending: PendingName?
            for slot in 0..<(bytes.count / ShortEntry.size) {
                let record = bytes[(slot * ShortEntry.size)..<((slot + 1) * ShortEntry.size)]
                let first = record[record.startIndex]
                if first == ShortEntry.end { break }
                if first == ShortEntry.free {
                    pending = nil
                    continue
                }
                if record[record.startIndex + 11] & 0x3F == LongNameEntry.attribute {
                    pending = PendingName.next(pending, LongNameEntry(slot: record), slot: slot)
                    continue
                }
                let short = ShortEntry(slot: record, highClusterBits: highClusterBits)
                defer { pending = nil }
                if short.isVolumeLabel {
                    if label == nil { label = ShortName.display(short.name) }
                    continue
                }
                if short.isDotEntry { continue }
                let long = pending.flatMap { $0.name(for: short.name) }
                let shortName = ShortName.display(short.name, caseFlags: short.caseFlags)
                let usable = long.flatMap { Name.problem($0) == nil ? $0 : nil }
                let entry = DirectoryEntry(
                    name: usable ?? shortName, shortName: ShortName.display(short.name), hasLongName: usable != nil,
                    attributes: short.attributes, size: short.fileSize, firstCluster: short.firstCluster,
                    created: short.created, modified: short.modified, accessed: short.accessed)
                let start = long == nil ? slot : pending?.firstSlot ?? slot
                entries.append(ListedEntry(entry: entry, record: short, firstSlot: start, slotCount: slot - start + 1))
            }
        }

        /// The entry `name` names, without case: a long name first, then a short one.
        func find(_ name: String) -> ListedEntry? {
            let key = Name.key(name)
            return entries.first { Name.key($0.entry.name) == key }
                ?? entries.first { Name.key($0.entry.shortName) == key }
        }
    }

    /// A long-name run being read, last piece first.
    struct PendingName {
        var checksum: UInt8
        /// The piece number the next entry must have; 0 once piece 1 was read.
        var expected: Int
        var pieces: [[UInt16]]
        var firstSlot: Int

        /// The run after `entry`: a new one on a 0x40 entry, the same one grown when `entry`
        /// is its next piece, nil when it breaks the run.
        static func next(_ pending: PendingName?, _ entry: LongNameEntry, slot: Int) -> PendingName? {
            if entry.isLast {
                guard (1...LongNameEntry.maximumEntries).contains(entry.number) else { return nil }
                return PendingName(checksum: entry.checksum, expected: entry.number - 1, pieces: [entry.units], firstSlot: slot)
            }
            guard var run = pending, run.expected >= 1, entry.number == run.expected, entry.checksum == run.checksum
            else { return nil }
            run.pieces.append(entry.units)
            run.expected -= 1
            return run
        }

        /// The name, if the run is complete and belongs to the short name `shortName`.
        func name(for shortName: [UInt8]) -> String? {
            guard expected == 0, ShortName.checksum(shortName) == checksum else { return nil }
            var units: [UInt16] = []
            units.reserveCapacity(pieces.count * LongNameEntry.unitsPerEntry)
            for piece in pieces.reversed() { units += piece }
            let name = units.prefix { $0 != 0 }
            guard !name.isEmpty else { return nil }
            return String(decoding: name, as: UTF16.self)
        }
    }
}

extension FAT.Volume {
    /// The root directory: the FAT12/16 root region, or the chain from `BPB_RootClus`.
    func loadRoot() throws(FATError) -> FAT.LoadedDirectory {
        guard geometry.kind != .fat32 else { return try loadDirectory(cluster: geometry.rootCluster, path: "") }
        let start = geometry.rootDirectorySector * UInt64(geometry.bytesPerSector)
        let bytes = try readVolume(at: start, count: Int(geometry.rootEntryCount) * 32, what: "the root directory")
        return FAT.LoadedDirectory(path: "", clusters: [], bytes: bytes)
    }

    /// A subdirectory from its first cluster: at most 65536 entries (fatgen103), i.e. 2 MiB.
    func loadDirectory(cluster: UInt32, path: String) throws(FATError) -> FAT.LoadedDirectory {
        let maximum = max(1, FAT.Layout.maximumDirectorySlots * FAT.ShortEntry.size / Int(geometry.clusterSize))
        let what = path.isEmpty ? "the root directory" : "directory " + path
        let clusters = try chain(from: cluster, what: what, maximum: maximum, toEnd: true)
        return FAT.LoadedDirectory(path: path, clusters: clusters, bytes: try readClusters(clusters, what: what))
    }

    func listing(_ directory: FAT.LoadedDirectory) -> FAT.DirectoryListing {
        FAT.DirectoryListing(directory.bytes, highClusterBits: geometry.kind == .fat32)
    }

    /// The directory at `path` ("" or "/" is the root). A path that comes back to a directory
    /// it passed (an entry naming its own directory or one above) is `.corrupt`: a walk of the
    /// tree, as `hostimg sign` makes, then ends instead of descending forever.
    func directory(at path: String) throws(FATError) -> FAT.LoadedDirectory {
        var current = try loadRoot()
        var passed: [String: UInt32] = geometry.kind == .fat32 ? ["": geometry.rootCluster] : [:]
        for component in FAT.Tree.components(path, trimmingTrailingSlash: true) {
            let walked = FAT.Tree.join(current.path, component)
            guard let found = listing(current).find(component) else { throw .notFound(path: walked) }
            guard found.entry.isDirectory else { throw .notADirectory(path: walked) }
            guard found.entry.firstCluster != 0 else {
                throw .corrupt(path: self.path, detail: "directory \(walked) has no first cluster")
            }
            if let again = passed.first(where: { $0.value == found.entry.firstCluster }) {
                throw .corrupt(path: self.path, detail: "directory \(walked) is \(again.key.isEmpty ? "the root" : again.key) "
                    + "again (cluster \(found.entry.firstCluster)): the tree loops")
            }
            let next = FAT.Tree.join(current.path, found.entry.name)
            passed[next] = found.entry.firstCluster
            current = try loadDirectory(cluster: found.entry.firstCluster, path: next)
        }
        return current
    }

    /// The entries of the directory at `path`, in the order they are stored, without "." and
    /// ".." and the volume label.
    public func list(_ path: String = "") throws(FATError) -> [FAT.DirectoryEntry] {
        listing(try directory(at: path)).entries.map(\.entry)
    }

    /// The entry `path` names.
    public func entry(at path: String) throws(FATError) -> FAT.DirectoryEntry {
        var components = FAT.Tree.components(path, trimmingTrailingSlash: true)
        guard let name = components.popLast() else {
            throw .isADirectory(path: path)
        }
        let parent = try directory(at: components.joined(separator: "/"))
        guard let found = listing(parent).find(name) else { throw .notFound(path: FAT.Tree.join(parent.path, name)) }
        return found.entry
    }

    /// The root directory's volume-label entry (what `mdir` and `blkid` show), if it has one.
    public func rootLabel() throws(FATError) -> String? {
        listing(try loadRoot()).label
    }
}
