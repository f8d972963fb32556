import ByteCodec

import ByteCodec

extension GPT {
    /// The GPT header (UEFI 2.10 §5.3.2 Table 5.5, `EFI_PARTITION_TABLE_HEADER`): 92 bytes at
    /// the start of LBA 1 (primary) and of the last LBA (backup); the rest of the sector is zero.
    ///
    /// ```
    ///  0  Signature                 8   "EFI PART"
    ///  8  Revision                  4   0x00010000
    /// 12  HeaderSize                4   92
    /// 16  HeaderCRC32               4   CRC32 of HeaderSize bytes with this field zeroed
    /// 20  Reserved                  4   0
    /// 24  MyLBA                     8   LBA of this header
    /// 32  AlternateLBA              8   LBA of the other header
    /// 40  FirstUsableLBA            8
    /// 48  LastUsableLBA             8
    /// 56  DiskGUID                 16   mixed-endian
    /// 72  PartitionEntryLBA         8   first LBA of this copy's entry array
    /// 80  NumberOfPartitionEntries  4
    /// 84  SizeOfPartitionEntry      4
    /// 88  PartitionEntryArrayCRC32  4
    /// ```
    struct Header: Equatable {
        static let size = 92
        static let signature: [UInt8] = Array("EFI PART".utf8)
        static let revision: UInt32 = 0x0001_0000
        static let crcOffset = 16

        var myLBA: UInt64
        var alternateLBA: UInt64
        var firstUsableLBA: UInt64
        var lastUsableLBA: UInt64
        var diskGUID: GUID
        var partitionEntryLBA: UInt64
        var numberOfPartitionEntries: UInt32
        var sizeOfPartitionEntry: UInt32
        var partitionEntryArrayCRC32: UInt32

