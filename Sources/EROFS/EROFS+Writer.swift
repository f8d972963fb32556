import ContentStore
import FileTree
import Glibc
import SystemIO

extension EROFS {
    /// Writes the image to `path` (created or truncated). Contents stream from the store's
    /// files through one fixed buffer, so memory does not grow with file sizes; only the
    /// metadata area (inodes, xattrs, inline tails) is assembled in memory.
    /// `progress(bytesDone, bytesTotal)` is called after each buffer flush.
    @discardableResult
    public static func write(_ tree: FileTree, store: ContentStore, to path: String, options: WriteOptions,
                             progress: (@Sendable (UInt64, UInt64) -> Void)? = nil) throws -> WriteSummary {
        try write(tree, store: store, to: path, at: nil, limit: nil, options: options, progress: progress)
    }

    /// Writes the image into an existing file at byte `offset` (a partition inside a disk
    /// image), touching nothing outside it. `limit` is the room there: an image that would
    /// not fit is refused before a byte is written (`EROFSError.doesNotFit`).
    public static func write(_ tree: FileTree, store: ContentStore, to path: String, at offset: UInt64?, limit: UInt64?,
                             options: WriteOptions,
                             progress: (@Sendable (UInt64, UInt64) -> Void)? = nil) throws -> WriteSummary {
        guard options.uuid.count == 16 else {
            throw EROFSError.invalidOption("uuid has \(options.uuid.count) bytes; it must have 16")
        }
        let volumeName = Array(options.volumeName.utf8)
        guard volumeName.count <= 16 else {
            throw EROFSError.invalidOption("volume name '\(options.volumeName)' has \(volumeName.count) bytes; at most 16 fit")
        }
        let plan = try plan(tree, options: options)
        let blockSize = UInt64(EROFS.blockSize)
        let imageBytes = plan.totalBlocks * blockSize
        if let limit, imageBytes > limit { throw EROFSError.doesNotFit(bytes: imageBytes, limit: limit) }

        var superBlock = SuperBlock()
        superBlock.rootNid = UInt16(truncatingIfNeeded: plan.inodes[0].nid)
        superBlock.inodeCount = UInt64(plan.inodes.count)
        superBlock.buildTime = UInt64(bitPattern: options.buildTime)
        superBlock.blocks = UInt32(truncatingIfNeeded: plan.totalBlocks)
        superBlock.uuid = options.uuid
        superBlock.volumeNameBytes = volumeName

        var metadata = [UInt8](repeating: 0, count: Int(plan.metadataBlocks * blockSize))
        for (i, byte) in superBlock.encoded().enumerated() { metadata[superBlockOffset + i] = byte }

        let output = try OutputFile(path: path, imageOffset: offset, startingAt: plan.metadataBlocks * blockSize)
        if let progress { output.onFlush = { progress($0, imageBytes) } }

        for planned in plan.inodes {
            let offset = Int(planned.nid) * inodeSlotSize
            planned.inode.encode(into: &metadata, at: offset)
            for (i, byte) in planned.xattrBody.enumerated() { metadata[offset + planned.inode.byteSize + i] = byte }

            switch planned.content {
            case .special:
                continue
            case let .symlink(target):
                try place(target, of: planned, metadata: &metadata, output: output)
            case let .directory(list):
                let entries = list.map {
                    Directory.Entry(name: $0.name, nid: plan.inodes[$0.target].nid,
                                    fileType: plan.inodes[$0.target].inode.fileType)
                }
                try place(Directory.encode(entries, blockSize: Int(blockSize)), of: planned,
                          metadata: &metadata, output: output)
            case let .regular(ref):
                try copyContent(ref, of: planned, store: store, metadata: &metadata, output: output)
            }
        }
        try output.flush()
        guard output.position == imageBytes else {
            throw EROFSError.tree("internal: wrote \(output.position) bytes, planned \(imageBytes)")
        }
        try output.write(metadata, at: 0)
        try output.truncate(to: imageBytes)
        progress?(imageBytes, imageBytes)
        return WriteSummary(imageBytes: imageBytes, blocks: plan.totalBlocks,
                            inodes: UInt64(plan.inodes.count), dataBytes: plan.dataBytes)
    }

    /// Data held in memory (directory blocks, symlink targets): whole blocks to the data
    /// area, the tail inline or padded to a block.
    private static func place(_ data: [UInt8], of planned: PlannedInode, metadata: inout [UInt8],
                              output: OutputFile) throws(EROFSError) {
        try checkPosition(planned, output: output)
        let blockBytes = Int(planned.dataBlocks) * blockSize
        if planned.inlineSize > 0 {
            try output.append(Array(data[0..<blockBytes]))
            let start = planned.inlineOffset
            for i in 0..<planned.inlineSize { metadata[start + i] = data[blockBytes + i] }
        } else {
            try output.append(data)
            try output.appendZeros(blockBytes - data.count)
        }
    }

    private static func copyContent(_ ref: ContentStore.Ref, of planned: PlannedInode, store: ContentStore,
                                    metadata: inout [UInt8], output: OutputFile) throws(EROFSError) {
        guard ref.size > 0 else { return }
        try checkPosition(planned, output: output)
        let sourcePath = store.path(for: ref)
        let source: SystemIO.File
        do {
            source = try Syscall.open(sourcePath, O_RDONLY)
        } catch {
            throw .contentMissing(path: planned.path, content: ref.description)
        }
        let actual = try Syscall.size(source)
        guard actual == ref.size else { throw .contentShort(path: planned.path, expected: ref.size, actual: actual) }

        let blockBytes = planned.dataBlocks * UInt64(blockSize)
        let bodyBytes = planned.inlineSize > 0 ? blockBytes : ref.size
        let copied = try output.append(from: source, count: bodyBytes)
        guard copied == bodyBytes else { throw .contentShort(path: planned.path, expected: ref.size, actual: copied) }
        if planned.inlineSize > 0 {
            let got = try metadata.withUnsafeMutableBytes { raw in
                Result { () throws(EROFSError) -> Int in
                    guard let start = raw.baseAddress else { return 0 }
                    return try Syscall.pread(source, start + planned.inlineOffset, count: planned.inlineSize,
                                             offset: blockBytes)
                }
            }.get()
            guard got == planned.inlineSize else {
                throw .contentShort(path: planned.path, expected: ref.size, actual: blockBytes + UInt64(got))
            }
        } else {
            try output.appendZeros(Int(blockBytes - ref.size))
        }
    }

    /// The data area is written strictly in plan order; a mismatch is a bug, not bad input.
    private static func checkPosition(_ planned: PlannedInode, output: OutputFile) throws(EROFSError) {
        guard planned.dataBlocks == 0 || output.position == planned.startBlock * UInt64(blockSize) else {
            throw .tree("internal: \(planned.path) planned at block \(planned.startBlock), output is at byte \(output.position)")
        }
    }
}
