extension FAT {
    /// Writes a whole FAT file system holding `files` (and the empty `directories`, given as
    /// paths like `EFI/Linux`) into the `size` bytes at `offset` of the existing file or disk
    /// at `path` (an ESP partition of a disk image): the reserved sectors, every FAT copy in
    /// full, the FAT12/16 root directory, and every cluster of a directory or file (a file's
    /// last cluster padded with zeros). Free clusters are not written, so the bytes of the
    /// region are a function of the arguments when the region read zeros before (a fresh
    /// sparse image); nothing outside the region is touched. The caller syncs the file.
    ///
    /// Everything is checked before the first write: names (`FATError.invalidName`,
    /// `.duplicateName`), the size (`.invalidSize`), room (`.doesNotFit`, naming the smallest
    /// size that would hold the files), the label and where the region lies.
    /// `BPB_HiddSec` is `offset / 512`, the partition's first LBA on a 512-byte-sector disk.
    @discardableResult
    public static func write(
        files: [File], directories: [String] = [], to path: String, at offset: UInt64, size: UInt64, options: Options
    ) throws(FATError) -> WriteSummary {
        guard offset % sectorSize == 0 else { throw .invalidOffset(offset) }
        let plan = try Plan(files: files, directories: directories, size: size, options: options,
                            hiddenSectors: UInt32(clamping: offset / sectorSize))
        let file = try IO.open(path, writable: true)
        let fileSize = try IO.size(file)
        guard offset <= fileSize, size <= fileSize - offset else {
            throw .regionOutsideFile(path: path, offset: offset, size: size, fileSize: fileSize)
        }
        let output = RegionWriter(file: file, base: offset)
        try plan.write(to: output)
        return plan.summary
    }

    /// The smallest size (a whole number of MiB) whose volume holds `files` and
    /// `directories`, for a build that sizes the ESP from its contents.
    public static func minimumSize(files: [File], directories: [String] = [], options: Options) throws(FATError) -> UInt64 {
        let label = try labelBytes(options.volumeLabel)
        var tree = try Tree(files: files, directories: directories)
        try tree.assignShortNames()
        guard let size = Layout.minimumSize(tree, hasLabel: label != nil, above: 0) else {
            let geometry = try Geometry.plan(size: Geometry.maximumSize / (1 << 20) * (1 << 20))
            let needed = try Layout.clustersNeeded(tree, geometry: geometry, hasLabel: label != nil)
            throw .doesNotFit(
                needed: needed * geometry.clusterSize, available: UInt64(geometry.clusterCount) * geometry.clusterSize,
                size: geometry.volumeSize, kind: geometry.kind, clusterSize: geometry.clusterSize, minimumSize: nil)
        }
        return size
    }

    /// `BS_VolLab` for `label`: nil for "" (no label entry, "NO NAME" in the BPB), else 11
    /// bytes, upper-cased and space-padded.
    static func labelBytes(_ label: String) throws(FATError) -> [UInt8]? {
        guard !label.isEmpty else { return nil }
        let bytes = Array(label.utf8).map(ShortName.upper)
        guard bytes.count <= ShortName.length else {
            throw .invalidLabel(label, reason: "it is \(bytes.count) bytes long; a FAT label holds at most 11")
        }
        guard bytes.allSatisfy({ ShortName.isValid($0) || $0 == ShortName.space }) else {
            throw .invalidLabel(
                label, reason: "it may hold only letters, digits, spaces and !#$%&'()-@^_`{}~ (as a short name)")
        }
        guard bytes.first != ShortName.space else { throw .invalidLabel(label, reason: "it cannot start with a space") }
        return ShortName.padded(bytes, ShortName.length)
    }

    /// Everything the writer decided, before a byte is written.
    struct Plan {
        let tree: Tree
        let layout: Layout
        let label: [UInt8]?
        let time: Timestamp
        let bootSector: BootSector

        var geometry: Geometry { layout.geometry }

        init(files: [File], directories: [String], size: UInt64, options: Options, hiddenSectors: UInt32) throws(FATError) {
            label = try labelBytes(options.volumeLabel)
            let geometry = try Geometry.plan(size: size)
            var tree = try Tree(files: files, directories: directories)
            try tree.assignShortNames()
            self.tree = tree
            layout = try Layout(tree: tree, geometry: geometry, hasLabel: label != nil)
            time = Timestamp(unixTime: options.timestamp)
            bootSector = BootSector(
                geometry: geometry, hiddenSectors: hiddenSectors, volumeID: options.volumeID,
                volumeLabel: label ?? BootSector.noLabel)
        }

