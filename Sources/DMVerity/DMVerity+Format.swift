import ByteCodec
import Crypto

extension DMVerity {
    /// What `format` produced: everything the kernel table, the verity-sig partition and the
    /// partition UUIDs are derived from.
    public struct FormatResult: Sendable, Equatable {
        /// SHA256(salt ‖ top hash block), or of the only data block when there is one.
        public var rootHash: [UInt8]
        public var dataBlocks: UInt64
        /// Bytes written to the hash region: the superblock block and the tree.
        public var hashBytes: UInt64
        public var parameters: Parameters

        public init(rootHash: [UInt8], dataBlocks: UInt64, hashBytes: UInt64, parameters: Parameters) {
            self.rootHash = rootHash
            self.dataBlocks = dataBlocks
            self.hashBytes = hashBytes
            self.parameters = parameters
        }

        /// The root hash in lowercase hex, as veritysetup prints it.
        public var rootHashHex: String { Hex.encode(rootHash) }
    }

    /// Hashes `data` (length a multiple of the data block size) and writes superblock + tree
    /// at hash.offset (hash.length must be >= hashDeviceSize; bytes beyond are left alone).
    ///
    /// Level 0 (the data blocks) is hashed in parallel across `parallelism` threads reading
    /// with `pread` in 4 MiB chunks; memory is those chunks plus the tree itself (1/128 of
    /// the data with the default sizes). The tree is written with one `pwrite` per call and
    /// not synced: the caller syncs the image once it is complete. The hash file may be
    /// shorter than the region (it is extended), but `data` and `hash` must not overlap.
    ///
    /// - Parameter progress: (data bytes hashed, total data bytes), called from the hashing
    ///   threads one call at a time with growing counts.
    public static func format(
        data: Region, hash: Region, parameters: Parameters, parallelism: Int = defaultParallelism,
        progress: (@Sendable (UInt64, UInt64) -> Void)? = nil
    ) throws -> FormatResult {
        try parameters.validate()
        let blockSize = UInt64(parameters.dataBlockSize)
        guard data.length > 0, data.length % blockSize == 0 else {
            throw DMVerityError.invalidDataSize(length: data.length, dataBlockSize: parameters.dataBlockSize)
        }
        let geometry = Geometry(dataBlocks: data.length / blockSize, hashBlockSize: parameters.hashBlockSize)
        guard hash.length >= geometry.hashDeviceBytes else {
            throw DMVerityError.hashRegionTooSmall(path: hash.path, length: hash.length, needed: geometry.hashDeviceBytes)
        }
        let dataFile = try OpenFile(path: data.path, writable: false)
        let hashFile = try OpenFile(path: hash.path, writable: true)
        try checkLayout(data: data, dataFile: dataFile, hashOffset: hash.offset, hashBytes: geometry.hashDeviceBytes, hashFile: hashFile)

        let tree = TreeBuffer(count: Int(geometry.hashDeviceBytes))
        let superBlock = SuperBlock(parameters: parameters, dataBlocks: geometry.dataBlocks).encoded()
        superBlock.withUnsafeBytes { tree.slice(0, SuperBlock.size).copyMemory(from: $0) }

        // Level 0 goes straight into its place in the tree; a one-block device has no tree,
        // so its single digest (the root hash) goes to a scratch buffer.
        let single = TreeBuffer(count: Parameters.digestSize)
        let (output, outputOffset) = geometry.levels.first.map { (tree, geometry.byteOffset(of: $0)) } ?? (single, 0)
        try hashDataBlocks(
            file: dataFile, region: data, blockSize: parameters.dataBlockSize, blocks: geometry.dataBlocks,
            salt: parameters.salt, parallelism: parallelism, output: output, outputOffset: outputOffset,
            progress: progress)

        let rootHash = try hashUpperLevels(tree: tree, geometry: geometry, salt: parameters.salt)
            ?? Array(single.slice(0, Parameters.digestSize))
        try hashFile.write(UnsafeRawBufferPointer(tree.slice(0, Int(geometry.hashDeviceBytes))), at: hash.offset)
        return FormatResult(
            rootHash: rootHash, dataBlocks: geometry.dataBlocks, hashBytes: geometry.hashDeviceBytes, parameters: parameters)
    }

