import ByteCodec

/// The few fields of an ext4 super block the preserved region needs: is there an ext4 file
/// system, and can it be mounted with DAX (its blocks must be the page size). Everything is
/// little-endian (the kernel's `struct ext4_super_block`, fs/ext4/ext4.h):
///
/// ```
/// device byte 1024  super block (1024 bytes)
///   +24  __le32 s_log_block_size   block size = 1024 << s_log_block_size
///   +56  __le16 s_magic            0xEF53 (EXT4_SUPER_MAGIC; ext2 and ext3 share it)
///   +120 char   s_volume_name[16]  the label, NUL-padded
/// ```
public struct Ext4SuperBlock: Sendable, Equatable {
    /// Where the super block starts on the device, and how much of it is read.
    public static let offset: UInt64 = 1024
    public static let size = 1024
    public static let magic: UInt16 = 0xEF53

    public var blockSize: UInt64
    public var label: String

    /// nil when `bytes` (read at `offset`) carry no ext4 magic, or are too short to.
    public init?(_ bytes: [UInt8]) {
        let reader = ByteReader(bytes, endianness: .little)
        guard let magic = try? reader.u16(at: 56), magic == Self.magic,
              let logBlockSize = try? reader.u32(at: 24),
              let name = try? reader.bytes(at: 120, count: 16) else { return nil }
        // A shift past 16 (64 MiB blocks) is no file system the kernel mounts; keep it
        // representable and let the caller refuse it as "not the page size".
        blockSize = logBlockSize < 32 ? UInt64(1024) << UInt64(logBlockSize) : 0
        label = String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)
    }
}
