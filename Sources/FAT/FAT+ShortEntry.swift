extension FAT {
    /// A directory entry proper (fatgen103 "FAT 32 Byte Directory Entry Structure"): the
    /// short name, attributes, times, first cluster and size of a file, directory or label.
    ///
    /// ```
    ///  0  DIR_Name          11   8.3 name (`ShortName`); first byte 0xE5 = free slot,
    ///                            0x00 = free and nothing used after it
    /// 11  DIR_Attr           1   01 read-only, 02 hidden, 04 system, 08 volume label,
    ///                            10 directory, 20 archive; 0F marks a long-name entry
    /// 12  DIR_NTRes          1   0 (bits 3/4: base/extension shown in lower case)
    /// 13  DIR_CrtTimeTenth   1   hundredths of a second, 0...199
    /// 14  DIR_CrtTime        2
    /// 16  DIR_CrtDate        2
    /// 18  DIR_LstAccDate     2
    /// 20  DIR_FstClusHI      2   high 16 bits of the first cluster (FAT32)
    /// 22  DIR_WrtTime        2
    /// 24  DIR_WrtDate        2
    /// 26  DIR_FstClusLO      2   low 16 bits of the first cluster; 0 for an empty file
    /// 28  DIR_FileSize       4   bytes; 0 for a directory
    /// ```
    struct ShortEntry: Equatable {
        static let size = 32
        static let free: UInt8 = 0xE5
        static let end: UInt8 = 0x00

        /// `DIR_Attr` bits.
        enum Attribute {
            static let readOnly: UInt8 = 0x01
            static let hidden: UInt8 = 0x02
            static let system: UInt8 = 0x04
            static let volumeLabel: UInt8 = 0x08
            static let directory: UInt8 = 0x10
            static let archive: UInt8 = 0x20
        }

        var name: [UInt8]
        var attributes: UInt8
        var caseFlags: UInt8 = 0
        var created: Timestamp
        var accessed: UInt16
        var modified: Timestamp
        var firstCluster: UInt32
        var fileSize: UInt32

        /// An entry whose every time is `time` (the writer's).
        init(name: [UInt8], attributes: UInt8, time: Timestamp, firstCluster: UInt32, fileSize: UInt32) {
            self.name = name
            self.attributes = attributes
            created = time
            accessed = time.date
            modified = Timestamp(date: time.date, time: time.time)
            self.firstCluster = firstCluster
            self.fileSize = fileSize
        }

        func encoded() -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: Self.size)
            encode(into: &bytes, at: 0)
            return bytes
        }

        func encode(into bytes: inout [UInt8], at offset: Int) {
            bytes.replaceSubrange(offset..<(offset + ShortName.length), with: name)
            bytes[offset + 11] = attributes
            bytes[offset + 12] = caseFlags
            bytes[offset + 13] = created.hundredths
            bytes.setInteger(created.time, at: offset + 14, endianness: .little)
            bytes.setInteger(created.date, at: offset + 16, endianness: .little)
            bytes.setInteger(accessed, at: offset + 18, endianness: .little)
            bytes.setInteger(UInt16(truncatingIfNeeded: firstCluster >> 16), at: offset + 20, endianness: .little)
            bytes.setInteger(modified.time, at: offset + 22, endianness: .little)
            bytes.setInteger(modified.date, at: offset + 24, endianness: .little)
            bytes.setInteger(UInt16(truncatingIfNeeded: firstCluster), at: offset + 26, endianness: .little)
            bytes.setInteger(fileSize, at: offset + 28, endianness: .little)
        }

        /// A 32-byte slot as a short entry. `highClusterBits` is false on FAT12/16, where
        /// `DIR_FstClusHI` is no part of the cluster number.
        init(slot: ArraySlice<UInt8>, highClusterBits: Bool) {
            let base = slot.startIndex
            func u16(_ at: Int) -> UInt16 { UInt16(slot[base + at]) | UInt16(slot[base + at + 1]) << 8 }
            name = Array(slot[base..<(base + ShortName.length)])
            attributes = slot[base + 11]
            caseFlags = slot[base + 12]
            created = Timestamp(date: u16(16), time: u16(14), hundredths: slot[base + 13])
            accessed = u16(18)
            modified = Timestamp(date: u16(24), time: u16(22))
            firstCluster = (highClusterBits ? UInt32(u16(20)) << 16 : 0) | UInt32(u16(26))
            fileSize = UInt32(u16(28)) | UInt32(u16(30)) << 16
        }

        var isDirectory: Bool { attributes & Attribute.directory != 0 }
        var isVolumeLabel: Bool { attributes & Attribute.volumeLabel != 0 && !isDirectory }
        /// "." or "..", which every subdirectory starts with.
        var isDotEntry: Bool { name == Self.dotName || name == Self.dotDotName }

        static let dotName = ShortName.padded([ShortName.dot], 11)
        static let dotDotName = ShortName.padded([ShortName.dot, ShortName.dot], 11)
    }
}
