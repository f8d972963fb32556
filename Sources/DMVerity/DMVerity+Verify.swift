import ByteCodec
import Crypto

extension DMVerity {
    /// Bytes of data hashed per window of `verify`, and so the bound of the digests it holds
    /// (1/128 of this with 4 KiB blocks: 512 KiB, twice). Hash levels are read in windows of
    /// `chunkBytes`. Memory does not grow with the image.
    static let verifyWindowBytes = 64 << 20

    /// Recomputes everything and compares, as `veritysetup verify` does, taking the
    /// parameters from the superblock at `hash.offset` (checked by `checkedLayout`: `data`
    /// and `hash` are the partitions, the superblock says how much of each is used). Returns
    /// the checked layout. Throws the `DMVerityError` naming what failed:
    /// `superBlockInvalid`/`superBlockField`, `rootHashMismatch`, `hashBlockMismatch`
    /// (level, index, byte offset) or `dataBlockMismatch` (index, byte offset).
    ///
    /// Checks run top-down, the order the kernel trusts things in: the top block against the
    /// root hash, each level's blocks against the digests in the level above, then the data
    /// blocks (in parallel) against level 0. So a flipped byte is reported where it is: a
    /// corrupt level-0 hash block is a hash block mismatch, not a data block mismatch. The
    /// first failure in each stage is reported (the lowest index). Unused tails of hash
    /// blocks are covered because whole blocks are hashed, and must be zero as veritysetup
    /// writes them: digests past the last one, or missing ones, mean `data_blocks` does not
    /// match the tree (reported as that field). The superblock's padding is not checked.
    ///
    /// Memory is bounded by `verifyWindowBytes` and `chunkBytes` per thread, whatever the
    /// sizes: levels and data are read in windows, never whole.
    @discardableResult
    public static func verify(
        data: Region, hash: Region, rootHash: [UInt8], parallelism: Int = defaultParallelism
    ) throws -> CheckedLayout {
        guard rootHash.count == Parameters.digestSize else {
            throw DMVerityError.invalidRootHash(
                "\(rootHash.count) bytes (\(Hex.encode(rootHash))); a SHA-256 root hash is \(Parameters.digestSize) bytes")
        }
        let layout = try checkedLayout(dataPartition: data, hashPartition: hash)
        let checker = try TreeCheck(layout: layout, rootHash: rootHash)
        try checker.checkTop()
        for levelIndex in stride(from: checker.geometry.levels.count - 1, to: 0, by: -1) {
            try checker.checkLevel(below: levelIndex)
        }
        try checker.checkData(parallelism: parallelism)
        return layout
    }

    /// One verification of a tree on disk, level by level in bounded windows.
    struct TreeCheck {
        let layout: CheckedLayout
        let rootHash: [UInt8]
        let geometry: Geometry
        let hashFile: OpenFile
        let dataFile: OpenFile
        let hasher: SaltedBlockHasher
        var blockSize: Int { geometry.hashBlockSize }
        var salt: [UInt8] { layout.superBlock.salt }

        init(layout: CheckedLayout, rootHash: [UInt8]) throws(DMVerityError) {
            self.layout = layout
            self.rootHash = rootHash
            geometry = Geometry(dataBlocks: layout.superBlock.dataBlocks, hashBlockSize: Int(layout.superBlock.hashBlockSize))
            hashFile = try OpenFile(path: layout.hash.path, writable: false)
            dataFile = try OpenFile(path: layout.data.path, writable: false)
            let salt = layout.superBlock.salt
            hasher = try hashing { try SaltedBlockHasher(salt: salt) }
        }

        /// File offset of hash block `block` (0 is the superblock block).
        func hashOffset(_ block: UInt64) -> UInt64 { layout.hash.offset + block * UInt64(blockSize) }

        /// The root: the top block, or the only data block when there is no tree.
        func checkTop() throws {
            guard let top = geometry.levels.last else {
                let dataBlockSize = Int(layout.superBlock.dataBlockSize)
                let block = try dataFile.read(count: dataBlockSize, at: layout.data.offset)
                let computed = try hashing { try hasher.hash(block) }
                guard computed == rootHash else {
                    throw DMVerityError.rootHashMismatch(
                        expected: Hex.encode(rootHash), computed: Hex.encode(computed),
                        where: "the only data block (at offset \(layout.data.offset) of \(layout.data.path); a one-block device has no tree)")
                }
                return
            }
            let block = try hashFile.read(count: blockSize, at: hashOffset(top.startBlock))
            let computed = try hashing { try hasher.hash(block) }
            guard computed == rootHash else {
                throw DMVerityError.rootHashMismatch(
                    expected: Hex.encode(rootHash), computed: Hex.encode(computed),
                    where: "the top hash block (at offset \(hashOffset(top.startBlock)) of \(layout.hash.path))")
            }
            try checkTail(block[...], level: top, index: geometry.levels.count - 1)
        }

