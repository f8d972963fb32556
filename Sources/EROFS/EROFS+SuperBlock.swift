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
            EROFS.store(EROFS.magic, into: &b, at: 0)
            EROFS.store(checksum, into: &b, at: 4)
            EROFS.store(featureCompat, into: &b, at: 8)
            b[12] = blockSizeBits
            b[13] = extraSlots
            EROFS.store(rootNid, into: &b, at: 14)
            EROFS.store(inodeCount, into: &b, at: 16)
            EROFS.store(buildTime, into: &b, at: 24)
            EROFS.store(buildTimeNsec, into: &b, at: 32)
            EROFS.store(blocks, into: &b, at: 36)
            EROFS.store(metaBlockAddress, into: &b, at: 40)
            EROFS.store(xattrBlockAddress, into: &b, at: 44)
            for i in 0..<16 { b[48 + i] = i < uuid.count ? uuid[i] : 0 }
            for i in 0..<16 { b[64 + i] = i < volumeNameBytes.count ? volumeNameBytes[i] : 0 }
            EROFS.store(featureIncompat, into: &b, at: 80)
            EROFS.store(extraDevices, into: &b, at: 86)
            b[90] = directoryBlockBits
            return b
        }

        /// Decodes and validates the 128 bytes found at byte 1024 (`image` names the file in errors).
        public static func decode(_ b: [UInt8], image: String) throws(EROFSError) -> SuperBlock {
            guard b.count >= size else {
                throw .truncated(path: image, what: "the superblock", needed: UInt64(1024 + size),
                                 size: UInt64(1024 + b.count))
            }
            let magic = EROFS.load(UInt32.self, from: b, at: 0)
            guard magic == EROFS.magic else { throw .badMagic(path: image, found: magic) }
            var sb = SuperBlock()
            sb.checksum = EROFS.load(UInt32.self, from: b, at: 4)
            sb.featureCompat = EROFS.load(UInt32.self, from: b, at: 8)
            sb.blockSizeBits = b[12]
            sb.extraSlots = b[13]
            sb.rootNid = EROFS.load(UInt16.self, from: b, at: 14)
            sb.inodeCount = EROFS.load(UInt64.self, from: b, at: 16)
            sb.buildTime = EROFS.load(UInt64.self, from: b, at: 24)
            sb.buildTimeNsec = EROFS.load(UInt32.self, from: b, at: 32)
            sb.blocks = EROFS.load(UInt32.self, from: b, at: 36)
            sb.metaBlockAddress = EROFS.load(UInt32.self, from: b, at: 40)
            sb.xattrBlockAddress = EROFS.load(UInt32.self, from: b, at: 44)
            sb.uuid = Array(b[48..<64])
            sb.volumeNameBytes = Array(b[64..<80])
            sb.featureIncompat = EROFS.load(UInt32.self, from: b, at: 80)
            sb.extraDevices = EROFS.load(UInt16.self, from: b, at: 86)
            sb.directoryBlockBits = b[90]

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
