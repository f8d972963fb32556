extension FAT {
    /// One copy of the File Allocation Table, kept as its bytes (fatgen103 "FAT Data
    /// Structure"): entry n describes cluster n, for n from 2 to `clusterCount + 1`; entries
    /// 0 and 1 are reserved.
    ///
    /// ```
    ///            entry 0      entry 1      value of entry n (n ≥ 2)
    /// FAT12      FF8 | media  FFF          packed: n × 1.5 bytes in; even n the low 12 bits
    ///                                      of that 16-bit word, odd n the high 12
    /// FAT16      FFF8         FFFF         16 bits at n × 2
    /// FAT32      0FFFFFF8     0FFFFFFF     low 28 bits of 32 at n × 4 (the top 4 are kept
    ///                                      as found when an entry is changed)
    ///
    ///            0 free, 2...max next cluster, (FF)F7 bad, (FF)F8...(FF)FF end of chain
    /// ```
    ///
    /// Entry 1's top bits are the FAT16/32 "clean shutdown" and "no I/O error" flags: the
    /// writer sets both (all ones), as a cleanly unmounted volume has them.
    struct AllocationTable {
        let kind: Kind
        let clusterCount: UInt32
        private(set) var bytes: [UInt8]

        /// An empty table of `byteCount` bytes (a whole number of sectors) with entries 0 and 1
        /// set for `media`.
        init(kind: Kind, clusterCount: UInt32, byteCount: Int, media: UInt8 = 0xF8) {
            self.kind = kind
            self.clusterCount = clusterCount
            bytes = [UInt8](repeating: 0, count: byteCount)
            self[0] = endOfChain & ~0xFF | UInt32(media)
            self[1] = endOfChain
        }

        /// A table read from a volume; `bytes` must hold `Geometry.fatBytes` for the count
        /// (the boot sector decoder checked it).
        init(kind: Kind, clusterCount: UInt32, bytes: [UInt8]) {
            self.kind = kind
            self.clusterCount = clusterCount
            self.bytes = bytes
        }

        /// The end-of-chain mark the writer stores.
        var endOfChain: UInt32 {
            switch kind {
            case .fat12: 0xFFF
            case .fat16: 0xFFFF
            case .fat32: 0x0FFF_FFFF
            }
        }

        /// The bad-cluster mark; every value above it ends a chain.
        var bad: UInt32 { endOfChain - 8 }

        /// The last cluster number a volume of this table has.
        var lastCluster: UInt32 { clusterCount + 1 }

        /// Where entry `cluster` lies in `bytes` (two bytes for FAT12, whose entries share one).
        func byteRange(of cluster: UInt32) -> Range<Int> {
            switch kind {
            case .fat12: Int(cluster) * 3 / 2 ..< Int(cluster) * 3 / 2 + 2
            case .fat16: Int(cluster) * 2 ..< Int(cluster) * 2 + 2
            case .fat32: Int(cluster) * 4 ..< Int(cluster) * 4 + 4
            }
        }

        /// Entry `cluster`, which must be at most `lastCluster` (callers check values read
        /// from the volume before they use them as an index).
        subscript(cluster: UInt32) -> UInt32 {
            get {
                let at = byteRange(of: cluster).lowerBound
                switch kind {
                case .fat12:
                    let word = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8
                    return cluster & 1 == 0 ? word & 0xFFF : word >> 4
                case .fat16:
                    return UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8
                case .fat32:
                    let word = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16
                        | UInt32(bytes[at + 3]) << 24
                    return word & 0x0FFF_FFFF
                }
            }
            set {
                let at = byteRange(of: cluster).lowerBound
                switch kind {
                case .fat12:
                    var word = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8
                    word = cluster & 1 == 0 ? word & 0xF000 | newValue & 0xFFF : word & 0x000F | (newValue & 0xFFF) << 4
                    store(word, at: at, count: 2)
                case .fat16:
                    store(newValue & 0xFFFF, at: at, count: 2)
                case .fat32:
                    let high = UInt32(bytes[at + 3]) & 0xF0
                    store(newValue & 0x0FFF_FFFF | high << 24, at: at, count: 4)
                }
            }
        }

        private mutating func store(_ value: UInt32, at offset: Int, count: Int) {
            for index in 0..<count { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * index)) }
        }

        /// Links `count` clusters from `first` into one chain (the writer's contiguous runs).
        mutating func chain(from first: UInt32, count: UInt32) {
            guard count > 0 else { return }
            for cluster in first..<(first + count - 1) { self[cluster] = cluster + 1 }
            self[first + count - 1] = endOfChain
        }

        /// Free entries (value 0) among clusters 2...lastCluster: FAT16/32 entries read as
        /// whole words (a FAT32 volume of 128 MiB has 258016 of them), FAT12 one by one.
        var freeClusters: UInt32 {
            let range = Int(2)...Int(lastCluster)
            return bytes.withUnsafeBytes { raw in
                var free: UInt32 = 0
                switch kind {
                case .fat12:
                    for cluster in range where self[UInt32(cluster)] == 0 { free += 1 }
                case .fat16:
                    for cluster in range where raw.loadUnaligned(fromByteOffset: cluster * 2, as: UInt16.self) == 0 { free += 1 }
                case .fat32:
                    for cluster in range
                    where UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: cluster * 4, as: UInt32.self)) & 0x0FFF_FFFF == 0 {
                        free += 1
                    }
                }
                return free
            }
        }

        /// What follows `cluster` in its chain.
        enum Link: Equatable {
            case next(UInt32)
            case end
            case free
            case bad
            /// 1, or a number past the last cluster: only a corrupt FAT has it.
            case invalid(UInt32)
        }

        func link(after cluster: UInt32) -> Link {
            let value = self[cluster]
            switch value {
            case 0: return .free
            case 2...lastCluster: return .next(value)
            case bad: return .bad
            case (bad + 1)...: return .end
            default: return .invalid(value)
            }
        }
    }
}
