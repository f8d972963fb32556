import ContentStore
import FileTree

extension EROFS.Reader {
    /// Every path with its metadata; regular files become `.regular(Ref)` after their content
    /// is hashed into `store`. Of several names for one inode, the bytewise-first path holds
    /// the content and the others are `.hardlink(thatPath)`.
    public func fileTree(store: ContentStore) throws -> FileTree {
        var tree = FileTree()
        var firstPath: [UInt64: String] = [:]
        for item in try walk() {
            let inode = item.inode
            let kind: FileTree.Node.Kind
            if inode.fileType != .directory, let first = firstPath[item.nid] {
                kind = .hardlink(first)
            } else {
                firstPath[item.nid] = item.path
                switch inode.fileType {
                case .directory: kind = .directory
                case .regular: kind = .regular(try storeContent(inode, nid: item.nid, store: store))
                case .symlink: kind = .symlink(try symlinkTarget(inode, nid: item.nid))
                case .characterDevice:
                    let (major, minor) = EROFS.decodeDevice(inode.union)
                    kind = .characterDevice(major: major, minor: minor)
                case .blockDevice:
                    let (major, minor) = EROFS.decodeDevice(inode.union)
                    kind = .blockDevice(major: major, minor: minor)
                case .fifo: kind = .fifo
                case .socket: kind = .socket
                case .unknown:
                    throw EROFSError.corrupt(path: path, detail: "\(item.path): unknown file type")
                }
            }
            let node = FileTree.Node(kind, mode: inode.mode & 0o7777, uid: inode.uid, gid: inode.gid,
                                     mtime: Int64(bitPattern: inode.mtime), xattrs: try xattrs(inode, nid: item.nid))
            do {
                try tree.insert(node, at: item.path)
            } catch {
                throw EROFSError.tree("\(item.path): \(error)")
            }
        }
        return tree
    }

    /// Streams a regular file's content into the store, 1 MiB at a time.
    private func storeContent(_ inode: EROFS.Inode, nid: UInt64, store: ContentStore) throws -> ContentStore.Ref {
        let map = try dataMap(inode, nid: nid)
        let chunk: UInt64 = 1 << 20
        return try store.put { write in
            var position: UInt64 = 0
            while position < inode.size {
                let count = Int(min(chunk, inode.size - position))
                try write(try data(map, from: position, count: count, nid: nid))
                position += UInt64(count)
            }
        }
    }
}
