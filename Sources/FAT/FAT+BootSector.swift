import ByteCodec

extension FAT {
    /// The boot sector with its BIOS Parameter Block (fatgen103 "Boot Sector and BPB"):
    /// 512 bytes at sector 0 (and, on FAT32, again at `BPB_BkBootSec`).
    ///
    /// ```
    ///   0  BS_jmpBoot      3   EB 58 90 (FAT32) / EB 3C 90: a short jump over the BPB
    ///   3  BS_OEMName      8   "MSWIN4.1" (what fatgen103 calls the most compatible)
    ///  11  BPB_BytsPerSec  2   512
    ///  13  BPB_SecPerClus  1
    ///  14  BPB_RsvdSecCnt  2   32 (FAT32) / 1
    ///  16  BPB_NumFATs     1   2
    ///  17  BPB_RootEntCnt  2   0 (FAT32) / 512
    ///  19  BPB_TotSec16    2   total sectors when below 65536 on FAT12/16, else 0
    ///  21  BPB_Media       1   F8 (fixed disk)
    ///  22  BPB_FATSz16     2   0 on FAT32
    ///  24  BPB_SecPerTrk   2   32  } a made-up CHS geometry, as mkfs.fat writes for
    ///  26  BPB_NumHeads    2   64  } an image; nothing reads it on an LBA disk
    ///  28  BPB_HiddSec     4   sectors before the volume (the partition's first LBA)
    ///  32  BPB_TotSec32    4
    /// FAT32:                               FAT12/16:
    ///  36  BPB_FATSz32     4                36  BS_DrvNum      1  80
    ///  40  BPB_ExtFlags    2   0 (mirror)   37  BS_Reserved1   1  0
    ///  42  BPB_FSVer       2   0            38  BS_BootSig     1  29
    ///  44  BPB_RootClus    4   2            39  BS_VolID       4
    ///  48  BPB_FSInfo      2   1            43  BS_VolLab     11
    ///  50  BPB_BkBootSec   2   6            54  BS_FilSysType  8  "FAT12   " / "FAT16   "
    ///  52  BPB_Reserved   12   0            62  boot code
    ///  64  BS_DrvNum       1   80
    ///  65  BS_Reserved1    1   0
    ///  66  BS_BootSig      1   29: the next three fields are present
    ///  67  BS_VolID        4
    ///  71  BS_VolLab      11   space-padded
    ///  82  BS_FilSysType   8   "FAT32   " (informational only)
    ///  90  boot code           FA F4 EB FD: cli; hlt; jump back to hlt. No message, no disk
    ///                          access: a firmware that boots this sector just stops.
    /// 510  signature       2   55 AA
    /// ```
    struct BootSector: Equatable {
        static let size = 512
        static let oemName = Array("MSWIN4.1".utf8)
        static let haltLoop: [UInt8] = [0xFA, 0xF4, 0xEB, 0xFD]
        static let noLabel = Array("NO NAME    ".utf8)

        var geometry: Geometry
        var media: UInt8 = 0xF8
        var hiddenSectors: UInt32
        var volumeID: UInt32
        /// 11 bytes, space-padded.
        var volumeLabel: [UInt8]
        /// FAT32 `BPB_ExtFlags`: bit 7 set means only FAT `bits 0-3` is active (no mirroring).
        var extFlags: UInt16 = 0
        /// FAT32 `BPB_FSInfo` and `BPB_BkBootSec`.
        var fsInfoSector: UInt16 = 1
        var backupBootSector: UInt16 = 6

        init(geometry: Geometry, hiddenSectors: UInt32, volumeID: UInt32, volumeLabel: [UInt8]) {
            self.geometry = geometry
            self.hiddenSectors = hiddenSectors
            self.volumeID = volumeID
            self.volumeLabel = volumeLabel
        }

