extension FAT {
    /// Where the writer puts everything: clusters from 2 up, with no gap, first every
    /// directory in pre-order (the FAT32 root first, at cluster 2), then every file in the
    /// same order; each directory and file is one contiguous run.
    struct Layout {
        /// A run of clusters; `count` 0 (first 0) for an empty file and the FAT12/16 root.
        struct Run: Equatable {
            var first: UInt32
            var count: UInt32
        }

        let geometry: Geometry
        /// By directory index of the tree, and by file index of the input.
        private(set) var directories: [Run]
        private(set) var files: [Run]
        /// Directory and file indices in the order their clusters follow each other.
        let directoryOrder: [Int]
        let fileOrder: [Int]
        /// Clusters 2..<2 + usedClusters are taken.
        private(set) var usedClusters: UInt32 = 0

        /// Places `tree` on `geometry`; `doesNotFit` (with the smallest size that would do)
        /// when it needs more clusters than there are, `directoryFull` for a directory over
        /// 65536 slots or a FAT12/16 root over its 512.
        init(tree: Tree, geometry: Geometry, hasLabel: Bool) throws(FATError) {
            self.geometry = geometry
            directoryOrder = tree.preorder
            fileOrder = directoryOrder.flatMap { index in
                tree.directories[index].members.compactMap { member -> Int? in
                    if case .file(let file) = member.kind { return file }
                    return nil
                }
            }
            directories = Array(repeating: Run(first: 0, count: 0), count: tree.directories.count)
            files = Array(repeating: Run(first: 0, count: 0), count: tree.files.count)
            let needed = try Self.clustersNeeded(tree, geometry: geometry, hasLabel: hasLabel)
            guard needed <= UInt64(geometry.clusterCount) else {
                throw .doesNotFit(
                    needed: needed * geometry.clusterSize, available: UInt64(geometry.clusterCount) * geometry.clusterSize,
                    size: geometry.volumeSize, kind: geometry.kind, clusterSize: geometry.clusterSize,
                    minimumSize: Self.minimumSize(tree, hasLabel: hasLabel, above: geometry.volumeSize))
            }
            var next: UInt32 = 2
            for index in directoryOrder {
                let count = Self.directoryClusters(tree, index, geometry: geometry, hasLabel: hasLabel)
                directories[index] = Run(first: count == 0 ? 0 : next, count: count)
                next += count
            }
            for index in fileOrder {
                let count = Self.clusters(bytes: UInt64(tree.files[index].contents.count), geometry: geometry)
                files[index] = Run(first: count == 0 ? 0 : next, count: count)
                next += count
            }
            usedClusters = next - 2
        }

        static func clusters(bytes: UInt64, geometry: Geometry) -> UInt32 {
            UInt32((bytes + geometry.clusterSize - 1) / geometry.clusterSize)
        }

        /// Clusters of directory `index`: at least one, none for the FAT12/16 root.
        static func directoryClusters(_ tree: Tree, _ index: Int, geometry: Geometry, hasLabel: Bool) -> UInt32 {
            if index == 0 && geometry.kind != .fat32 { return 0 }
            let bytes = UInt64(tree.slots(of: index, hasLabel: hasLabel) * ShortEntry.size)
            return max(1, clusters(bytes: bytes, geometry: geometry))
        }

        /// fatgen103: a directory holds at most 65536 entries (2 MiB).
        static let maximumDirectorySlots = 65536

        /// Every cluster the tree takes on `geometry` (more than a `UInt32` can count is
        /// possible in principle: the sum is 64-bit), after checking each directory's slots.
        static func clustersNeeded(_ tree: Tree, geometry: Geometry, hasLabel: Bool) throws(FATError) -> UInt64 {
            var total: UInt64 = 0
            for index in tree.directories.indices {
                let slots = tree.slots(of: index, hasLabel: hasLabel)
                let limit = index == 0 && geometry.kind != .fat32 ? Int(geometry.rootEntryCount) : maximumDirectorySlots
                guard slots <= limit else {
                    throw .directoryFull(directory: tree.directories[index].path, entries: slots, limit: limit)
                }
                total += UInt64(directoryClusters(tree, index, geometry: geometry, hasLabel: hasLabel))
            }
            for file in tree.files { total += UInt64(clusters(bytes: UInt64(file.contents.count), geometry: geometry)) }
            return total
        }

        /// The smallest whole number of MiB above `size` whose volume holds `tree` (nil when
        /// not even the largest FAT volume does): doubling to a size that fits, then halving
        /// the gap. Cluster sizes step up at fatgen103's table boundaries, so a slightly smaller
        /// size may fit too; the one returned always does.
        static func minimumSize(_ tree: Tree, hasLabel: Bool, above size: UInt64) -> UInt64? {
            let mebibyte: UInt64 = 1 << 20
            func fits(_ mebibytes: UInt64) -> Bool {
                guard let geometry = try? Geometry.plan(size: mebibytes * mebibyte),
                      let needed = try? clustersNeeded(tree, geometry: geometry, hasLabel: hasLabel)
                else { return false }
                return needed <= UInt64(geometry.clusterCount)
            }
            let limit = Geometry.maximumSize / mebibyte
            var low = size / mebibyte, high = max(low * 2, 1)
            while !fits(high) {
                guard high < limit else { return nil }
                low = high
                high = min(high * 2, limit)
            }
            while high - low > 1 {
                let middle = low + (high - low) / 2
                if fits(middle) { high = middle } else { low = middle }
            }
            return high * mebibyte
        }
    }
}
