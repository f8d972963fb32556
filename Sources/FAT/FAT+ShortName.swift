extension FAT {
    /// 8.3 names as directory entries store them (fatgen103 "Directory Structure" and "Name
    /// Matching In Short File Names"): 11 bytes, 8 of base name and 3 of extension, each part
    /// upper case and padded with spaces, the dot implied. "BOOTX64.EFI" is `BOOTX64 EFI`.
    enum ShortName {
        static let length = 11
        static let dot = UInt8(ascii: "."), space = UInt8(ascii: " "), underscore = UInt8(ascii: "_")

        /// The characters a short name may hold besides A-Z and 0-9 (fatgen103: every other
        /// printable ASCII character but `"*+,./:;<=>?[\]|`, lower case and space; bytes above
        /// 127 are code-page characters, which this writer never produces).
        private static let specials = Set("!#$%&'()-@^_`{}~".utf8)

        static func isValid(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || specials.contains(byte)
        }

        /// The stored form of `name` when it is already an 8.3 name: 1-8 valid characters,
        /// optionally a dot and 1-3 more, upper case unless `foldingCase` (then a-z count as
        /// A-Z). nil for anything else, which then needs long-name entries.
        static func exact(_ name: String, foldingCase: Bool = false) -> [UInt8]? {
            var bytes = Array(name.utf8)
            if foldingCase { bytes = bytes.map(upper) }
            let parts = bytes.split(separator: dot, maxSplits: 2, omittingEmptySubsequences: false)
            guard let base = parts.first, (1...8).contains(base.count), parts.count <= 2,
                  bytes.allSatisfy({ $0 == dot || isValid($0) })
            else { return nil }
            let ext = parts.count == 2 ? parts[1] : []
            guard parts.count == 1 || (1...3).contains(ext.count) else { return nil }
            return padded(Array(base), 8) + padded(Array(ext), 3)
        }

        /// fatgen103's "Basis-Name Generation Algorithm" and "Numeric-Tail Generation
        /// Algorithm", as Windows applies them:
        ///
        /// 1. upper-case; every character not valid in a short name (`+`, `,`, `;`, `=`, `[`,
        ///    `]`, anything beyond ASCII) becomes `_`, which makes the conversion lossy;
        /// 2. drop spaces (lossy) and leading dots;
        /// 3. the base is what comes before the first dot, at most 8 characters; the
        ///    extension the first 3 after the last dot;
        /// 4. that basis is the short name when nothing was lost, the long name fits 8.3 and
        ///    `isTaken` says no (`foo.efi` → `FOO.EFI`); otherwise the first `~n` (n = 1, 2,
        ///    ...) whose name is free, the base cut to leave room for it
        ///    (`qemu-dev_0.1.0+3.efi` → `QEMU-D~1.EFI`).
        ///
        /// nil only when a million tails are taken.
        static func generate(for name: String, isTaken: ([UInt8]) -> Bool) -> [UInt8]? {
            var lossy = false
            var chars: [UInt8] = []
            for scalar in name.unicodeScalars {
                if scalar == " " {
                    lossy = true
                    continue
                }
                let byte = scalar.isASCII ? upper(UInt8(scalar.value)) : underscore
                if byte == dot || isValid(byte) {
                    chars.append(byte)
                } else {
                    chars.append(underscore)
                    lossy = true
                }
                if !scalar.isASCII { lossy = true }
            }
            let stripped = Array(chars.drop { $0 == dot })
            var base = Array(stripped.prefix { $0 != dot }.prefix(8))
            if base.isEmpty { base = [underscore] }
            let ext = stripped.lastIndex(of: dot).map { Array(stripped[($0 + 1)...].prefix(3)) } ?? []
            let basis = padded(base, 8) + padded(ext, 3)
            if !lossy, exact(name, foldingCase: true) == basis, !isTaken(basis) { return basis }
            for number in 1...999_999 {
                let tail = Array("~\(number)".utf8)
                let candidate = padded(Array(base.prefix(8 - tail.count)) + tail, 8) + padded(ext, 3)
                if !isTaken(candidate) { return candidate }
            }
            return nil
        }

        /// `DIR_Name`'s checksum, which every long-name entry of the name repeats (fatgen103
        /// `ChkSum`: rotate right by one, add the next byte).
        static func checksum(_ name: some Collection<UInt8>) -> UInt8 {
            var sum: UInt8 = 0
            for byte in name { sum = (sum & 1 == 1 ? 0x80 : 0) &+ (sum >> 1) &+ byte }
            return sum
        }

        /// "BOOTX64.EFI" from `BOOTX64 EFI`. `DIR_NTRes` bits 3 and 4 (Windows NT's "base" and
        /// "extension in lower case", which Linux writes for names like `readme.txt`) lower
        /// those parts; 0x05 as first byte stands for 0xE5. Bytes above 127 are shown as the
        /// Latin-1 character of that number (no code page is carried), control bytes and "/" as
        /// "_", so a damaged name never reads as a path.
        ///
        /// Built as UTF-8 in one array (a Latin-1 byte above 127 is two bytes there), which
        /// String takes without transcoding: the reader shows every entry it lists this way.
        static func display(_ raw: some Collection<UInt8>, caseFlags: UInt8 = 0) -> String {
            var bytes = Array(raw.prefix(length))
            if bytes.first == 0x05 { bytes[0] = 0xE5 }
            func trimmed(_ part: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
                part[..<((part.lastIndex { $0 != space } ?? part.startIndex - 1) + 1)]
            }
            let base = trimmed(bytes.prefix(8)), ext = trimmed(bytes.dropFirst(8))
            var utf8: [UInt8] = []
            utf8.reserveCapacity(2 * length + 1)
            func append(_ part: ArraySlice<UInt8>, lowered: Bool) {
                for byte in part {
                    let shown = byte < 0x20 || byte == UInt8(ascii: "/") || byte == 0x7F ? underscore : lowered ? lower(byte) : byte
                    if shown < 0x80 {
                        utf8.append(shown)
                    } else {
                        utf8.append(0xC0 | shown >> 6)
                        utf8.append(0x80 | shown & 0x3F)
                    }
                }
            }
            append(base, lowered: caseFlags & 0x08 != 0)
            if !ext.isEmpty {
                utf8.append(dot)
                append(ext, lowered: caseFlags & 0x10 != 0)
            }
            return String(decoding: utf8, as: UTF8.self)
        }

        static func padded(_ bytes: [UInt8], _ count: Int) -> [UInt8] {
            bytes + [UInt8](repeating: space, count: count - bytes.count)
        }

        static func upper(_ byte: UInt8) -> UInt8 {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) ? byte - 32 : byte
        }

        static func lower(_ byte: UInt8) -> UInt8 {
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
        }
    }
}
