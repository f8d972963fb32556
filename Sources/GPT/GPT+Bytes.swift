extension GPT {
    /// Explicit little-endian access to a sector buffer, so on-disk records are encoded and
    /// decoded field by field rather than by copying struct memory. Callers check lengths first:
    /// every record decodes from a buffer of at least its own size.
    struct LittleEndian {
        static func put(_ value: UInt64, width: Int, into bytes: inout [UInt8], at offset: Int) {
            for index in 0..<width {
                bytes[offset + index] = UInt8(truncatingIfNeeded: value >> UInt64(index * 8))
            }
        }

        static func put16(_ value: UInt16, into bytes: inout [UInt8], at offset: Int) {
            put(UInt64(value), width: 2, into: &bytes, at: offset)
        }

        static func put32(_ value: UInt32, into bytes: inout [UInt8], at offset: Int) {
            put(UInt64(value), width: 4, into: &bytes, at: offset)
        }

        static func put64(_ value: UInt64, into bytes: inout [UInt8], at offset: Int) {
            put(value, width: 8, into: &bytes, at: offset)
        }

        static func get(_ bytes: ArraySlice<UInt8>, at offset: Int, width: Int) -> UInt64 {
            var value: UInt64 = 0
            let base = bytes.startIndex + offset
            for index in 0..<width {
                value |= UInt64(bytes[base + index]) << UInt64(index * 8)
            }
            return value
        }

        static func get16(_ bytes: ArraySlice<UInt8>, at offset: Int) -> UInt16 {
            UInt16(truncatingIfNeeded: get(bytes, at: offset, width: 2))
        }

        static func get32(_ bytes: ArraySlice<UInt8>, at offset: Int) -> UInt32 {
            UInt32(truncatingIfNeeded: get(bytes, at: offset, width: 4))
        }

        static func get64(_ bytes: ArraySlice<UInt8>, at offset: Int) -> UInt64 {
            get(bytes, at: offset, width: 8)
        }
    }

    /// "640 MiB", "2 GiB", "16 KiB": a size in the largest unit that divides it exactly, so a
    /// number a person copies into a manifest is exact; rounded (`describe`) when none does.
    static func describeExactly(bytes: UInt64) -> String {
        for (unit, name) in [(UInt64(1) << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        where bytes >= unit && bytes % unit == 0 {
            return "\(bytes / unit) \(name)"
        }
        return describe(bytes: bytes)
    }

    /// "2.1 GiB", "640 MiB", "16 KiB": a position or size rounded to a tenth of the largest
    /// unit it reaches (exact when it is a whole number of that unit).
    static func describe(bytes: UInt64) -> String {
        let units: [(UInt64, String)] = [(1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
        for (unit, name) in units where bytes >= unit {
            if bytes % unit == 0 { return "\(bytes / unit) \(name)" }
            // Whole units and rounded tenths apart, so no product can overflow.
            var whole = bytes / unit
            var tenths = ((bytes % unit) * 10 + unit / 2) / unit
            if tenths == 10 { whole += 1; tenths = 0 }
            return "\(whole).\(tenths) \(name)"
        }
        return "\(bytes) bytes"
    }
}