        func encoded() -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: Self.size)
            let fat32 = geometry.kind == .fat32
            bytes.replaceSubrange(0..<3, with: [0xEB, fat32 ? 0x58 : 0x3C, 0x90])
            bytes.replaceSubrange(3..<11, with: Self.oemName)
            bytes.setInteger(UInt16(geometry.bytesPerSector), at: 11, endianness: .little)
            bytes[13] = UInt8(geometry.sectorsPerCluster)
            bytes.setInteger(UInt16(geometry.reservedSectors), at: 14, endianness: .little)
            bytes[16] = UInt8(geometry.fatCount)
            bytes.setInteger(UInt16(geometry.rootEntryCount), at: 17, endianness: .little)
            let small = !fat32 && geometry.totalSectors < 0x10000
            bytes.setInteger(small ? UInt16(geometry.totalSectors) : 0, at: 19, endianness: .little)
            bytes[21] = media
            bytes.setInteger(fat32 ? 0 : UInt16(geometry.sectorsPerFAT), at: 22, endianness: .little)
            bytes.setInteger(UInt16(32), at: 24, endianness: .little)
            bytes.setInteger(UInt16(64), at: 26, endianness: .little)
            bytes.setInteger(hiddenSectors, at: 28, endianness: .little)
            bytes.setInteger(small ? 0 : geometry.totalSectors, at: 32, endianness: .little)
            let extended: Int
            if fat32 {
                bytes.setInteger(geometry.sectorsPerFAT, at: 36, endianness: .little)
                bytes.setInteger(extFlags, at: 40, endianness: .little)
                bytes.setInteger(geometry.rootCluster, at: 44, endianness: .little)
                bytes.setInteger(fsInfoSector, at: 48, endianness: .little)
                bytes.setInteger(backupBootSector, at: 50, endianness: .little)
                extended = 64
            } else {
                extended = 36
            }
            bytes[extended] = 0x80
            bytes[extended + 2] = 0x29
            bytes.setInteger(volumeID, at: extended + 3, endianness: .little)
            bytes.replaceSubrange((extended + 7)..<(extended + 18), with: volumeLabel)
            bytes.replaceSubrange((extended + 18)..<(extended + 26), with: Array("\(geometry.kind)   ".utf8))
            bytes.replaceSubrange((extended + 26)..<(extended + 30), with: Self.haltLoop)
            bytes[510] = 0x55
            bytes[511] = 0xAA
            return bytes
        }
    }
}

extension FAT {
    /// The FAT32 FSInfo sector (fatgen103 "FAT32 FSInfo Sector Structure"): a hint of the
    /// free cluster count and where to look for a free cluster, which `fsck.fat` checks.
    ///
    /// ```
    ///   0  FSI_LeadSig     4   0x41615252 ("RRaA")
    ///   4  FSI_Reserved1 480   0
    /// 484  FSI_StrucSig    4   0x61417272 ("rrAa")
    /// 488  FSI_Free_Count  4   free clusters, 0xFFFFFFFF when unknown
    /// 492  FSI_Nxt_Free    4   first cluster to search, 0xFFFFFFFF when unknown
    /// 496  FSI_Reserved2  12   0
    /// 508  FSI_TrailSig    4   0xAA550000
    /// ```
    struct FSInfo: Equatable {
        static let leadSignature: UInt32 = 0x4161_5252
        static let structureSignature: UInt32 = 0x6141_7272
        static let trailSignature: UInt32 = 0xAA55_0000
        static let unknown: UInt32 = 0xFFFF_FFFF

        var freeCount: UInt32
        var nextFree: UInt32

        func encoded() -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: BootSector.size)
            bytes.setInteger(Self.leadSignature, at: 0, endianness: .little)
            bytes.setInteger(Self.structureSignature, at: 484, endianness: .little)
            bytes.setInteger(freeCount, at: 488, endianness: .little)
            bytes.setInteger(nextFree, at: 492, endianness: .little)
            bytes.setInteger(Self.trailSignature, at: 508, endianness: .little)
            return bytes
        }

        /// nil when a signature is missing: the sector holds no usable hint.
        init?(sector: [UInt8]) {
            let fields = ByteReader(sector, endianness: .little)
            guard (try? fields.u32(at: 0)) == Self.leadSignature,
                  (try? fields.u32(at: 484)) == Self.structureSignature,
                  (try? fields.u32(at: 508)) == Self.trailSignature,
                  let free = try? fields.u32(at: 488), let next = try? fields.u32(at: 492)
            else { return nil }
            freeCount = free
            nextFree = next
        }

        init(freeCount: UInt32, nextFree: UInt32) {
            self.freeCount = freeCount
            self.nextFree = nextFree
        }
    }
}
