import ByteCodec

extension GPT {
    /// The protective MBR in LBA 0 (UEFI 2.10 §5.2.3, Tables 5.3 and 5.4). It marks the whole
    /// disk as one partition of type 0xEE so MBR-only tools leave the GPT alone.
    ///
    /// ```
    ///   0  BootCode               440  zero
    /// 440  UniqueMBRDiskSignature   4  zero (unused)
    /// 444  Unknown                  2  zero
    /// 446  PartitionRecord[0]      16  BootIndicator 0, StartingCHS 00 02 00, OSType 0xEE,
    ///                                  EndingCHS ff ff ff, StartingLBA 1,
    ///                                  SizeInLBA min(sectors - 1, 0xFFFFFFFF)
    /// 462  PartitionRecord[1...3]  48  zero
    /// 510  Signature                2  0x55 0xAA
    /// ```
    enum ProtectiveMBR {
        static let recordOffset = 446
        static let recordSize = 16
        static let osType: UInt8 = 0xEE

        /// LBA 0 of a disk of `diskSectors` sectors of `sectorSize` bytes; the record is in
        /// the first 512 bytes whatever the sector size, the rest of the sector is zero.
        static func encode(diskSectors: UInt64, sectorSize: UInt64) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: Int(sectorSize))
            let record = recordOffset
            bytes[record + 0] = 0x00  // BootIndicator: not bootable
            bytes.replaceSubrange((record + 1)..<(record + 4), with: [0x00, 0x02, 0x00])  // StartingCHS: LBA 1
            bytes[record + 4] = osType
            bytes.replaceSubrange((record + 5)..<(record + 8), with: [0xFF, 0xFF, 0xFF])  // EndingCHS: beyond CHS
            bytes.setInteger(UInt32(1), at: record + 8, endianness: .little)  // StartingLBA
            bytes.setInteger(UInt32(min(diskSectors - 1, 0xFFFF_FFFF)), at: record + 12, endianness: .little)  // SizeInLBA
            bytes[510] = 0x55
            bytes[511] = 0xAA
            return bytes
        }

        /// Accepts any MBR with the boot signature and an 0xEE record starting at LBA 1 (also
        /// a hybrid MBR, which gdisk can make); throws naming what is missing.
        static func check(_ sector: [UInt8]) throws(GPTError) {
            precondition(sector.count >= 512)
            guard sector[510] == 0x55, sector[511] == 0xAA else {
                throw .invalidProtectiveMBR(
                    "boot signature is \(Hex.encode(sector[510], digits: 2)) \(Hex.encode(sector[511], digits: 2)), "
                        + "expected 55 aa at byte 510")
            }
            let records = (0..<4).map { recordOffset + $0 * recordSize }
            let types = records.map { sector[$0 + 4] }
            // A record that could not be read whole is not a protective one.
            let fields = ByteReader(sector, endianness: .little)
            let protective = records.first { offset in
                sector[offset + 4] == osType && (try? fields.u32(at: offset + 8)) == 1
            }
            guard protective != nil else {
                throw .invalidProtectiveMBR(
                    "no partition record of type 0xee starting at LBA 1 (record types: "
                        + types.map { "0x" + Hex.encode($0, digits: 2) }.joined(separator: ", ") + ")")
            }
        }
    }
}
