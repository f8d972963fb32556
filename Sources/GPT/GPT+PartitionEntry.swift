extension GPT {
    /// One partition entry (UEFI 2.10 §5.3.3 Table 5.6, `EFI_PARTITION_ENTRY`), 128 bytes:
    ///
    /// ```
    ///  0  PartitionTypeGUID     16  mixed-endian; all zero = unused entry
    /// 16  UniquePartitionGUID   16  mixed-endian
    /// 32  StartingLBA            8
    /// 40  EndingLBA              8  inclusive
    /// 48  Attributes             8
    /// 56  PartitionName         72  UTF-16LE, NUL-padded, not necessarily NUL-terminated
    /// ```
    enum PartitionEntry {
        static let size = 128
        static let nameOffset = 56
        static let nameBytes = 72

        /// The 128 bytes of a used entry; the name must already be checked to fit.
        static func encode(_ partition: Partition) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: size)
            bytes.replaceSubrange(0..<16, with: partition.type.encodedMixedEndian())
            bytes.replaceSubrange(16..<32, with: partition.uuid.encodedMixedEndian())
            LittleEndian.put64(partition.firstLBA, into: &bytes, at: 32)
            LittleEndian.put64(partition.lastLBA, into: &bytes, at: 40)
            LittleEndian.put64(partition.attributes.rawValue, into: &bytes, at: 48)
            putName(partition.name, into: &bytes, at: nameOffset)
            return bytes
        }

        /// `name` as UTF-16LE from `offset`, over bytes that are already zero.
        private static func putName(_ name: String, into bytes: inout [UInt8], at offset: Int) {
            for (index, unit) in name.utf16.prefix(Partition.maximumNameLength).enumerated() {
                LittleEndian.put16(unit, into: &bytes, at: offset + 2 * index)
            }
        }

        /// Overwrites the fields `change` sets in the entry starting at `offset` of `bytes`;
        /// every other byte (other fields, reserved bytes of a larger entry) stays. A new name
        /// replaces all 72 name bytes, NUL-padded; it must already be checked to fit.
        static func patch(_ bytes: inout [UInt8], at offset: Int, with change: EntryChange) {
            if let type = change.type {
                bytes.replaceSubrange(offset..<(offset + 16), with: type.encodedMixedEndian())
            }
            if let uuid = change.uuid {
                bytes.replaceSubrange((offset + 16)..<(offset + 32), with: uuid.encodedMixedEndian())
            }
            if let attributes = change.attributes {
                LittleEndian.put64(attributes.rawValue, into: &bytes, at: offset + 48)
            }
            if let name = change.name {
                let start = offset + nameOffset
                bytes.replaceSubrange(start..<(start + nameBytes), with: [UInt8](repeating: 0, count: nameBytes))
                putName(name, into: &bytes, at: start)
            }
        }

        /// Decodes the first 128 bytes of `bytes` (an entry slot of `SizeOfPartitionEntry`
        /// bytes); nil for an unused entry. LBAs are checked by the reader.
        static func decode(_ bytes: ArraySlice<UInt8>) -> Partition? {
            precondition(bytes.count >= size)
            let base = bytes.startIndex
            let type = GUID(mixedEndian: bytes[base..<(base + 16)])
            guard type != .zero else { return nil }
            var units: [UInt16] = []
            for index in 0..<(nameBytes / 2) {
                let unit = LittleEndian.get16(bytes, at: nameOffset + 2 * index)
                if unit == 0 { break }
                units.append(unit)
            }
            return Partition(
                type: type,
                uuid: GUID(mixedEndian: bytes[(base + 16)..<(base + 32)]),
                name: String(decoding: units, as: UTF16.self),
                firstLBA: LittleEndian.get64(bytes, at: 32),
                lastLBA: LittleEndian.get64(bytes, at: 40),
                attributes: Attributes(rawValue: LittleEndian.get64(bytes, at: 48)))
        }
    }
}
