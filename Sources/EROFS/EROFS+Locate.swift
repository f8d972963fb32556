extension EROFS.Reader {
    /// What lies at byte `offset` of the image (relative to its start): the superblock, a
    /// path's inode (with its xattrs and inline tail) or data blocks, or other metadata. For
    /// `hostimg build --verify`, to name the file two builds disagree about.
    public func locate(_ offset: UInt64) throws -> String {
        let superBlockStart = UInt64(EROFS.superBlockOffset)
        if offset < superBlockStart { return "the area before the superblock" }
        if offset < superBlockStart + UInt64(EROFS.SuperBlock.size) { return "the superblock" }
        for item in try walk() {
            let inodeStart = try inodeOffset(item.nid)
            let map = try dataMap(item.inode, nid: item.nid)
            if map.blockBytes > 0, offset >= map.blockStart, offset - map.blockStart < map.blockBytes {
                return "the data of \(item.path) (byte \(offset - map.blockStart) of it)"
            }
            let inodeEnd = inodeStart + UInt64(item.inode.byteSize + item.inode.xattrBodySize) + map.inlineBytes
            if offset >= inodeStart, offset < inodeEnd {
                return offset >= map.inlineStart && map.inlineBytes > 0
                    ? "the inline data of \(item.path) (byte \(offset - map.inlineStart) of its tail)"
                    : "the inode of \(item.path) (its metadata: mode, owner, times, size, xattrs)"
            }
        }
        return "file-system metadata outside every inode and data block (a directory's entries or free space)"
    }
}
