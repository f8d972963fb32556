import ByteCodec

extension EROFS {
    /// Data layouts (`i_format` bits 1-3).
    enum DataLayout: UInt8 {
        case flatPlain = 0      // EROFS_INODE_FLAT_PLAIN: whole blocks from raw_blkaddr
        case flatInline = 2     // EROFS_INODE_FLAT_INLINE: blocks, then the tail after the inode
    }

    /// `EROFS_FT_*`: the dirent file type.
    enum FileType: UInt8 {
        case unknown = 0, regular = 1, directory = 2, characterDevice = 3, blockDevice = 4
        case fifo = 5, socket = 6, symlink = 7

        init(mode: UInt16) {
            switch mode & 0o170000 {
            case 0o100000: self = .regular
            case 0o040000: self = .directory
            case 0o020000: self = .characterDevice
            case 0o060000: self = .blockDevice
            case 0o010000: self = .fifo
            case 0o140000: self = .socket
            case 0o120000: self = .symlink
            default: self = .unknown
            }
        }

        /// The `S_IFMT` bits.
        var modeBits: UInt16 {
            switch self {
            case .regular: return 0o100000
            case .directory: return 0o040000
            case .characterDevice: return 0o020000
            case .blockDevice: return 0o060000
            case .fifo: return 0o010000
            case .socket: return 0o140000
            case .symlink: return 0o120000
            case .unknown: return 0
            }
        }
    }

    /// The kernel's `new_encode_dev`, as erofs-utils stores `i_u.rdev`:
    /// minor bits 0-7, major bits 8-19, minor bits 8-19 in bits 20-31.
    static func encodeDevice(major: UInt32, minor: UInt32) -> UInt32 {
        (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12)
    }

    /// `new_decode_dev`.
    static func decodeDevice(_ rdev: UInt32) -> (major: UInt32, minor: UInt32) {
        ((rdev & 0xfff00) >> 8, (rdev & 0xff) | ((rdev >> 12) & 0xfff00))
    }

    /// An on-disk inode, compact or extended.
    ///
    /// `struct erofs_inode_compact` (32 bytes):
    /// ```
    ///  0 i_format u16   2 i_xattr_icount u16   4 i_mode u16   6 i_nlink u16
    ///  8 i_size u32    12 i_reserved u32 (newer: i_mtime, seconds after the sb epoch)
    /// 16 i_u u32 (raw_blkaddr | rdev)   20 i_ino u32   24 i_uid u16   26 i_gid u16
    /// 28 i_reserved2 u32
    /// ```
    /// `struct erofs_inode_extended` (64 bytes):
    /// ```
    ///  0 i_format u16   2 i_xattr_icount u16   4 i_mode u16   6 i_reserved u16
    ///  8 i_size u64    16 i_u u32   20 i_ino u32   24 i_uid u32   28 i_gid u32
    /// 32 i_mtime u64   40 i_mtime_nsec u32   44 i_nlink u32   48 i_reserved2[16]
    /// ```
    struct Inode: Equatable {
        static let compactSize = 32
        static let extendedSize = 64

        var extended: Bool
        var layout: UInt8          // i_format >> 1 & 7
        var xattrCount: UInt16     // i_xattr_icount
        var mode: UInt16           // i_mode, with the S_IFMT bits
        var nlink: UInt32          // i_nlink
        var size: UInt64           // i_size
        var union: UInt32          // i_u: raw_blkaddr, or rdev for devices/fifos/sockets
        var ino: UInt32            // i_ino
        var uid: UInt32            // i_uid
        var gid: UInt32            // i_gid
        var mtime: UInt64          // i_mtime (extended) or superblock time + compact i_mtime
        var mtimeNsec: UInt32      // i_mtime_nsec

        var byteSize: Int { extended ? Self.extendedSize : Self.compactSize }

        /// `erofs_xattr_ibody_size`: 12-byte header plus (icount - 1) × 4.
        var xattrBodySize: Int { xattrCount == 0 ? 0 : 12 + 4 * (Int(xattrCount) - 1) }

        var fileType: FileType { FileType(mode: mode) }

