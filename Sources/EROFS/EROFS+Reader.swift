import ByteCodec
import ContentStore
import FileTree

extension EROFS {
    /// Reads an uncompressed image that starts at byte `offset` of a file (so a partition
    /// inside a disk image can be read in place). Every offset taken from the image is checked
    /// against the image's size before it is read; a directory reached twice is a loop.
    public final class Reader {
        public let path: String
        public let offset: UInt64
        public let superBlock: SuperBlock
        let file: InputFile
        /// `blocks × block size`: nothing the image points at may lie beyond this.
        let imageSize: UInt64
        let blockSize: UInt64

        public init(path: String, offset: UInt64 = 0) throws {
            self.path = path
            self.offset = offset
            file = try InputFile(path: path)
            let (superBlockAt, past) = offset.addingReportingOverflow(UInt64(EROFS.superBlockOffset))
            guard !past else {
                throw EROFSError.truncated(path: path, what: "the superblock", needed: UInt64.max, size: file.size)
            }
            let first = try file.read(at: superBlockAt, count: SuperBlock.size, what: "the superblock")
            superBlock = try SuperBlock.decode(first, image: path)
            blockSize = UInt64(superBlock.blockSize)
            // blocks ≤ 2^32 - 1 and the block size ≤ 64 KiB (decode checked), so this fits.
            imageSize = UInt64(superBlock.blocks) * blockSize
            let (end, overflow) = offset.addingReportingOverflow(imageSize)
            guard !overflow, end <= file.size else {
                throw EROFSError.truncated(path: path, what: "\(superBlock.blocks) blocks of \(blockSize) bytes",
                                           needed: overflow ? UInt64.max : end, size: file.size)
            }
            if superBlock.featureCompat & SuperBlock.compatSuperBlockChecksum != 0 {
                let span = max(Int(blockSize) - EROFS.superBlockOffset, SuperBlock.size)
                let bytes = try file.read(at: superBlockAt, count: span, what: "the superblock's checksummed block")
                let computed = CRC32C.superBlockChecksum(bytes)
                guard computed == superBlock.checksum else {
                    throw EROFSError.corrupt(path: path, detail: "superblock checksum is 0x\(String(superBlock.checksum, radix: 16)), the contents give 0x\(String(computed, radix: 16))")
                }
            }
        }

        // MARK: Inodes and their data

        /// Image offset of inode `nid`: meta_blkaddr × block size + nid × 32, checked to leave
        /// room for a compact inode inside the image (any nid from a dirent may be hostile).
        func inodeOffset(_ nid: UInt64) throws(EROFSError) -> UInt64 {
            let meta = UInt64(superBlock.metaBlockAddress) * blockSize  // < 2^48: u32 × ≤ 64 KiB
            let (slot, overflow) = nid.multipliedReportingOverflow(by: UInt64(inodeSlotSize))
            let (start, past) = meta.addingReportingOverflow(slot)
            guard !overflow, !past, start <= imageSize, imageSize - start >= UInt64(Inode.compactSize) else {
                throw .corrupt(path: path, detail: "nid \(nid) lies outside the image (\(imageSize) bytes)")
            }
            return start
        }

        /// Reads `count` bytes at image offset `at`, all within the image.
        func read(at: UInt64, count: Int, what: String) throws(EROFSError) -> [UInt8] {
            let (end, overflow) = at.addingReportingOverflow(UInt64(count))
            guard !overflow, end <= imageSize else {
                throw .corrupt(path: path, detail: "\(what) lies beyond the image's \(imageSize) bytes")
            }
            return try file.read(at: offset + at, count: count, what: what)
        }

        func inode(_ nid: UInt64) throws(EROFSError) -> Inode {
            let at = try inodeOffset(nid)
            let count = at + UInt64(Inode.extendedSize) <= imageSize ? Inode.extendedSize : Inode.compactSize
            let bytes = try read(at: at, count: count, what: "inode nid \(nid)")
            return try Inode.decode(bytes, superBlock: superBlock, nid: nid, image: path)
        }

        /// Where an inode's bytes are: whole blocks from `blockStart`, then an inline tail.
        struct DataMap {
            var blockStart: UInt64
            var blockBytes: UInt64
            var inlineStart: UInt64
            var inlineBytes: UInt64
        }

