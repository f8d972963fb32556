import ByteCodec
import Crypto

extension DMVerity.StreamVerifier {
    /// The hash stream after its superblock: block by block, top level first.
    final class HashState {
        let superBlock: DMVerity.SuperBlock
        let geometry: DMVerity.Geometry
        let hasher: SaltedBlockHasher
        let rootHash: [UInt8]
        let name: String
        var blockSize: Int { geometry.hashBlockSize }
        /// Bytes of the stream so far, the superblock's included.
        var received = UInt64(DMVerity.SuperBlock.size)
        /// Whole blocks from the stream; block 0 is the superblock block, whose rest is padding.
        var filler: DMVerity.BlockFiller
        var blockNumber: UInt64 = 0
        /// The level being received (the top first, level 0 last) and the block in it.
        var levelIndex: Int
        var indexInLevel: UInt64 = 0
        /// The stored blocks of the level above (its digests) and of the level being received.
        var parent: [UInt8] = []
        var current: [UInt8] = []

        init(verifier: DMVerity.StreamVerifier, superBlock: DMVerity.SuperBlock) throws {
            guard superBlock.hashType == 1 else {
                throw verifier.fieldError(.hashType, "is \(superBlock.hashType); only type 1 (salt before each block) is supported")
            }
            guard superBlock.algorithm == "sha256" else {
                throw verifier.fieldError(.algorithm, "is \"\(superBlock.algorithm.prefix(32))\"; only sha256 is supported")
            }
            guard superBlock.dataBytes == verifier.dataBytes else {
                throw verifier.fieldError(
                    .dataBlocks, "is \(superBlock.dataBlocks): \(superBlock.dataBlocks) blocks of \(superBlock.dataBlockSize) "
                        + "bytes are \(superBlock.dataBytes) bytes, but \(verifier.dataName) has \(verifier.dataBytes)")
            }
            let geometry = DMVerity.Geometry(dataBlocks: superBlock.dataBlocks, hashBlockSize: Int(superBlock.hashBlockSize))
            guard geometry.hashDeviceBytes == verifier.hashBytes else {
                throw verifier.fieldError(
                    .dataBlocks, "is \(superBlock.dataBlocks): the superblock block and its tree take "
                        + "\(geometry.hashDeviceBytes) bytes, but \(verifier.hashName) has \(verifier.hashBytes)")
            }
            let upper = geometry.levels.dropFirst().reduce(UInt64(0)) { $0 + $1.blockCount } * UInt64(geometry.hashBlockSize)
            guard upper <= DMVerity.StreamVerifier.maximumTreeMemory else {
                throw DMVerityError.treeTooLarge(path: verifier.hashName, bytes: upper, limit: DMVerity.StreamVerifier.maximumTreeMemory)
            }
            self.superBlock = superBlock
            self.geometry = geometry
            let salt = superBlock.salt
            hasher = try DMVerity.hashing { try SaltedBlockHasher(salt: salt) }
            rootHash = verifier.rootHash
            name = verifier.hashName
            filler = DMVerity.BlockFiller(size: geometry.hashBlockSize, starting: verifier.header)
            levelIndex = geometry.levels.count - 1
        }

        func consume(_ bytes: UnsafeRawBufferPointer) throws {
            let (end, overflow) = received.addingReportingOverflow(UInt64(bytes.count))
            guard !overflow, end <= geometry.hashDeviceBytes else {
                throw DMVerityError.hashRegionTooSmall(path: name, length: geometry.hashDeviceBytes, needed: end)
            }
            try filler.feed(bytes) { try finishBlock($0) }
            received = end
        }

        /// A whole hash block: against the root hash (the top) or its digest in the level above.
        private func finishBlock(_ block: [UInt8]) throws {
            defer { blockNumber += 1 }
            guard blockNumber > 0, levelIndex >= 0 else { return }
            let level = geometry.levels[levelIndex]
            let computed = try DMVerity.hashing { try hasher.hash(block) }
            let top = levelIndex == geometry.levels.count - 1
            let start = Int(indexInLevel) * DMVerity.Parameters.digestSize
            let expected = top ? rootHash[...] : parent[start..<(start + DMVerity.Parameters.digestSize)]
            guard computed[...] == expected else {
                let offset = blockNumber * UInt64(blockSize)
                if top {
                    throw DMVerityError.rootHashMismatch(
                        expected: Hex.encode(rootHash), computed: Hex.encode(computed),
                        where: "the top hash block (at byte \(offset) of \(name))")
                }
                throw DMVerityError.hashBlockMismatch(level: levelIndex, index: indexInLevel, path: name, offset: offset)
            }
            if levelIndex >= 1 { current += block }
            indexInLevel += 1
            guard indexInLevel == level.blockCount else { return }
            if let entry = geometry.strayDigest(inLastBlockOf: level, block[...]) {
                throw DMVerity.strayDigestError(path: name, offset: 0, superBlock: superBlock, level: level,
                                                levelIndex: levelIndex, entry: entry)
            }
            if levelIndex >= 1 {
                parent = current
                current = []
            }
            levelIndex -= 1
            indexInLevel = 0
        }
    }
}

