extension GPT {
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