        /// Level `levelIndex - 1` against the digests stored in level `levelIndex`, a window
        /// of blocks at a time.
        func checkLevel(below levelIndex: Int) throws {
            let parent = geometry.levels[levelIndex]
            let child = geometry.levels[levelIndex - 1]
            let windowBlocks = UInt64(max(chunkBytes / blockSize, 1))
            var first: UInt64 = 0
            while first < child.blockCount {
                let count = min(windowBlocks, child.blockCount - first)
                let blocks = try hashFile.read(count: Int(count) * blockSize, at: hashOffset(child.startBlock + first))
                let computed = TreeBuffer(count: Int(count) * Parameters.digestSize)
                try blocks.withUnsafeBytes { input in
                    try hashing { try hasher.hashBlocks(input, blockSize: blockSize, into: computed.bytes) }
                }
                let stored = try hashFile.read(
                    count: Int(count) * Parameters.digestSize,
                    at: hashOffset(parent.startBlock) + first * UInt64(Parameters.digestSize))
                let mismatch = stored.withUnsafeBytes { firstMismatch(UnsafeRawBufferPointer(computed.bytes), $0) }
                if let index = mismatch {
                    throw DMVerityError.hashBlockMismatch(
                        level: levelIndex - 1, index: first + index, path: layout.hash.path,
                        offset: hashOffset(child.startBlock + first + index))
                }
                if first + count == child.blockCount {
                    let last = blocks[(Int(count) - 1) * blockSize..<Int(count) * blockSize]
                    try checkTail(last, level: child, index: levelIndex - 1)
                }
                first += count
            }
        }

        /// The last block of a level holds `digestCount` digests and zeros after them, as
        /// veritysetup writes it; the block already matched its digest, so other bytes there
        /// mean the tree was built for more blocks than `data_blocks` says.
        func checkTail(_ block: ArraySlice<UInt8>, level: Geometry.Level, index: Int) throws(DMVerityError) {
            guard let entry = geometry.strayDigest(inLastBlockOf: level, block) else { return }
            throw strayDigestError(path: layout.hash.path, offset: layout.hash.offset, superBlock: layout.superBlock,
                                   level: level, levelIndex: index, entry: entry)
        }

        /// The data blocks against level 0, a window at a time, each window hashed in
        /// parallel. A stored digest of zeros is the unused tail of level 0: the superblock
        /// names more blocks than the tree was built for.
        func checkData(parallelism: Int) throws {
            guard let level0 = geometry.levels.first else { return }
            let dataBlockSize = Int(layout.superBlock.dataBlockSize)
            let windowBlocks = UInt64(max(verifyWindowBytes / dataBlockSize, 1))
            let total = layout.superBlock.dataBlocks
            let digestSize = Parameters.digestSize
            var first: UInt64 = 0
            while first < total {
                let count = min(windowBlocks, total - first)
                let computed = TreeBuffer(count: Int(count) * digestSize)
                let window = Region(
                    path: layout.data.path, offset: layout.data.offset + first * UInt64(dataBlockSize),
                    length: count * UInt64(dataBlockSize))
                try hashDataBlocks(
                    file: dataFile, region: window, blockSize: dataBlockSize, blocks: count, salt: salt,
                    parallelism: parallelism, output: computed, outputOffset: 0, progress: nil)
                let stored = try hashFile.read(
                    count: Int(count) * digestSize, at: hashOffset(level0.startBlock) + first * UInt64(digestSize))
                let mismatch = stored.withUnsafeBytes { firstMismatch(UnsafeRawBufferPointer(computed.bytes), $0) }
                if let index = mismatch {
                    let digest = stored[(Int(index) * digestSize)..<(Int(index + 1) * digestSize)]
                    if digest.allSatisfy({ $0 == 0 }) {
                        let field = SuperBlock.Field.dataBlocks
                        throw DMVerityError.superBlockField(
                            path: layout.hash.path, offset: layout.hash.offset, field: field.name, fieldOffset: field.offset,
                            problem: "is \(total), but the tree holds no digest for data block \(first + index) "
                                + "(its entry is zero): the superblock names more blocks than the tree was built for")
                    }
                    throw DMVerityError.dataBlockMismatch(
                        index: first + index, path: layout.data.path,
                        offset: layout.data.offset + (first + index) * UInt64(dataBlockSize))
                }
                first += count
            }
        }
    }
}
