extension FAT {
    /// A directory entry's date and time (fatgen103 "Date and Time Formats"):
    ///
    /// ```
    /// date  bits 15-9 year - 1980 (0...127)   8-5 month (1...12)     4-0 day (1...31)
    /// time  bits 15-11 hours (0...23)         10-5 minutes (0...59)  4-0 seconds / 2 (0...29)
    /// tenth DIR_CrtTimeTenth: hundredths of a second added to the creation time (0...199)
    /// ```
    ///
    /// FAT stores no time zone; the writer stores UTC (mount with `tz=UTC` to see the same
    /// clock time). A Unix time before 1980-01-01 00:00:00 is stored as that moment and one
    /// after 2107-12-31 23:59:58 as that one: the format has no other dates.
    public struct Timestamp: Sendable, Hashable, Codable {
        public var date: UInt16
        public var time: UInt16
        /// `DIR_CrtTimeTenth`: the odd second the 2-second `time` cannot hold, as 100.
        public var hundredths: UInt8

        public init(date: UInt16, time: UInt16, hundredths: UInt8 = 0) {
            self.date = date
            self.time = time
            self.hundredths = hundredths
        }

        /// 1980-01-01 00:00:00 UTC.
        public static let earliest: Int64 = 315_532_800
        /// 2107-12-31 23:59:58 UTC.
        public static let latest: Int64 = Int64(daysFromCivil(year: 2108, month: 1, day: 1)) * 86400 - 2

        /// `unixTime` in UTC, clamped to `earliest...latest`.
        public init(unixTime: Int64) {
            let clamped = min(max(unixTime, Self.earliest), Self.latest)
            let days = clamped / 86400
            let seconds = Int(clamped % 86400)
            let (year, month, day) = Self.civil(fromDays: days)
            date = UInt16((year - 1980) << 9 | month << 5 | day)
            time = UInt16((seconds / 3600) << 11 | (seconds / 60 % 60) << 5 | (seconds % 60) / 2)
            hundredths = UInt8(seconds % 2 * 100)
        }

        /// The Unix time these fields name (UTC); nil when they are no valid date or time.
        public var unixTime: Int64? {
            let year = Int(date >> 9) + 1980, month = Int(date >> 5 & 0xF), day = Int(date & 0x1F)
            let hours = Int(time >> 11), minutes = Int(time >> 5 & 0x3F), halfSeconds = Int(time & 0x1F)
            guard (1...12).contains(month), day >= 1, day <= Self.daysIn(month: month, year: year),
                  hours < 24, minutes < 60, halfSeconds < 30, hundredths < 200
            else { return nil }
            let seconds = hours * 3600 + minutes * 60 + halfSeconds * 2 + Int(hundredths) / 100
            return Self.daysFromCivil(year: year, month: month, day: day) * 86400 + Int64(seconds)
        }

        private static func daysIn(month: Int, year: Int) -> Int {
            switch month {
            case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
            case 4, 6, 9, 11: 30
            default: 31
            }
        }

        /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-Compatible
        /// Low-Level Date Algorithms", `days_from_civil`).
        static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
            let y = month <= 2 ? year - 1 : year
            let era = (y >= 0 ? y : y - 399) / 400
            let yearOfEra = y - era * 400
            let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
            let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
            return Int64(era * 146_097 + dayOfEra - 719_468)
        }

        /// The inverse (`civil_from_days`), for days ≥ 0.
        static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
            let z = Int(days) + 719_468
            let era = z / 146_097
            let dayOfEra = z - era * 146_097
            let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
            let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
            let shifted = (5 * dayOfYear + 2) / 153
            let day = dayOfYear - (153 * shifted + 2) / 5 + 1
            let month = shifted < 10 ? shifted + 3 : shifted - 9
            return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
        }
    }
}