        /// A full sector of `sectorSize` bytes with the header CRC filled in; the bytes after
        /// the 92 of the header are zero.
        func encodedSector(sectorSize: UInt64) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: Int(sectorSize))
            bytes.replaceSubrange(0..<8, with: Self.signature)
            bytes.setInteger(Self.revision, at: 8, endianness: .little)
            bytes.setInteger(UInt32(Self.size), at: 12, endianness: .little)
            // 16: HeaderCRC32, filled last; 20: Reserved, zero.
            bytes.setInteger(myLBA, at: 24, endianness: .little)
            bytes.setInteger(alternateLBA, at: 32, endianness: .little)
            bytes.setInteger(firstUsableLBA, at: 40, endianness: .little)
            bytes.setInteger(lastUsableLBA, at: 48, endianness: .little)
            bytes.replaceSubrange(56..<72, with: diskGUID.encodedMixedEndian())
            bytes.setInteger(partitionEntryLBA, at: 72, endianness: .little)
            bytes.setInteger(numberOfPartitionEntries, at: 80, endianness: .little)
            bytes.setInteger(sizeOfPartitionEntry, at: 84, endianness: .little)
            bytes.setInteger(partitionEntryArrayCRC32, at: 88, endianness: .little)
            bytes.setInteger(CRC32.checksum(bytes[0..<Self.size]), at: Self.crcOffset, endianness: .little)
            return bytes
        }

        /// `sector` (a header that decoded) with a new `PartitionEntryArrayCRC32` and the
        /// `HeaderCRC32` over its `HeaderSize` bytes recomputed; every other byte, including
        /// those of a header longer than 92 bytes, stays as it was.
        static func patched(_ sector: [UInt8], partitionEntryArrayCRC32: UInt32) -> [UInt8] {
            var bytes = sector
            bytes.setInteger(partitionEntryArrayCRC32, at: 88, endianness: .little)
            bytes.setInteger(0, at: crcOffset, endianness: .little)
            // The header decoded, so HeaderSize (offset 12) is within 92...sector size.
            let headerSize = Int((try? ByteReader(bytes, endianness: .little).u32(at: 12)) ?? UInt32(size))
            bytes.setInteger(CRC32.checksum(bytes[0..<headerSize]), at: crcOffset, endianness: .little)
            return bytes
        }

        /// Decodes and checks one header sector (of any sector size) on its own: signature,
        /// revision, size, CRC and MyLBA. Agreement with the other copy and with the file is
        /// checked by the reader.
        init(sector: [UInt8], copy: GPTError.Copy, expectedLBA: UInt64) throws(GPTError) {
            precondition(sector.count >= 512)
            let bytes = sector[...]
            guard Array(bytes[0..<8]) == Self.signature else {
                throw .invalidHeader(
                    copy, field: "signature", found: Self.quote(bytes[0..<8]), expected: "\"EFI PART\"")
            }
            // Every field lies in the sector checked above, so the reads cannot fail.
            let fields = ByteReader(sector, endianness: .little)
            let revision: UInt32, headerSize: UInt32, stored: UInt32
            do throws(ByteCodecError) {
                revision = try fields.u32(at: 8)
                headerSize = try fields.u32(at: 12)
                stored = try fields.u32(at: Self.crcOffset)
                myLBA = try fields.u64(at: 24)
                alternateLBA = try fields.u64(at: 32)
                firstUsableLBA = try fields.u64(at: 40)
                lastUsableLBA = try fields.u64(at: 48)
                partitionEntryLBA = try fields.u64(at: 72)
                numberOfPartitionEntries = try fields.u32(at: 80)
                sizeOfPartitionEntry = try fields.u32(at: 84)
                partitionEntryArrayCRC32 = try fields.u32(at: 88)
            } catch {
                throw .invalidHeader(copy, field: "sector", found: "\(error)", expected: "at least 512 bytes")
            }
            diskGUID = GUID(mixedEndian: bytes[56..<72])
            guard revision == Self.revision else {
                throw .invalidHeader(
                    copy, field: "revision", found: "0x" + Hex.encode(revision, digits: 1), expected: "0x00010000 (1.0)")
            }
            // UEFI allows a larger header (up to the block size) as long as the CRC covers it.
            guard headerSize >= UInt32(Self.size), headerSize <= UInt32(sector.count) else {
                throw .invalidHeader(copy, field: "header size", found: "\(headerSize)", expected: "92...\(sector.count)")
            }
            var zeroed = sector
            zeroed.setInteger(UInt32(0), at: Self.crcOffset, endianness: .little)
            let computed = CRC32.checksum(zeroed[0..<Int(headerSize)])
            guard stored == computed else {
                throw .checksumMismatch(copy, area: "header", stored: stored, computed: computed)
            }
            guard myLBA == expectedLBA else {
                throw .invalidHeader(copy, field: "MyLBA", found: "\(myLBA)", expected: "\(expectedLBA)")
            }
            // UEFI: 128 × 2^n bytes per entry. Larger entries are legal but unused in practice;
            // bounding them (and the count) keeps a hostile header from asking for gigabytes.
            guard [128, 256, 512, 1024].contains(sizeOfPartitionEntry) else {
                throw .invalidHeader(
                    copy, field: "SizeOfPartitionEntry", found: "\(sizeOfPartitionEntry)", expected: "128 (or 256, 512, 1024)")
            }
            guard numberOfPartitionEntries >= 1, numberOfPartitionEntries <= 4096 else {
                throw .invalidHeader(
                    copy, field: "NumberOfPartitionEntries", found: "\(numberOfPartitionEntries)", expected: "1...4096")
            }
            guard firstUsableLBA <= lastUsableLBA else {
                throw .invalidHeader(
                    copy, field: "FirstUsableLBA", found: "\(firstUsableLBA)",
                    expected: "at most LastUsableLBA (\(lastUsableLBA))")
            }
        }

        init(
            myLBA: UInt64, alternateLBA: UInt64, firstUsableLBA: UInt64, lastUsableLBA: UInt64, diskGUID: GUID,
            partitionEntryLBA: UInt64, numberOfPartitionEntries: UInt32, sizeOfPartitionEntry: UInt32,
            partitionEntryArrayCRC32: UInt32
        ) {
            self.myLBA = myLBA
            self.alternateLBA = alternateLBA
            self.firstUsableLBA = firstUsableLBA
            self.lastUsableLBA = lastUsableLBA
            self.diskGUID = diskGUID
            self.partitionEntryLBA = partitionEntryLBA
            self.numberOfPartitionEntries = numberOfPartitionEntries
            self.sizeOfPartitionEntry = sizeOfPartitionEntry
            self.partitionEntryArrayCRC32 = partitionEntryArrayCRC32
        }

        /// Bytes of this copy's entry array.
        var entryArrayBytes: UInt64 { UInt64(numberOfPartitionEntries) * UInt64(sizeOfPartitionEntry) }

        private static func quote(_ bytes: ArraySlice<UInt8>) -> String {
            let printable = bytes.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
            return printable
                ? "\"" + String(decoding: bytes, as: UTF8.self) + "\""
                : bytes.map { Hex.encode($0, digits: 1) }.joined(separator: " ")
        }
    }
}