    /// Fill levels 1 and up from the level below, bottom-up, and return the root hash; nil
    /// when there is no tree. This is 1/128 of the work of level 0, so it runs on one thread.
    private static func hashUpperLevels(tree: TreeBuffer, geometry: Geometry, salt: [UInt8]) throws(DMVerityError) -> [UInt8]? {
        guard let top = geometry.levels.last else { return nil }
        let hasher = try hashing { try SaltedBlockHasher(salt: salt) }
        let blockSize = geometry.hashBlockSize
        for (below, level) in zip(geometry.levels, geometry.levels.dropFirst()) {
            let input = tree.slice(geometry.byteOffset(of: below), Int(below.blockCount) * blockSize)
            let output = tree.slice(geometry.byteOffset(of: level), Int(level.digestCount) * Parameters.digestSize)
            try hashing { try hasher.hashBlocks(UnsafeRawBufferPointer(input), blockSize: blockSize, into: output) }
        }
        let topBlock = tree.slice(geometry.byteOffset(of: top), blockSize)
        return try hashing { try hasher.hash(UnsafeRawBufferPointer(topBlock)) }
    }

    /// The data region must lie inside its file, and must not overlap the hash area when
    /// both are in the same file (a disk image).
    static func checkLayout(
        data: Region, dataFile: OpenFile, hashOffset: UInt64, hashBytes: UInt64, hashFile: OpenFile
    ) throws(DMVerityError) {
        let dataStatus = try dataFile.status()
        let (dataEnd, overflow) = data.offset.addingReportingOverflow(data.length)
        guard !overflow, dataEnd <= dataStatus.size else {
            throw .truncated(path: data.path, offset: data.offset, needed: data.length, fileSize: dataStatus.size)
        }
        let hashStatus = try hashFile.status()
        if dataStatus.identity == hashStatus.identity {
            let (hashEnd, overflow) = hashOffset.addingReportingOverflow(hashBytes)
            if overflow || (data.offset < hashEnd && hashOffset < dataEnd) {
                throw .regionsOverlap(path: data.path)
            }
        }
    }

    /// The device-mapper table line for this tree, in the form `dmsetup create --table` and
    /// the kernel's `dm-mod.create=` take it:
    ///
    ///     0 <sectors> verity 1 <data_dev> <hash_dev> 4096 4096 <data_blocks> 1 sha256 <roothash> <salt>
    ///
    /// The `0 <sectors> verity` prefix (start, length in 512-byte sectors, target) is
    /// included; drop the first three words for the bare target arguments that FORMATS.md
    /// and the kernel's verity.rst show. `hashDevice` is the device whose first block is the
    /// superblock, so the tree starts at hash block 1. An empty salt is written as "-". With
    /// `signatureKeyDescription`, the optional arguments
    /// `2 root_hash_sig_key_desc <key>` make the kernel check the root hash signature
    /// against that key in its keyring.
    public static func kernelTable(
        dataDevice: String, hashDevice: String, result: FormatResult, signatureKeyDescription: String? = nil
    ) -> String {
        let superBlock = SuperBlock(parameters: result.parameters, dataBlocks: result.dataBlocks)
        return "0 \(superBlock.sectors) verity "
            + superBlock.targetArguments(
                dataDevice: dataDevice, hashDevice: hashDevice, rootHash: result.rootHash,
                signatureKeyDescription: signatureKeyDescription)
    }
}

extension DMVerity.SuperBlock {
    /// The data device's length in 512-byte sectors: the table's length.
    public var sectors: UInt64 { dataBytes / 512 }

    /// The verity target's arguments (the kernel's verity.rst), without the table's
    /// `0 <sectors> verity` prefix: what an initrd passes to DM_TABLE_LOAD for this hash
    /// device.
    public func targetArguments(
        dataDevice: String, hashDevice: String, rootHash: [UInt8], signatureKeyDescription: String? = nil
    ) -> String {
        var words: [String] = [
            "\(hashType)", dataDevice, hashDevice, "\(dataBlockSize)", "\(hashBlockSize)", "\(dataBlocks)", "1", algorithm,
            Hex.encode(rootHash), salt.isEmpty ? "-" : Hex.encode(salt),
        ]
        if let key = signatureKeyDescription {
            words += ["2", "root_hash_sig_key_desc", key]
        }
        return words.joined(separator: " ")
    }
}