extension DMVerity.StreamVerifier {
    /// The data stream: digests of data blocks fill level-0 blocks, each checked against the
    /// level-1 digest kept from the hash stream (or the root hash when level 0 is the top).
    final class DataState {
        let hash: HashState
        let dataBytes: UInt64
        let dataBlockSize: Int
        var received: UInt64 = 0
        var filler: DMVerity.BlockFiller
        /// Digests of the level-0 block being filled, and the next data block's index.
        var level0: [UInt8] = []
        var nextBlock: UInt64 = 0

        init(hash: HashState) throws {
            self.hash = hash
            dataBlockSize = Int(hash.superBlock.dataBlockSize)
            dataBytes = hash.superBlock.dataBytes
            filler = DMVerity.BlockFiller(size: dataBlockSize)
        }

        func consume(_ bytes: UnsafeRawBufferPointer, name: String) throws {
            let (end, overflow) = received.addingReportingOverflow(UInt64(bytes.count))
            guard !overflow, end <= dataBytes else {
                let field = DMVerity.SuperBlock.Field.dataBlocks
                throw DMVerityError.superBlockField(
                    path: hash.name, offset: 0, field: field.name, fieldOffset: field.offset,
                    problem: "is \(hash.superBlock.dataBlocks), but \(name) goes on past its \(dataBytes) bytes")
            }
            try filler.feed(bytes) { try finishBlock($0, name: name) }
            received = end
        }

        private func finishBlock(_ block: [UInt8], name: String) throws {
            let digest = try DMVerity.hashing { try hash.hasher.hash(block) }
            nextBlock += 1
            guard !hash.geometry.levels.isEmpty else {
                guard digest == hash.rootHash else {
                    throw DMVerityError.rootHashMismatch(
                        expected: Hex.encode(hash.rootHash), computed: Hex.encode(digest),
                        where: "the only data block of \(name) (a one-block device has no tree)")
                }
                return
            }
            level0 += digest
            if level0.count == hash.blockSize || nextBlock == hash.superBlock.dataBlocks {
                try closeLevel0Block(name: name)
            }
        }

        /// The level-0 block these digests make (zero tail) against its digest in level 1.
        private func closeLevel0Block(name: String) throws {
            let digestSize = DMVerity.Parameters.digestSize
            level0 += [UInt8](repeating: 0, count: hash.blockSize - level0.count)
            let computed = try DMVerity.hashing { try hash.hasher.hash(level0) }
            let perBlock = hash.geometry.digestsPerBlock
            let index = (nextBlock - 1) / perBlock
            let start = Int(index) * digestSize
            let expected = hash.geometry.levels.count == 1 ? hash.rootHash[...] : hash.parent[start..<(start + digestSize)]
            guard computed[...] == expected else {
                let first = index * perBlock
                throw DMVerityError.dataBlockRangeMismatch(
                    first: first, last: nextBlock - 1, path: name, offset: first * UInt64(dataBlockSize))
            }
            level0.removeAll(keepingCapacity: true)
        }
    }
}

extension DMVerity.Geometry {
    /// The first entry past `level.digestCount` in the level's last block that is not zero
    /// (veritysetup zeroes the unused tail), or nil.
    func strayDigest(inLastBlockOf level: Level, _ block: ArraySlice<UInt8>) -> UInt64? {
        let used = Int(level.digestCount - (level.blockCount - 1) * digestsPerBlock) * DMVerity.Parameters.digestSize
        let tail = block.dropFirst(used)
        guard let nonZero = tail.firstIndex(where: { $0 != 0 }) else { return nil }
        return level.digestCount + UInt64((nonZero - tail.startIndex) / DMVerity.Parameters.digestSize)
    }
}

extension DMVerity {
    /// Turns a stream of chunks of any size into whole blocks of `size` bytes.
    struct BlockFiller {
        let size: Int
        private var block: [UInt8]

        init(size: Int, starting: [UInt8] = []) {
            self.size = size
            block = starting
            block.reserveCapacity(size)
        }

        /// Appends `bytes`, handing each block that becomes whole to `full`.
        mutating func feed(_ bytes: UnsafeRawBufferPointer, _ full: ([UInt8]) throws -> Void) throws {
            var offset = 0
            while offset < bytes.count {
                let take = min(size - block.count, bytes.count - offset)
                block += bytes[offset..<(offset + take)]
                offset += take
                if block.count == size {
                    try full(block)
                    block.removeAll(keepingCapacity: true)
                }
            }
        }
    }

    /// A level's last block holds a digest past the ones `data_blocks` needs: the block
    /// matched its own digest, so the tree was built for more blocks than the superblock says.
    static func strayDigestError(
        path: String, offset: UInt64, superBlock: SuperBlock, level: Geometry.Level, levelIndex: Int, entry: UInt64
    ) -> DMVerityError {
        let field = SuperBlock.Field.dataBlocks
        return .superBlockField(
            path: path, offset: offset, field: field.name, fieldOffset: field.offset,
            problem: "is \(superBlock.dataBlocks), but tree level \(levelIndex) holds a digest at entry \(entry), past the "
                + "\(level.digestCount) that many blocks need; the superblock does not belong to this tree")
    }
}
