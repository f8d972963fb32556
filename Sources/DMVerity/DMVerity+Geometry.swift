extension DMVerity {
    /// Bytes the hash device needs for `dataSize` bytes of data: one hash block for the
    /// superblock + the tree (exactly what veritysetup writes). A partial trailing data block
    /// is not counted, as veritysetup counts whole blocks of the device.
    public static func hashDeviceSize(dataSize: UInt64, parameters: Parameters) -> UInt64 {
        let blockSize = UInt64(max(parameters.dataBlockSize, 1))
        let geometry = Geometry(dataBlocks: dataSize / blockSize, hashBlockSize: parameters.hashBlockSize)
        return geometry.hashDeviceBytes
    }

    /// Where each level of the tree lives on the hash device (cryptsetup `hash_levels`).
    struct Geometry: Sendable, Equatable {
        /// One level of hash blocks.
        struct Level: Sendable, Equatable {
            /// First hash block of the level, counted from the start of the hash device
            /// (block 0 is the superblock).
            var startBlock: UInt64
            /// Hash blocks in the level.
            var blockCount: UInt64
            /// Digests stored in it: one per block of the level below (or per data block).
            var digestCount: UInt64
        }

        let dataBlocks: UInt64
        let hashBlockSize: Int
        /// Digests per hash block. Hash blocks are powers of two of at least 512 bytes and a
        /// SHA-256 digest is 32 bytes, so digests fill a block exactly with no per-digest
        /// padding, and a level's digests are contiguous across its blocks.
        let digestsPerBlock: UInt64
        /// `levels[0]` holds the digests of the data blocks; the last level is one block.
        /// Empty when there is a single data block.
        let levels: [Level]

        init(dataBlocks: UInt64, hashBlockSize: Int) {
            self.dataBlocks = dataBlocks
            self.hashBlockSize = hashBlockSize
            let perBlock = UInt64(max(hashBlockSize / Parameters.digestSize, 2))
            digestsPerBlock = perBlock
            // Sizes bottom-up: each level has ceil(entries / perBlock) blocks, until one
            // block covers everything. `(dataBlocks - 1) >> (bits × n) == 0` in cryptsetup
            // is the same condition as "n levels reduce dataBlocks entries to one".
            var sizes: [(blocks: UInt64, digests: UInt64)] = []
            var entries = dataBlocks
            while entries > 1 {
                let blocks = entries / perBlock + (entries % perBlock == 0 ? 0 : 1)
                sizes.append((blocks, entries))
                entries = blocks
            }
            // Placement top-down, starting right after the superblock block.
            var position: UInt64 = 1
            var placed = [Level](repeating: Level(startBlock: 0, blockCount: 0, digestCount: 0), count: sizes.count)
            for index in sizes.indices.reversed() {
                placed[index] = Level(startBlock: position, blockCount: sizes[index].blocks, digestCount: sizes[index].digests)
                position += sizes[index].blocks
            }
            levels = placed
        }

        /// Hash blocks including the superblock block.
        var hashBlocks: UInt64 { 1 + levels.reduce(0) { $0 + $1.blockCount } }
        /// Saturates at `UInt64.max` (never reached from a decoded superblock, whose data size
        /// fits in 64 bits, so the tree is at most a sixteenth of that).
        var hashDeviceBytes: UInt64 {
            let (bytes, overflow) = hashBlocks.multipliedReportingOverflow(by: UInt64(hashBlockSize))
            return overflow ? UInt64.max : bytes
        }

        /// Byte offset of a level's first block from the start of the hash device.
        func byteOffset(of level: Level) -> Int { Int(level.startBlock) * hashBlockSize }
    }
}
