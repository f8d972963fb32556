import ByteCodec

extension EROFS {
    /// `struct erofs_super_block`: 128 bytes at byte 1024 of the image, little-endian.
    ///
    /// ```
    ///   0 magic u32            4 checksum u32          8 feature_compat u32
    ///  12 blkszbits u8        13 sb_extslots u8       14 root_nid u16
    ///  16 inos u64            24 build_time u64 (newer headers: epoch)
    ///  32 build_time_nsec u32 (fixed_nsec)            36 blocks u32
    ///  40 meta_blkaddr u32    44 xattr_blkaddr u32    48 uuid[16]     64 volume_name[16]
    ///  80 feature_incompat u32  84 available_compr_algs u16  86 extra_devices u16
    ///  88 devt_slotoff u16    90 dirblkbits u8 (newer)  91..127 reserved (zero)
    /// ```
    public struct SuperBlock: Sendable, Equatable, Codable {
        public static let size = 128

        /// `EROFS_FEATURE_COMPAT_SB_CHKSUM`: `checksum` is crc32c of the first block from 1024.
        public static let compatSuperBlockChecksum: UInt32 = 0x1
        /// `EROFS_FEATURE_COMPAT_MTIME`: extended inodes carry their own mtime (informational).
        public static let compatMtime: UInt32 = 0x2
        /// `EROFS_FEATURE_INCOMPAT_LZ4_0PADDING`: only affects compressed data, harmless here.
        public static let incompatZeroPadding: UInt32 = 0x1

        public var checksum: UInt32 = 0            // checksum
        public var featureCompat: UInt32 = 0       // feature_compat
        public var blockSizeBits: UInt8 = EROFS.blockSizeBits  // blkszbits
        public var extraSlots: UInt8 = 0           // sb_extslots
        public var rootNid: UInt16 = 0             // root_nid
        public var inodeCount: UInt64 = 0          // inos
        public var buildTime: UInt64 = 0           // build_time (epoch)
        public var buildTimeNsec: UInt32 = 0       // build_time_nsec (fixed_nsec)
        public var blocks: UInt32 = 0              // blocks
        public var metaBlockAddress: UInt32 = 0    // meta_blkaddr
        public var xattrBlockAddress: UInt32 = 0   // xattr_blkaddr
        public var uuid: [UInt8] = Array(repeating: 0, count: 16)        // uuid[16]
        public var volumeNameBytes: [UInt8] = Array(repeating: 0, count: 16)  // volume_name[16]
        public var featureIncompat: UInt32 = 0     // feature_incompat
        public var extraDevices: UInt16 = 0        // extra_devices
        public var directoryBlockBits: UInt8 = 0   // dirblkbits (0: directory blocks = blocks)

        public init() {}

        public var blockSize: Int { 1 << Int(blockSizeBits) }

        /// The volume name up to its first NUL.
        public var volumeName: String {
            String(decoding: volumeNameBytes.prefix { $0 != 0 }, as: UTF8.self)
        }

        /// The 128 bytes, to be placed at byte 1024.
        public func encoded() -> [UInt8] {
            var b = [UInt8](repeating: 0, count: Self.size)
            b.setInteger(EROFS.magic, at: 0, endianness: .little)
            b.setInteger(checksum, at: 4, endianness: .little)
            b.setInteger(featureCompat, at: 8, endianness: .little)
            b[12] = blockSizeBits
            b[13] = extraSlots
            b.setInteger(rootNid, at: 14, endianness: .little)
            b.setInteger(inodeCount, at: 16, endianness: .little)
            b.setInteger(buildTime, at: 24, endianness: .little)
            b.setInteger(buildTimeNsec, at: 32, endianness: .little)
            b.setInteger(blocks, at: 36, endianness: .little)
            b.setInteger(metaBlockAddress, at: 40, endianness: .little)
            b.setInteger(xattrBlockAddress, at: 44, endianness: .little)
            for i in 0..<16 { b[48 + i] = i < uuid.count ? uuid[i] : 0 }
            for i in 0..<16 { b[64 + i] = i < volumeNameBytes.count ? volumeNameBytes[i] : 0 }
            b.setInteger(featureIncompat, at: 80, endianness: .little)
            b.setInteger(extraDevices, at: 86, endianness: .little)
            b[90] = directoryBlockBits
            return b
        }

        /// Decodes and validates the 128 bytes found at byte 1024 (`image` names the file in errors).
        public static func decode(_ b: [UInt8], image: String) throws(EROFSError) -> SuperBlock {
            guard b.count >= size else {
                throw .truncated(path: image, what: "the superblock", needed: UInt64(1024 + size),
                                 size: UInt64(1024 + b.count))
            }
            // Every field lies in the 128 bytes checked above, so the reads cannot fail.
            let fields = ByteReader(b, endianness: .little)
            let magic: UInt32
            var sb = SuperBlock()
            do throws(ByteCodecError) {
                magic = try fields.u32(at: 0)
                sb.checksum = try fields.u32(at: 4)
                sb.featureCompat = try fields.u32(at: 8)
                sb.blockSizeBits = try fields.u8(at: 12)
                sb.extraSlots = try fields.u8(at: 13)
                sb.rootNid = try fields.u16(at: 14)
                sb.inodeCount = try fields.u64(at: 16)
                sb.buildTime = try fields.u64(at: 24)
                sb.buildTimeNsec = try fields.u32(at: 32)
                sb.blocks = try fields.u32(at: 36)
                sb.metaBlockAddress = try fields.u32(at: 40)
                sb.xattrBlockAddress = try fields.u32(at: 44)
                sb.uuid = Array(try fields.bytes(at: 48, count: 16))
                sb.volumeNameBytes = Array(try fields.bytes(at: 64, count: 16))
                sb.featureIncompat = try fields.u32(at: 80)
                sb.extraDevices = try fields.u16(at: 86)
                sb.directoryBlockBits = try fields.u8(at: 90)
            } catch {
                throw .corrupt(path: image, detail: "the superblock: \(error)")
            }
            guard magic == EROFS.magic else { throw .badMagic(path: image, found: magic) }

            guard (9...16).contains(sb.blockSizeBits) else {
                throw .unsupported(path: image, what: "block size 2^\(sb.blockSizeBits); 512 B to 64 KiB are readable")
            }
            let unknownIncompat = sb.featureIncompat & ~incompatZeroPadding
            guard unknownIncompat == 0 else {
                throw .unsupported(path: image, what: "incompatible features 0x\(String(unknownIncompat, radix: 16)) (compression, chunks, devices...); only uncompressed flat images are readable")
            }
            guard sb.extraDevices == 0 else {
                throw .unsupported(path: image, what: "\(sb.extraDevices) extra devices")
            }
            guard sb.directoryBlockBits == 0 else {
                throw .unsupported(path: image, what: "directory block size 2^\(sb.directoryBlockBits)")
            }
            guard sb.blocks > 0 else { throw .corrupt(path: image, detail: "the superblock says the image has 0 blocks") }
            return sb
        }
    }
}
