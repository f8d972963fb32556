/// EROFS, uncompressed: a writer from a `FileTree` and a reader back to one.
///
/// Layout this writer produces (4 KiB blocks, `meta_blkaddr` 0, no shared xattrs):
///
/// ```
/// block 0                     block 1 ...                      block D ...          block N-1
/// +--------+------------+--------------------------------------+--------------------------+
/// | 1 KiB  | superblock | inodes by nid (32-byte slots):        | data blocks, in nid order |
/// | zeros  | 128 B      | inode (32/64 B) + xattr ibody +       | (regular files, directory |
/// |        | @1024      | inline tail (FLAT_INLINE), next inode | blocks, long symlinks),   |
/// |        |            | at the next 32-byte boundary ...      | each padded to a block    |
/// +--------+------------+--------------------------------------+--------------------------+
/// nid = byte offset / 32   (the root is the first inode: nid 36, right after the superblock)
/// ```
///
/// - Nids follow sorted path order (root first); a hard link shares its target's nid.
/// - Every inode's mtime is the build time: compact inodes (32 B) take it from the superblock,
///   extended inodes (64 B, for ids > 65535, sizes > 4 GiB, nlink > 65535) store it.
/// - FLAT_INLINE packs the tail (`size % 4096`) right after the inode and its xattrs when it
///   fits without crossing a block boundary, possibly after a little padding; otherwise the
///   inode is FLAT_PLAIN and the tail takes a whole data block (whichever wastes less).
/// - Directories hold `.` and `..`; each directory block holds 12-byte dirents sorted by name,
///   then the names, and no name crosses a block.
///
/// Field layouts follow erofs-utils `include/erofs_fs.h` (v1.5 and current) and the kernel's
/// `fs/erofs/erofs_fs.h`.
public enum EROFS {}

extension EROFS {
    /// `EROFS_SUPER_MAGIC_V1`.
    public static let magic: UInt32 = 0xE0F5_E1E2
    /// `EROFS_SUPER_OFFSET`: room for x86 boot sectors before the superblock.
    public static let superBlockOffset = 1024
    /// log2 of the block size the writer uses (4 KiB).
    public static let blockSizeBits: UInt8 = 12
    public static let blockSize = 1 << 12
    /// Inode slots are 32-byte aligned; nid × 32 is an inode's offset in the metadata area.
    static let inodeSlotSize = 32
    /// `EROFS_NAME_LEN`.
    public static let maximumNameLength = 255

    public struct WriteOptions: Sendable {
        /// Superblock `build_time`; every inode's mtime is this value (the tree's mtimes are
        /// ignored, as in the deterministic tar writer).
        public var buildTime: Int64
        /// Superblock `uuid`, 16 bytes.
        public var uuid: [UInt8]
        /// Superblock `volume_name`, at most 16 bytes of UTF-8.
        public var volumeName: String

        public init(buildTime: Int64, uuid: [UInt8], volumeName: String = "") {
            self.buildTime = buildTime
            self.uuid = uuid
            self.volumeName = volumeName
        }
    }

    public struct WriteSummary: Sendable, Codable, Equatable {
        /// File size written, a multiple of 4096.
        public var imageBytes: UInt64
        public var blocks: UInt64
        public var inodes: UInt64
        /// Regular-file content bytes (each inode counted once).
        public var dataBytes: UInt64

        public init(imageBytes: UInt64, blocks: UInt64, inodes: UInt64, dataBytes: UInt64) {
            self.imageBytes = imageBytes
            self.blocks = blocks
            self.inodes = inodes
            self.dataBytes = dataBytes
        }
    }
}
