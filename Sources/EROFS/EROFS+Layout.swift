import ContentStore
import FileTree

extension EROFS {
    /// One inode as the writer will lay it out: what it holds, where it sits (nid), which
    /// layout it uses and which data blocks are its.
    struct PlannedInode {
        enum Content {
            /// `.` and `..` included, sorted by name; targets are inode indexes.
            case directory([(name: [UInt8], target: Int)])
            case regular(ContentStore.Ref)
            case symlink([UInt8])
            case special
        }

        var path: String
        var content: Content
        var inode: Inode
        var xattrBody: [UInt8]
        var nid: UInt64 = 0
        /// Tail bytes stored right after the inode and its xattrs (FLAT_INLINE).
        var inlineSize = 0
        /// Whole blocks in the data area, from `startBlock`.
        var dataBlocks: UInt64 = 0
        var startBlock: UInt64 = 0

        /// Byte offset of the inline tail in the image.
        var inlineOffset: Int { Int(nid) * EROFS.inodeSlotSize + inode.byteSize + xattrBody.count }
    }

    /// The whole image, decided before a byte is written.
    struct Plan {
        var inodes: [PlannedInode]
        /// Blocks before the data area: superblock and inodes (with inline tails).
        var metadataBlocks: UInt64
        var totalBlocks: UInt64
        var dataBytes: UInt64
    }

    static func plan(_ tree: FileTree, options: WriteOptions) throws(EROFSError) -> Plan {
        let entries = tree.entries
        var (inodes, indexByPath) = try planInodes(entries, options: options)
        let children = try planNames(entries, tree: tree, inodes: &inodes, indexByPath: indexByPath)
        planDirectories(&inodes, children: children, indexByPath: indexByPath)
        let metadataEnd = placeMetadata(&inodes)
        return try placeData(&inodes, metadataEnd: metadataEnd)
    }

    /// 1. One inode per path that is not a hard link, in sorted path order (root first).
    private static func planInodes(_ entries: [(path: String, node: FileTree.Node)], options: WriteOptions)
        throws(EROFSError) -> (inodes: [PlannedInode], indexByPath: [String: Int])
    {
        var inodes: [PlannedInode] = []
        inodes.reserveCapacity(entries.count)
        var indexByPath: [String: Int] = [:]
        indexByPath.reserveCapacity(entries.count)
        let mtime = UInt64(bitPattern: options.buildTime)
        for (path, node) in entries {
            if case .hardlink = node.kind { continue }
            let type: FileType
            var content = PlannedInode.Content.special
            var rdev: UInt32 = 0
            var size: UInt64 = 0
            switch node.kind {
            case .directory: type = .directory; content = .directory([])
            case let .regular(ref): type = .regular; content = .regular(ref); size = ref.size
            case let .symlink(target):
                type = .symlink
                let bytes = Array(target.utf8)
                guard !bytes.isEmpty, !bytes.contains(0) else {
                    throw .badSymlink(path: path, reason: "target is empty or contains a NUL byte")
                }
                content = .symlink(bytes)
                size = UInt64(bytes.count)
            case let .characterDevice(major, minor):
                type = .characterDevice; rdev = encodeDevice(major: major, minor: minor)
            case let .blockDevice(major, minor):
                type = .blockDevice; rdev = encodeDevice(major: major, minor: minor)
            case .fifo: type = .fifo
            case .socket: type = .socket
            case .hardlink: continue
            }
            let xattrBody = try Xattr.encodeBody(node.xattrs, path: path)
            let inode = Inode(extended: false, layout: DataLayout.flatPlain.rawValue,
                              xattrCount: Xattr.count(bodySize: xattrBody.count),
                              mode: type.modeBits | (node.mode & 0o7777), nlink: 0, size: size,
                              union: rdev, ino: UInt32(truncatingIfNeeded: inodes.count + 1),
                              uid: node.uid, gid: node.gid, mtime: mtime, mtimeNsec: 0)
            indexByPath[path] = inodes.count
            inodes.append(PlannedInode(path: path, content: content, inode: inode, xattrBody: xattrBody))
        }
        return (inodes, indexByPath)
    }

    /// 2. Names: every path but the root is a name in its parent directory.
    private static func planNames(_ entries: [(path: String, node: FileTree.Node)], tree: FileTree,
                                  inodes: inout [PlannedInode], indexByPath: [String: Int])
        throws(EROFSError) -> [[(name: [UInt8], target: Int)]]
    {
        var children = [[(name: [UInt8], target: Int)]](repeating: [], count: inodes.count)
        for (path, node) in entries where path != "/" {
            let name = Array(FileTree.name(of: path).utf8)
            guard name.count <= maximumNameLength else { throw .nameTooLong(path: path, bytes: name.count) }
            let parentPath = FileTree.parent(of: path)
            guard let parent = indexByPath[parentPath], inodes[parent].inode.fileType == .directory else {
                throw .tree("\(path): its parent \(parentPath) is not a directory in the tree")
            }
            var target: Int
            if case let .hardlink(other) = node.kind {
                target = try resolveHardLink(path, to: other, tree: tree, indexByPath: indexByPath)
            } else if let own = indexByPath[path] {
                target = own
            } else {
                throw .tree("\(path): no inode was planned")
            }
            children[parent].append((name, target))
            if inodes[target].inode.fileType == .directory {
                inodes[parent].inode.nlink += 1          // the child's `..`
            } else {
                inodes[target].inode.nlink += 1
            }
        }
        return children
    }

