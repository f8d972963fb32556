import ByteCodec

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
            bytes.setInteger(partition.firstLBA, at: 32, endianness: .little)
            bytes.setInteger(partition.lastLBA, at: 40, endianness: .little)
            bytes.setInteger(partition.attributes.rawValue, at: 48, endianness: .little)
            putName(partition.name, into: &bytes, at: nameOffset)
            return bytes
        }

        /// `name` as UTF-16LE from `offset`, over bytes that are already zero.
        private static func putName(_ name: String, into bytes: inout [UInt8], at offset: Int) {
            for (index, unit) in name.utf16.prefix(Partition.maximumNameLength).enumerated() {
                bytes.setInteger(unit, at: offset + 2 * index, endianness: .little)
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
                bytes.setInteger(attributes.rawValue, at: offset + 48, endianness: .little)
            }
            if let name = change.name {
                let start = offset + nameOffset
                bytes.replaceSubrange(start..<(start + nameBytes), with: [UInt8](repeating: 0, count: nameBytes))
                putName(name, into: &bytes, at: start)
            }
        }

        /// Decodes the first 128 bytes of `bytes`, the slot of entry `index` (`SizeOfPartitionEntry`
        /// bytes, which the header check bounds to at least 128); nil for an unused entry.
        /// LBAs are checked by the reader.
        static func decode(_ bytes: ArraySlice<UInt8>, index: Int) throws(GPTError) -> Partition? {
            do {
                return try decodeFields(bytes)
            } catch {
                throw .invalidEntry(index: index, problem: "\(error)")
            }
        }

        private static func decodeFields(_ bytes: ArraySlice<UInt8>) throws(ByteCodecError) -> Partition? {
            let fields = ByteReader(bytes, endianness: .little)
            let type = GUID(mixedEndian: try fields.bytes(at: 0, count: 16))
            guard type != .zero else { return nil }
            var units: [UInt16] = []
            for index in 0..<(nameBytes / 2) {
                let unit = try fields.u16(at: nameOffset + 2 * index)
                if unit == 0 { break }
                units.append(unit)
            }
            return Partition(
                type: type,
                uuid: GUID(mixedEndian: try fields.bytes(at: 16, count: 16)),
                name: String(decoding: units, as: UTF16.self),
                firstLBA: try fields.u64(at: 32),
                lastLBA: try fields.u64(at: 40),
                attributes: Attributes(rawValue: try fields.u64(at: 48)))
        }
    }
}