        func encode(into b: inout [UInt8], at o: Int) {
            let format = UInt16(extended ? 1 : 0) | UInt16(layout) << 1
            b.setInteger(format, at: o, endianness: .little)
            b.setInteger(xattrCount, at: o + 2, endianness: .little)
            b.setInteger(mode, at: o + 4, endianness: .little)
            if extended {
                b.setInteger(size, at: o + 8, endianness: .little)
                b.setInteger(union, at: o + 16, endianness: .little)
                b.setInteger(ino, at: o + 20, endianness: .little)
                b.setInteger(uid, at: o + 24, endianness: .little)
                b.setInteger(gid, at: o + 28, endianness: .little)
                b.setInteger(mtime, at: o + 32, endianness: .little)
                b.setInteger(mtimeNsec, at: o + 40, endianness: .little)
                b.setInteger(nlink, at: o + 44, endianness: .little)
            } else {
                // Compact: mtime comes from the superblock, so i_reserved (i_mtime) stays 0.
                b.setInteger(UInt16(truncatingIfNeeded: nlink), at: o + 6, endianness: .little)
                b.setInteger(UInt32(truncatingIfNeeded: size), at: o + 8, endianness: .little)
                b.setInteger(union, at: o + 16, endianness: .little)
                b.setInteger(ino, at: o + 20, endianness: .little)
                b.setInteger(UInt16(truncatingIfNeeded: uid), at: o + 24, endianness: .little)
                b.setInteger(UInt16(truncatingIfNeeded: gid), at: o + 26, endianness: .little)
            }
        }

        /// `EROFS_I_NLINK_1_BIT` (newer kernels): a compact non-directory inode with nlink 1.
        static let nlinkOneBit: UInt16 = 1 << 4

        /// Decodes from `b` (at least 32 bytes; 64 when the version bit says extended).
        static func decode(_ b: [UInt8], superBlock: SuperBlock, nid: UInt64,
                           image: String) throws(EROFSError) -> Inode {
            let fields = ByteReader(b, endianness: .little)
            let format: UInt16
            do throws(ByteCodecError) { format = try fields.u16(at: 0) } catch {
                throw .corrupt(path: image, detail: "nid \(nid): \(error)")
            }
            let extended = format & 1 == 1
            guard format & ~0x1f == 0 else {
                throw .corrupt(path: image, detail: "nid \(nid): unknown inode format bits 0x\(String(format, radix: 16))")
            }
            if extended && b.count < extendedSize {
                throw .truncated(path: image, what: "extended inode nid \(nid)", needed: 0, size: UInt64(b.count))
            }
            let inode: Inode
            do throws(ByteCodecError) {
                inode = try decodeFields(fields, format: format, superBlock: superBlock)
            } catch {
                throw .corrupt(path: image, detail: "nid \(nid): \(error)")
            }
            guard inode.fileType != .unknown else {
                throw .corrupt(path: image, detail: "nid \(nid): mode 0o\(String(inode.mode, radix: 8)) has no valid file type")
            }
            return inode
        }

        /// The fields after `i_format`, in the compact or extended layout its version bit names.
        private static func decodeFields(_ fields: ByteReader, format: UInt16,
                                         superBlock: SuperBlock) throws(ByteCodecError) -> Inode {
            let extended = format & 1 == 1
            let layout = UInt8((format >> 1) & 0x7)
            let mode = try fields.u16(at: 4)
            var inode = Inode(extended: extended, layout: layout,
                              xattrCount: try fields.u16(at: 2), mode: mode,
                              nlink: 0, size: 0, union: try fields.u32(at: 16),
                              ino: try fields.u32(at: 20), uid: 0, gid: 0,
                              mtime: superBlock.buildTime, mtimeNsec: superBlock.buildTimeNsec)
            if extended {
                inode.size = try fields.u64(at: 8)
                inode.uid = try fields.u32(at: 24)
                inode.gid = try fields.u32(at: 28)
                inode.mtime = try fields.u64(at: 32)
                inode.mtimeNsec = try fields.u32(at: 40)
                inode.nlink = try fields.u32(at: 44)
            } else {
                let nlinkOne = format & nlinkOneBit != 0 && FileType(mode: mode) != .directory
                inode.nlink = nlinkOne ? 1 : UInt32(try fields.u16(at: 6))
                inode.size = UInt64(try fields.u32(at: 8))
                inode.mtime = superBlock.buildTime &+ UInt64(try fields.u32(at: 12))
                inode.uid = UInt32(try fields.u16(at: 24))
                inode.gid = UInt32(try fields.u16(at: 26))
            }
            return inode
        }
    }
}
