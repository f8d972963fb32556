extension EROFS.Reader {
    /// What a reader holds in memory at most, whatever the image says, so the listing of a
    /// hostile image is bounded by these constants and not by the image (a directory entry
    /// costs 12 bytes of image but a whole path in memory, and a deep tree makes every path
    /// long). A Debian root has about 10^5 paths of about 60 bytes.
    public enum Limits {
        /// Paths one walk returns (2^22).
        public static let paths = 1 << 22
        /// Bytes of one path, with its leading "/" (PATH_MAX, 4096).
        public static let pathBytes = 4096
        /// Bytes of all paths of one walk together (256 MiB).
        public static let totalPathBytes = 1 << 28
    }

    struct Visited {
        var path: String
        var nid: UInt64
        var inode: EROFS.Inode
    }

    /// Every path with its inode, sorted bytewise by path; at most `Limits.paths` of them.
    func walk() throws(EROFSError) -> [Visited] {
        let rootNid = UInt64(superBlock.rootNid)
        let root = try inode(rootNid)
        guard root.fileType == .directory else {
            throw .corrupt(path: path, detail: "root nid \(rootNid) is not a directory")
        }
        var result: [Visited] = []
        var budget = Budget(image: path)
        var seenDirectories: Set<UInt64> = [rootNid]
        var pending = [(Visited(path: "/", nid: rootNid, inode: root), parent: rootNid)]
        while let (directory, parentNid) = pending.popLast() {
            result.append(directory)
            for entry in try directoryEntries(directory.inode, nid: directory.nid) {
                guard try checkDotEntry(entry, in: directory, parent: parentNid) else { continue }
                let childPath = try budget.childPath(entry.name, in: directory.path)
                let child = try inode(entry.nid)
                guard child.fileType == entry.fileType else {
                    throw .corrupt(path: path, detail: "\(childPath): the dirent says type \(entry.fileType.rawValue), nid \(entry.nid) has type \(child.fileType.rawValue)")
                }
                let visited = Visited(path: childPath, nid: entry.nid, inode: child)
                if child.fileType == .directory {
                    guard seenDirectories.insert(entry.nid).inserted else {
                        throw .directoryLoop(path: childPath, nid: entry.nid)
                    }
                    pending.append((visited, directory.nid))
                } else {
                    result.append(visited)
                }
            }
        }
        return result.sorted { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }
    }

    /// False for "." and ".." after checking they name the directory and its parent; true
    /// for any other name, after checking it holds no '/' or NUL.
    private func checkDotEntry(_ entry: EROFS.Directory.Entry, in directory: Visited, parent: UInt64) throws(EROFSError) -> Bool {
        if entry.name == [0x2e] {
            guard entry.nid == directory.nid else {
                throw .corrupt(path: path, detail: "\(directory.path): '.' names nid \(entry.nid), not the directory's own \(directory.nid)")
            }
            return false
        }
        if entry.name == [0x2e, 0x2e] {
            guard entry.nid == parent else {
                throw .corrupt(path: path, detail: "\(directory.path): '..' names nid \(entry.nid), not the parent's \(parent)")
            }
            return false
        }
        guard !entry.name.contains(0x2f), !entry.name.contains(0) else {
            throw .corrupt(path: path, detail: "\(directory.path): a name contains '/' or NUL")
        }
        return true
    }

    /// Counts what a walk has taken and refuses to go past `Limits`.
    private struct Budget {
        let image: String
        var paths = 1
        var bytes = 1

        /// `parent/name`, once it fits every limit.
        mutating func childPath(_ name: [UInt8], in parent: String) throws(EROFSError) -> String {
            let length = (parent == "/" ? 0 : parent.utf8.count) + 1 + name.count
            guard length <= Limits.pathBytes else {
                throw .tooLarge(path: image, what: "a path under \(parent.prefix(200)) is \(length) bytes long",
                                limit: "\(Limits.pathBytes) bytes per path")
            }
            paths += 1
            bytes += length
            guard paths <= Limits.paths else {
                throw .tooLarge(path: image, what: "the tree has more than \(Limits.paths) paths", limit: "\(Limits.paths) paths")
            }
            guard bytes <= Limits.totalPathBytes else {
                throw .tooLarge(path: image, what: "the paths take more than \(Limits.totalPathBytes) bytes",
                                limit: "\(Limits.totalPathBytes) bytes of paths")
            }
            let text = String(decoding: name, as: UTF8.self)
            return parent == "/" ? "/" + text : parent + "/" + text
        }
    }

    /// Every path with its metadata, contents not read.
    public func listing() throws -> [EROFS.Entry] {
        try walk().map { (item) throws(EROFSError) -> EROFS.Entry in
            let inode = item.inode
            guard let kind = inode.fileType.entryKind else {
                throw .corrupt(path: path, detail: "\(item.path): unknown file type")
            }
            var entry = EROFS.Entry(path: item.path, kind: kind, mode: inode.mode & 0o7777, uid: inode.uid,
                                    gid: inode.gid, size: inode.size, mtime: Int64(bitPattern: inode.mtime),
                                    nlink: inode.nlink, nid: item.nid, xattrs: try xattrs(inode, nid: item.nid))
            switch inode.fileType {
            case .symlink: entry.symlinkTarget = try symlinkTarget(inode, nid: item.nid)
            case .characterDevice, .blockDevice:
                (entry.deviceMajor, entry.deviceMinor) = EROFS.decodeDevice(inode.union)
            default: break
            }
            if kind != .regular && kind != .directory && kind != .symlink { entry.size = 0 }
            return entry
        }
    }

    func symlinkTarget(_ inode: EROFS.Inode, nid: UInt64) throws(EROFSError) -> String {
        guard inode.size > 0, inode.size <= 4096 else {
            throw .corrupt(path: path, detail: "nid \(nid): symlink target of \(inode.size) bytes (1 to 4096 are valid)")
        }
        let bytes = try data(dataMap(inode, nid: nid), from: 0, count: Int(inode.size), nid: nid)
        return String(decoding: bytes, as: UTF8.self)
    }
}