        var summary: WriteSummary {
            WriteSummary(
                geometry: geometry, usedClusters: layout.usedClusters,
                freeClusters: geometry.clusterCount - layout.usedClusters, files: tree.files.count,
                directories: tree.directories.count - 1)
        }

        /// The volume from its first byte to the end of the last used cluster, in order.
        func write(to output: RegionWriter) throws(FATError) {
            try output.append(reservedArea())
            let table = allocationTable().bytes
            for _ in 0..<geometry.fatCount { try output.append(table) }
            if geometry.kind != .fat32 {
                try output.append(directoryBytes(0, capacity: Int(geometry.rootDirectorySectors * sectorSize)))
            }
            for index in layout.directoryOrder where layout.directories[index].count > 0 {
                let capacity = UInt64(layout.directories[index].count) * geometry.clusterSize
                try output.append(directoryBytes(index, capacity: Int(capacity)))
            }
            for index in layout.fileOrder {
                let contents = tree.files[index].contents
                try output.append(contents)
                let allocated = UInt64(layout.files[index].count) * geometry.clusterSize
                try output.appendZeros(allocated - UInt64(contents.count))
            }
            try output.flush()
        }

        /// The reserved sectors: the boot sector, and on FAT32 FSInfo at 1 and both again at
        /// 6 and 7 (the backup boot record); zeros between.
        func reservedArea() -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: Int(geometry.reservedSectors) * Int(sectorSize))
            let boot = bootSector.encoded()
            bytes.replaceSubrange(0..<boot.count, with: boot)
            guard geometry.kind == .fat32 else { return bytes }
            // FSI_Nxt_Free: fatgen103 calls it where to start looking; Linux and mkfs.fat keep
            // the last cluster allocated there and look from the one after. That cluster is
            // right under both readings.
            let free = geometry.clusterCount - layout.usedClusters
            let info = FSInfo(freeCount: free, nextFree: 1 + layout.usedClusters).encoded()
            let sector = Int(sectorSize)
            for (at, record) in [(1, info), (Int(bootSector.backupBootSector), boot), (Int(bootSector.backupBootSector) + 1, info)] {
                bytes.replaceSubrange((at * sector)..<(at * sector + record.count), with: record)
            }
            return bytes
        }

        func allocationTable() -> AllocationTable {
            var table = AllocationTable(
                kind: geometry.kind, clusterCount: geometry.clusterCount,
                byteCount: Int(geometry.sectorsPerFAT) * Int(sectorSize), media: bootSector.media)
            for run in layout.directories + layout.files { table.chain(from: run.first, count: run.count) }
            return table
        }

        /// Directory `index` as `capacity` bytes: the root's label entry or "." and ".."
        /// ("..": cluster 0 for a child of the root), then each member's long-name entries
        /// and short entry; zeros (the end mark) after.
        func directoryBytes(_ index: Int, capacity: Int) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: capacity)
            var slot = 0
            func put(_ record: [UInt8]) {
                bytes.replaceSubrange((slot * ShortEntry.size)..<((slot + 1) * ShortEntry.size), with: record)
                slot += 1
            }
            func entry(_ name: [UInt8], _ attributes: UInt8, _ cluster: UInt32, _ size: UInt32 = 0) -> [UInt8] {
                ShortEntry(name: name, attributes: attributes, time: time, firstCluster: cluster, fileSize: size).encoded()
            }
            let directory = tree.directories[index]
            if let parent = directory.parent {
                put(entry(ShortEntry.dotName, ShortEntry.Attribute.directory, layout.directories[index].first))
                let up = parent == 0 ? 0 : layout.directories[parent].first
                put(entry(ShortEntry.dotDotName, ShortEntry.Attribute.directory, up))
            } else if let label {
                put(entry(label, ShortEntry.Attribute.volumeLabel, 0))
            }
            for member in directory.members {
                if member.longNameEntries > 0 {
                    let checksum = ShortName.checksum(member.shortName)
                    for record in LongNameEntry.entries(for: member.name, checksum: checksum) { put(record.encoded()) }
                }
                switch member.kind {
                case .directory(let child):
                    put(entry(member.shortName, ShortEntry.Attribute.directory, layout.directories[child].first))
                case .file(let file):
                    let run = layout.files[file]
                    put(entry(member.shortName, ShortEntry.Attribute.archive, run.first, UInt32(tree.files[file].contents.count)))
                }
            }
            return bytes
        }
    }
}
