import ByteCodec
import Crypto

extension DMVerity {
    /// Recomputes everything and compares, as `veritysetup verify` does, taking the
    /// parameters from the superblock at `hash.offset`. Throws the `DMVerityError` naming
    /// what failed: `superBlockInvalid`, `rootHashMismatch`, `hashBlockMismatch` (level,
    /// index, byte offset) or `dataBlockMismatch` (index, byte offset).
    ///
    /// Checks run top-down, the order the kernel trusts things in: the top block against the
    /// root hash, each level's blocks against the digests in the level above, then the data
    /// blocks (in parallel) against level 0. So a flipped byte is reported where it is: a
    /// corrupt level-0 hash block is a hash block mismatch, not a data block mismatch. The
    /// first failure in each stage is reported (the lowest index). Unused tails of hash
    /// blocks are covered because whole blocks are hashed; the superblock's padding is not
    /// checked, as veritysetup does not check it either.
    public static func verify(data: Region, hash: Region, rootHash: [UInt8], parallelism: Int = defaultParallelism) throws {
        guard rootHash.count == Parameters.digestSize else {
            throw DMVerityError.invalidRootHash(
                "\(rootHash.count) bytes (\(Hex.encode(rootHash))); a SHA-256 root hash is \(Parameters.digestSize) bytes")
        }
        let hashFile = try OpenFile(path: hash.path, writable: false)
        guard hash.length >= UInt64(SuperBlock.size) else {
            throw DMVerityError.superBlockInvalid(
                path: hash.path, offset: hash.offset, reason: "the hash region is only \(hash.length) bytes")
        }
        let superBlock = try SuperBlock(
            decoding: hashFile.read(count: SuperBlock.size, at: hash.offset), path: hash.path, offset: hash.offset)
        let parameters = superBlock.parameters
        do {
            try parameters.validate()
        } catch {
            throw DMVerityError.superBlockInvalid(path: hash.path, offset: hash.offset, reason: "\(error)")
        }
        // Sizes from a hostile superblock are bounded by the data region (and so by the real
        // data file) before anything is computed or allocated from them.
        let (dataBytes, overflow) = superBlock.dataBlocks.multipliedReportingOverflow(by: UInt64(parameters.dataBlockSize))
        guard !overflow, data.length >= dataBytes else {
            throw DMVerityError.dataRegionTooSmall(
                path: data.path, length: data.length, needed: overflow ? UInt64.max : dataBytes)
        }
        let dataFile = try OpenFile(path: data.path, writable: false)
        let geometry = Geometry(dataBlocks: superBlock.dataBlocks, hashBlockSize: parameters.hashBlockSize)
        guard hash.length >= geometry.hashDeviceBytes else {
            throw DMVerityError.hashRegionTooSmall(path: hash.path, length: hash.length, needed: geometry.hashDeviceBytes)
        }
        try checkLayout(data: data, dataFile: dataFile, hashOffset: hash.offset, hashBytes: geometry.hashDeviceBytes, hashFile: hashFile)
        let hashFileSize = try hashFile.status().size
        guard hash.offset <= hashFileSize, hashFileSize - hash.offset >= geometry.hashDeviceBytes else {
            throw DMVerityError.truncated(path: hash.path, offset: hash.offset, needed: geometry.hashDeviceBytes, fileSize: hashFileSize)
        }

        let tree = TreeBuffer(count: Int(geometry.hashDeviceBytes))
        try hashFile.read(into: tree.bytes, at: hash.offset)
        let hasher = try hashing { try SaltedBlockHasher(salt: parameters.salt) }

        // The root: the top block, or the only data block when there is no tree.
        guard let top = geometry.levels.last else {
            let block = try dataFile.read(count: parameters.dataBlockSize, at: data.offset)
            let computed = try hashing { try hasher.hash(block) }
            guard computed == rootHash else {
                throw DMVerityError.rootHashMismatch(
                    expected: Hex.encode(rootHash), computed: Hex.encode(computed),
                    where: "the only data block (at offset \(data.offset) of \(data.path); a one-block device has no tree)")
            }
            return
        }
        let topOffset = geometry.byteOffset(of: top)
        let computedRoot = try hashing { try hasher.hash(UnsafeRawBufferPointer(tree.slice(topOffset, geometry.hashBlockSize))) }
        guard computedRoot == rootHash else {
            throw DMVerityError.rootHashMismatch(
                expected: Hex.encode(rootHash), computed: Hex.encode(computedRoot),
                where: "the top hash block (at offset \(hash.offset + UInt64(topOffset)) of \(hash.path))")
        }

        // Each level against the digests stored in the level above it.
        for levelIndex in stride(from: geometry.levels.count - 1, to: 0, by: -1) {
            let parent = geometry.levels[levelIndex]
            let child = geometry.levels[levelIndex - 1]
            let digestBytes = Int(child.blockCount) * Parameters.digestSize
            let computed = TreeBuffer(count: digestBytes)
            let blocks = tree.slice(geometry.byteOffset(of: child), Int(child.blockCount) * geometry.hashBlockSize)
            try hashing {
                try hasher.hashBlocks(UnsafeRawBufferPointer(blocks), blockSize: geometry.hashBlockSize, into: computed.bytes)
            }
            let stored = tree.slice(geometry.byteOffset(of: parent), digestBytes)
            if let index = firstMismatch(UnsafeRawBufferPointer(computed.slice(0, digestBytes)), UnsafeRawBufferPointer(stored)) {
                throw DMVerityError.hashBlockMismatch(
                    level: levelIndex - 1, index: index, path: hash.path,
                    offset: hash.offset + (child.startBlock + index) * UInt64(geometry.hashBlockSize))
            }
        }

        // The data blocks against level 0.
        let level0 = geometry.levels[0]
        let digestBytes = Int(superBlock.dataBlocks) * Parameters.digestSize
        let computed = TreeBuffer(count: digestBytes)
        try hashDataBlocks(
            file: dataFile, region: data, blockSize: parameters.dataBlockSize, blocks: superBlock.dataBlocks,
            salt: parameters.salt, parallelism: parallelism, output: computed, outputOffset: 0, progress: nil)
        let stored = tree.slice(geometry.byteOffset(of: level0), digestBytes)
        if let index = firstMismatch(UnsafeRawBufferPointer(computed.slice(0, digestBytes)), UnsafeRawBufferPointer(stored)) {
            throw DMVerityError.dataBlockMismatch(
                index: index, path: data.path, offset: data.offset + index * UInt64(parameters.dataBlockSize))
        }
    }
}
