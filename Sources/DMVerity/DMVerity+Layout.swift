extension DMVerity {
    /// A hash partition's superblock checked against the partitions it describes: the one
    /// computation every reader of a verity partition shares (`verify`, `hostimg sign`,
    /// `hostimg inspect`), so none multiplies or compares sizes from the superblock itself.
    public struct CheckedLayout: Sendable, Equatable {
        public var superBlock: SuperBlock
        /// The data the tree covers: the first `data_blocks` × `data_block_size` bytes of the
        /// data partition.
        public var data: Region
        /// The superblock block and the tree: the first bytes of the hash partition.
        public var hash: Region
    }

    /// Reads the superblock at the start of `hashPartition` and checks it against both
    /// partitions before anything is computed from it:
    ///
    /// - every field as veritysetup checks it, and SHA-256 with hash type 1 (what is written);
    /// - `data_blocks` × `data_block_size` fits the data partition (a larger value is the
    ///   superblock's fault, reported as field `data_blocks`, not as corrupt data);
    /// - the tree those blocks need fits the hash partition;
    /// - both regions lie inside their files, and do not overlap when they share one.
    ///
    /// The superblock is covered by no hash, so every size in it is treated as hostile.
    public static func checkedLayout(dataPartition: Region, hashPartition: Region) throws(DMVerityError) -> CheckedLayout {
        guard hashPartition.length >= UInt64(SuperBlock.size) else {
            throw .superBlockInvalid(
                path: hashPartition.path, offset: hashPartition.offset,
                reason: "the hash region is only \(hashPartition.length) bytes; a superblock is \(SuperBlock.size)")
        }
        let hashFile = try OpenFile(path: hashPartition.path, writable: false)
        let superBlock = try SuperBlock(
            decoding: hashFile.read(count: SuperBlock.size, at: hashPartition.offset),
            path: hashPartition.path, offset: hashPartition.offset)
        func inconsistent(_ field: SuperBlock.Field, _ problem: String) -> DMVerityError {
            .superBlockField(path: hashPartition.path, offset: hashPartition.offset, field: field.name,
                             fieldOffset: field.offset, problem: problem)
        }
        guard superBlock.hashType == 1 else {
            throw inconsistent(.hashType, "is \(superBlock.hashType); only type 1 (salt before each block) is supported")
        }
        guard superBlock.algorithm == "sha256" else {
            throw inconsistent(.algorithm, "is \"\(superBlock.algorithm.prefix(32))\"; only sha256 is supported")
        }
        let dataBytes = superBlock.dataBytes
        guard dataBytes <= dataPartition.length else {
            throw inconsistent(
                .dataBlocks,
                "is \(superBlock.dataBlocks): \(superBlock.dataBlocks) blocks of \(superBlock.dataBlockSize) bytes are "
                    + "\(dataBytes) bytes, more than the \(dataPartition.length)-byte data partition at byte "
                    + "\(dataPartition.offset) of \(dataPartition.path); the superblock is corrupt or belongs to another root")
        }
        let geometry = Geometry(dataBlocks: superBlock.dataBlocks, hashBlockSize: Int(superBlock.hashBlockSize))
        guard geometry.hashDeviceBytes <= hashPartition.length else {
            throw inconsistent(
                .dataBlocks,
                "is \(superBlock.dataBlocks): their tree needs \(geometry.hashDeviceBytes) bytes, more than the "
                    + "\(hashPartition.length)-byte hash partition; the superblock is corrupt or belongs to another root")
        }
        let data = Region(path: dataPartition.path, offset: dataPartition.offset, length: dataBytes)
        let dataFile = try OpenFile(path: data.path, writable: false)
        try checkLayout(data: data, dataFile: dataFile, hashOffset: hashPartition.offset,
                        hashBytes: geometry.hashDeviceBytes, hashFile: hashFile)
        let hashFileSize = try hashFile.status().size
        guard hashPartition.offset <= hashFileSize, hashFileSize - hashPartition.offset >= geometry.hashDeviceBytes else {
            throw .truncated(path: hashPartition.path, offset: hashPartition.offset, needed: geometry.hashDeviceBytes,
                             fileSize: hashFileSize)
        }
        return CheckedLayout(
            superBlock: superBlock, data: data,
            hash: Region(path: hashPartition.path, offset: hashPartition.offset, length: geometry.hashDeviceBytes))
    }
}
