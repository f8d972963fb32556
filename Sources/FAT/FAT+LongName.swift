extension FAT {
    /// VFAT long names (fatgen103 "FAT Long Directory Entries"): a name of up to 255 UTF-16
    /// units is split into 13-unit pieces, each in one 32-byte entry placed just before the
    /// short entry, the last piece first.
    ///
    /// ```
    ///  0  LDIR_Ord        1   piece number from 1; 0x40 added on the last piece (first on disk)
    ///  1  LDIR_Name1     10   units 1-5
    /// 11  LDIR_Attr       1   0x0F (read-only, hidden, system, volume id: old systems skip it)
    /// 12  LDIR_Type       1   0
    /// 13  LDIR_Chksum     1   the short name's checksum (`ShortName.checksum`)
    /// 14  LDIR_Name2     12   units 6-11
    /// 26  LDIR_FstClusLO  2   0
    /// 28  LDIR_Name3      4   units 12-13
    /// ```
    ///
    /// A name that does not fill its last piece ends with 0x0000, then 0xFFFF up to the end.
    struct LongNameEntry: Equatable {
        static let attribute: UInt8 = 0x0F
        static let lastFlag: UInt8 = 0x40
        static let unitsPerEntry = 13
        /// Byte offsets of the 13 units in an entry.
        static let unitOffsets = [1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30]
        /// 255 units need 20 pieces.
        static let maximumEntries = 20

        /// `LDIR_Ord` as stored (piece number, plus 0x40 on the last).
        var ordinal: UInt8
        var units: [UInt16]
        var checksum: UInt8

        var number: Int { Int(ordinal & 0x3F) }
        var isLast: Bool { ordinal & Self.lastFlag != 0 }

        func encoded() -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: ShortEntry.size)
            bytes[0] = ordinal
            for (unit, offset) in zip(units, Self.unitOffsets) {
                bytes.setInteger(unit, at: offset, endianness: .little)
            }
            bytes[11] = Self.attribute
            bytes[13] = checksum
            return bytes
        }

        /// A 32-byte slot read as a long-name entry (its attribute byte said so).
        init(slot: ArraySlice<UInt8>) {
            let base = slot.startIndex
            ordinal = slot[base]
            checksum = slot[base + 13]
            units = Self.unitOffsets.map { UInt16(slot[base + $0]) | UInt16(slot[base + $0 + 1]) << 8 }
        }

        init(ordinal: UInt8, units: [UInt16], checksum: UInt8) {
            self.ordinal = ordinal
            self.units = units
            self.checksum = checksum
        }

        /// The entries for `name` in disk order (last piece first), for a short name with
        /// `checksum`.
        static func entries(for name: String, checksum: UInt8) -> [LongNameEntry] {
            let units = Array(name.utf16)
            let count = (units.count + unitsPerEntry - 1) / unitsPerEntry
            return (1...count).reversed().map { number in
                let start = (number - 1) * unitsPerEntry
                var piece = Array(units[start..<min(start + unitsPerEntry, units.count)])
                if piece.count < unitsPerEntry { piece.append(0) }
                piece += [UInt16](repeating: 0xFFFF, count: unitsPerEntry - piece.count)
                let ordinal = UInt8(number) | (number == count ? lastFlag : 0)
                return LongNameEntry(ordinal: ordinal, units: piece, checksum: checksum)
            }
        }

        /// How many entries `name` takes.
        static func count(for name: String) -> Int {
            (name.utf16.count + unitsPerEntry - 1) / unitsPerEntry
        }
    }

    /// The rules for a name a file or directory may have, long or short.
    enum Name {
        /// fatgen103: a long name has at most 255 UTF-16 units.
        static let maximumLength = 255
        /// Characters no FAT name may hold, besides those below U+0020.
        static let forbidden: Set<Character> = ["\"", "*", "/", ":", "<", ">", "?", "\\", "|"]

        /// Why `name` cannot be stored, or nil when it can: not empty, not "." or "..", at
        /// most 255 UTF-16 units, no control character or `"*/:<>?\|`, and no trailing dot
        /// or space (Windows and Linux's vfat drop those, so the name would not survive).
        static func problem(_ name: String) -> String? {
            if name.isEmpty { return "a name is empty (two slashes in a row?)" }
            if name == "." || name == ".." { return "'\(name)' is not a name" }
            let units = name.utf16.count
            if units > maximumLength {
                return "the name '\(name.prefix(40))…' is \(units) UTF-16 units long; FAT allows at most \(maximumLength)"
            }
            if let bad = name.first(where: { forbidden.contains($0) || $0.unicodeScalars.contains { $0.value < 0x20 } }) {
                let shown = bad.unicodeScalars.allSatisfy { $0.value >= 0x20 } ? "'\(bad)'" : "a control character"
                return "the name '\(name)' contains \(shown); FAT names cannot hold control characters or \"*/:<>?\\|"
            }
            if let last = name.last, last == "." || last == " " {
                return "the name '\(name)' ends with \(last == "." ? "a dot" : "a space"), which FAT drops; remove it"
            }
            return nil
        }

        /// The key two names of one directory collide under: FAT compares names without case.
        /// Swift's full Unicode upper-casing is a little stricter than Windows' simple upcase
        /// table (`ß` meets `SS`), so a pair it refuses may be one Windows would keep apart,
        /// never the other way round.
        static func key(_ name: String) -> String { name.uppercased() }
    }
}