        func dataMap(_ inode: Inode, nid: UInt64) throws(EROFSError) -> DataMap {
            let size = inode.size
            // Every byte of an uncompressed file lies in the image, so a size past it (an
            // extended inode's i_size may say 2^64 - 1) is corrupt before anything is computed.
            guard size <= imageSize else {
                throw .corrupt(path: path, detail: "nid \(nid): i_size \(size) is larger than the whole image (\(imageSize) bytes)")
            }
            let blockStart = UInt64(inode.union) * blockSize  // < 2^48: u32 × ≤ 64 KiB
            switch inode.layout {
            case DataLayout.flatPlain.rawValue:
                guard size == 0 || (blockStart <= imageSize && size <= imageSize - blockStart) else {
                    throw .corrupt(path: path, detail: "nid \(nid): \(size) data bytes at block \(inode.union) run past the image")
                }
                return DataMap(blockStart: blockStart, blockBytes: size, inlineStart: 0, inlineBytes: 0)
            case DataLayout.flatInline.rawValue:
                let blocks = (size + blockSize - 1) / blockSize
                let blockBytes = blocks == 0 ? 0 : (blocks - 1) * blockSize
                let tail = size - blockBytes
                let inlineStart = try inodeOffset(nid) + UInt64(inode.byteSize + inode.xattrBodySize)
                guard inlineStart % blockSize + tail <= blockSize, inlineStart + tail <= imageSize else {
                    throw .corrupt(path: path, detail: "nid \(nid): inline tail of \(tail) bytes crosses a block boundary")
                }
                guard blockBytes == 0 || (blockStart <= imageSize && blockBytes <= imageSize - blockStart) else {
                    throw .corrupt(path: path, detail: "nid \(nid): \(blockBytes) data bytes at block \(inode.union) run past the image")
                }
                return DataMap(blockStart: blockStart, blockBytes: blockBytes, inlineStart: inlineStart, inlineBytes: tail)
            default:
                throw .unsupported(path: path, what: "nid \(nid): data layout \(inode.layout) (compressed or chunk-based)")
            }
        }

        /// `count` bytes of the inode's data from logical offset `start`.
        func data(_ map: DataMap, from start: UInt64, count: Int, nid: UInt64) throws(EROFSError) -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(count)
            let end = start + UInt64(count)
            if start < map.blockBytes {
                let n = Int(min(end, map.blockBytes) - start)
                out += try read(at: map.blockStart + start, count: n, what: "data of nid \(nid)")
            }
            if end > map.blockBytes {
                let from = max(start, map.blockBytes) - map.blockBytes
                let n = Int(end - map.blockBytes - from)
                out += try read(at: map.inlineStart + from, count: n, what: "inline data of nid \(nid)")
            }
            return out
        }

        func xattrs(_ inode: Inode, nid: UInt64) throws(EROFSError) -> [String: [UInt8]] {
            guard inode.xattrCount > 0 else { return [:] }
            let at = try inodeOffset(nid) + UInt64(inode.byteSize)
            let body = try read(at: at, count: inode.xattrBodySize, what: "xattrs of nid \(nid)")
            return try Xattr.decodeBody(body, nid: nid, image: path) { (id) throws(EROFSError) in
                // Shared xattrs (mkfs.erofs images): id × 4 bytes into the shared area.
                let base = UInt64(superBlock.xattrBlockAddress) * blockSize + UInt64(id) * 4
                let head = try read(at: base, count: Xattr.entryHeaderSize, what: "shared xattr \(id)")
                let fields = ByteReader(head, endianness: .little)
                let nameLength: UInt8, valueSize: UInt16
                do throws(ByteCodecError) {
                    nameLength = try fields.u8(at: 0)  // e_name_len
                    valueSize = try fields.u16(at: 2)  // e_value_size
                } catch {
                    throw EROFSError.corrupt(path: path, detail: "shared xattr \(id): \(error)")
                }
                let length = Xattr.entryHeaderSize + Int(nameLength) + Int(valueSize)
                let entry = try read(at: base, count: length, what: "shared xattr \(id)")
                let (name, value, _) = try Xattr.decodeEntry(entry, at: 0, nid: nid, image: path)
                return (name, value)
            }
        }

        func directoryEntries(_ inode: Inode, nid: UInt64) throws(EROFSError) -> [Directory.Entry] {
            let map = try dataMap(inode, nid: nid)
            var entries: [Directory.Entry] = []
            var position: UInt64 = 0
            while position < inode.size {
                let length = Int(min(blockSize, inode.size - position))
                let block = try data(map, from: position, count: length, nid: nid)
                entries += try Directory.decodeBlock(block, nid: nid, image: path)
                guard entries.count <= Limits.paths else {
                    throw .tooLarge(path: path, what: "directory nid \(nid) has more than \(Limits.paths) entries",
                                    limit: "\(Limits.paths) paths")
                }
                position += UInt64(length)
            }
            return entries
        }
    }
}