    /// 3. Directory contents, sizes, inode versions.
    private static func planDirectories(_ inodes: inout [PlannedInode], children: [[(name: [UInt8], target: Int)]],
                                        indexByPath: [String: Int]) {
        let blockSize = EROFS.blockSize
        for index in inodes.indices {
            if inodes[index].inode.fileType == .directory {
                let parentPath = FileTree.parent(of: inodes[index].path)
                let parent = indexByPath[parentPath] ?? 0
                var list = children[index]
                list.append((Array(".".utf8), index))
                list.append((Array("..".utf8), parent))
                list.sort { $0.name.lexicographicallyPrecedes($1.name) }
                inodes[index].inode.nlink += 2           // `.` and the name in the parent
                inodes[index].inode.size = Directory.size(nameLengths: list.map(\.name.count), blockSize: blockSize)
                inodes[index].content = .directory(list)
            }
            let i = inodes[index].inode
            inodes[index].inode.extended = i.uid > UInt16.max || i.gid > UInt16.max
                || i.size > UInt32.max || i.nlink > UInt16.max
        }
    }

    /// 4. Metadata area: inodes at 32-byte slots right after the superblock. Returns the
    /// byte offset where the metadata ends.
    private static func placeMetadata(_ inodes: inout [PlannedInode]) -> Int {
        let blockSize = EROFS.blockSize
        var cursor = superBlockOffset + SuperBlock.size
        for index in inodes.indices {
            cursor = alignUp(cursor, inodeSlotSize)
            let header = inodes[index].inode.byteSize + inodes[index].xattrBody.count
            let size = inodes[index].inode.size
            let tail = inodes[index].inode.fileType.hasData ? Int(size % UInt64(blockSize)) : 0
            var inline = false
            if tail > 0 {
                let tailStart = cursor + header
                if tailStart % blockSize + tail <= blockSize {
                    inline = true
                } else {
                    // Shift the inode so that its tail starts the next block (the inode and its
                    // xattrs may straddle the boundary; the inline data may not). Worth it when
                    // the padding wastes less than a data block holding only the tail would.
                    let shifted = alignUp(alignUp(tailStart, blockSize) - header, inodeSlotSize)
                    if (shifted + header) % blockSize + tail <= blockSize, shifted - cursor < blockSize - tail {
                        cursor = shifted
                        inline = true
                    }
                }
            }
            inodes[index].nid = UInt64(cursor / inodeSlotSize)
            if inline {
                inodes[index].inode.layout = DataLayout.flatInline.rawValue
                inodes[index].inlineSize = tail
                inodes[index].dataBlocks = size / UInt64(blockSize)
            } else {
                inodes[index].dataBlocks = (size + UInt64(blockSize) - 1) / UInt64(blockSize)
            }
            cursor += header + (inline ? tail : 0)
        }
        return cursor
    }

    /// 5. Data area: blocks in nid order after the metadata.
    private static func placeData(_ inodes: inout [PlannedInode], metadataEnd cursor: Int) throws(EROFSError) -> Plan {
        let blockSize = EROFS.blockSize
        let metadataBlocks = UInt64(alignUp(cursor, blockSize) / blockSize)
        var next = metadataBlocks
        var dataBytes: UInt64 = 0
        for index in inodes.indices {
            if case let .regular(ref) = inodes[index].content { dataBytes += ref.size }
            guard inodes[index].inode.fileType.hasData else { continue }
            if inodes[index].dataBlocks > 0 { inodes[index].startBlock = next }
            next += inodes[index].dataBlocks
            inodes[index].inode.union = UInt32(truncatingIfNeeded: inodes[index].startBlock)
        }
        guard next <= UInt64(UInt32.max) else { throw .imageTooLarge(blocks: next) }
        guard let root = inodes.first, root.path == "/", root.nid <= UInt64(UInt16.max) else {
            throw .tree("the tree has no root directory")
        }
        return Plan(inodes: inodes, metadataBlocks: metadataBlocks, totalBlocks: next, dataBytes: dataBytes)
    }

    /// The inode index a hard link names, following links to links (at most 40).
    private static func resolveHardLink(_ path: String, to other: String, tree: FileTree,
                                        indexByPath: [String: Int]) throws(EROFSError) -> Int {
        var current = other
        for _ in 0..<40 {
            guard let node = tree[current] else {
                throw .badHardLink(path: path, target: other, reason: "names a path that is not in the tree")
            }
            switch node.kind {
            case let .hardlink(next): current = next
            case .directory:
                throw .badHardLink(path: path, target: other, reason: "names a directory; only files can be hard-linked")
            default:
                guard let index = indexByPath[current] else {
                    throw .badHardLink(path: path, target: other, reason: "has no inode")
                }
                return index
            }
        }
        throw .badHardLink(path: path, target: other, reason: "is a chain of more than 40 hard links (a loop?)")
    }
}

extension EROFS.FileType {
    /// Types whose inode has data (i_u is raw_blkaddr); the others keep rdev there.
    var hasData: Bool { self == .regular || self == .directory || self == .symlink }
}
