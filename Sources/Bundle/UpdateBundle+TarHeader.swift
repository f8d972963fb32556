import ByteCodec

extension UpdateBundle {
    /// One ustar header block (POSIX.1-1988 "ustar", as in `tar.h` / `struct posix_header`),
    /// 512 bytes. Numbers are ASCII octal, NUL-terminated; sizes of 8 GiB and more use the
    /// base-256 form GNU tar and libarchive both read (high bit of the first byte set, then a
    /// big-endian integer).
    ///
    /// ```
    /// offset size field     (posix_header)   written as
    ///      0  100 name                       member name, NUL-padded
    ///    100    8 mode                       "0000644\0"
    ///    108    8 uid                        "0000000\0"
    ///    116    8 gid                        "0000000\0"
    ///    124   12 size                       11 octal digits + NUL (or base-256)
    ///    136   12 mtime                      11 octal digits + NUL
    ///    148    8 chksum                     6 octal digits, NUL, space
    ///    156    1 typeflag                   '0' (regular file)
    ///    157  100 linkname                   empty
    ///    257    6 magic                      "ustar\0"
    ///    263    2 version                    "00"
    ///    265   32 uname                      empty (no user names)
    ///    297   32 gname                      empty
    ///    329    8 devmajor                   "0000000\0"
    ///    337    8 devminor                   "0000000\0"
    ///    345  155 prefix                     empty (names are short and flat)
    ///    500   12 (padding)                  zero
    /// ```
    /// The checksum is the sum of all 512 bytes as unsigned values with the chksum field
    /// counted as eight spaces.
    struct TarHeader: Equatable {
        static let size = 512
        /// Largest value the 11 octal digits of `size`/`mtime` hold (8 GiB - 1).
        static let largestOctal: UInt64 = 0o77777777777

        var name: String
        var size: UInt64
        var mtime: Int64
        /// `typeflag`: "0" or NUL for regular files.
        var typeFlag: UInt8 = UInt8(ascii: "0")

        init(name: String, size: UInt64, mtime: Int64) {
            self.name = name
            self.size = size
            self.mtime = mtime
        }

        /// Number of 512-byte blocks the member's data occupies (data is zero-padded).
        var paddedDataSize: UInt64 { (size + 511) / 512 * 512 }

        // MARK: Encoding

        func encoded() -> [UInt8] {
            var block = [UInt8](repeating: 0, count: Self.size)
            let nameBytes = Array(name.utf8)
            block.replaceSubrange(0..<nameBytes.count, with: nameBytes)  // name: checked to fit by the caller
            Self.putOctal(0o644, into: &block, at: 100, width: 8)  // mode
            Self.putOctal(0, into: &block, at: 108, width: 8)  // uid
            Self.putOctal(0, into: &block, at: 116, width: 8)  // gid
            if size <= Self.largestOctal {
                Self.putOctal(size, into: &block, at: 124, width: 12)  // size
            } else {
                Self.putBase256(size, into: &block, at: 124, width: 12)
            }
            Self.putOctal(UInt64(max(0, mtime)), into: &block, at: 136, width: 12)  // mtime
            block[156] = typeFlag  // typeflag
            block.replaceSubrange(257..<263, with: Array("ustar".utf8) + [0])  // magic
            block.replaceSubrange(263..<265, with: Array("00".utf8))  // version
            Self.putOctal(0, into: &block, at: 329, width: 8)  // devmajor
            Self.putOctal(0, into: &block, at: 337, width: 8)  // devminor
            let checksum = Self.checksum(of: block)
            Self.putOctal(UInt64(checksum), into: &block, at: 148, width: 7)  // chksum: 6 digits + NUL
            block[155] = UInt8(ascii: " ")
            return block
        }

        /// `width - 1` zero-padded octal digits followed by NUL.
        static func putOctal(_ value: UInt64, into block: inout [UInt8], at offset: Int, width: Int) {
            var digits = [UInt8](repeating: UInt8(ascii: "0"), count: width - 1)
            var rest = value
            var index = digits.count - 1
            while rest > 0 && index >= 0 {
                digits[index] = UInt8(ascii: "0") + UInt8(rest & 7)
                rest >>= 3
                index -= 1
            }
            block.replaceSubrange(offset..<(offset + width - 1), with: digits)
            block[offset + width - 1] = 0
        }

        /// GNU base-256: 0x80 marker, then the value big-endian in the remaining bytes.
        static func putBase256(_ value: UInt64, into block: inout [UInt8], at offset: Int, width: Int) {
            for index in 0..<width { block[offset + index] = 0 }
            block[offset] = 0x80
            block.setInteger(value, at: offset + width - 8, endianness: .big)
        }

        static func checksum(of block: [UInt8]) -> UInt32 {
            var sum: UInt32 = 0
            for (index, byte) in block.enumerated() {
                sum += (148..<156).contains(index) ? UInt32(UInt8(ascii: " ")) : UInt32(byte)
            }
            return sum
        }

        // MARK: Decoding

        /// Whether a block is all zero: one of the two end-of-archive blocks.
        static func isZeroBlock(_ block: [UInt8]) -> Bool {
            block.allSatisfy { $0 == 0 }
        }

        /// Decode and check a header block read at `offset` (for messages). Accepts only what
        /// a bundle may hold: regular files with a plain name in the `name` field.
        init(decoding block: [UInt8], at offset: UInt64, path: String) throws {
            guard block.count == Self.size else {
                throw BundleError.truncated(path: path, offset: offset, expected: "a 512-byte tar header")
            }
            guard Array(block[257..<262]) == Array("ustar".utf8) else {
                let detail = "the header at byte \(offset) has no \"ustar\" magic at byte 257"
                throw offset == 0
                    ? BundleError.notATar(path: path, detail: detail)
                    : BundleError.invalidHeader(offset: offset, field: "magic", problem: "is not \"ustar\"")
            }
            let recorded = try Self.octal(block, 148, 8, offset: offset, field: "chksum")
            let computed = UInt64(Self.checksum(of: block))
            guard recorded == computed else {
                let problem = "is \(recorded) but the header bytes sum to \(computed) (corrupted header)"
                throw offset == 0
                    ? BundleError.notATar(path: path, detail: "header checksum \(problem)")
                    : BundleError.invalidHeader(offset: offset, field: "chksum", problem: problem)
            }
            let nameField = block[0..<100].prefix { $0 != 0 }
            let prefixField = block[345..<500].prefix { $0 != 0 }
            let name = String(decoding: nameField, as: UTF8.self)
            guard prefixField.isEmpty else {
                throw BundleError.unsafeMemberName(String(decoding: prefixField, as: UTF8.self) + "/" + name)
            }
            guard UpdateBundle.isSafeMemberName(Array(nameField)) else {
                throw BundleError.unsafeMemberName(name)
            }
            let flag = block[156]
            guard flag == UInt8(ascii: "0") || flag == 0 else {
                let shown = flag >= 0x20 && flag < 0x7f ? "'\(Character(Unicode.Scalar(flag)))'" : "byte \(flag)"
                throw BundleError.invalidHeader(
                    offset: offset, field: "typeflag of \(name)",
                    problem: "is \(shown); bundle members are regular files ('0'), no links, directories or pax headers")
            }
            self.name = name
            self.typeFlag = flag
            self.size =
                block[124] & 0x80 != 0
                ? try Self.base256(block, 124, 12, offset: offset)
                : try Self.octal(block, 124, 12, offset: offset, field: "size")
            self.mtime = Int64(try Self.octal(block, 136, 12, offset: offset, field: "mtime"))
        }

        /// An octal field: optional leading spaces, digits 0-7, ended by NUL, space or the
        /// field's end. Rejects anything else and values that do not fit.
        static func octal(_ block: [UInt8], _ start: Int, _ width: Int, offset: UInt64, field: String) throws -> UInt64 {
            var value: UInt64 = 0
            var index = start
            let end = start + width
            while index < end && block[index] == UInt8(ascii: " ") { index += 1 }
            var digits = 0
            while index < end, block[index] >= UInt8(ascii: "0"), block[index] <= UInt8(ascii: "7") {
                guard value <= (UInt64(Int64.max) >> 3) else {
                    throw BundleError.invalidHeader(offset: offset, field: field, problem: "is too large")
                }
                value = value << 3 | UInt64(block[index] - UInt8(ascii: "0"))
                index += 1
                digits += 1
            }
            guard index == end || block[index] == 0 || block[index] == UInt8(ascii: " ") else {
                throw BundleError.invalidHeader(
                    offset: offset, field: field, problem: "holds byte \(block[index]) where an octal digit, NUL or space is valid")
            }
            guard digits > 0 else {
                throw BundleError.invalidHeader(offset: offset, field: field, problem: "has no octal digits")
            }
            return value
        }

        /// A base-256 field: the first byte's high bit is the marker; the value must be
        /// non-negative and fit in 63 bits.
        static func base256(_ block: [UInt8], _ start: Int, _ width: Int, offset: UInt64) throws -> UInt64 {
            guard block[start] & 0x40 == 0 else {
                throw BundleError.invalidHeader(offset: offset, field: "size", problem: "is negative (base-256)")
            }
            var value: UInt64 = UInt64(block[start] & 0x3f)
            for index in (start + 1)..<(start + width) {
                guard value <= (UInt64(Int64.max) >> 8) else {
                    throw BundleError.invalidHeader(offset: offset, field: "size", problem: "is too large (base-256)")
                }
                value = value << 8 | UInt64(block[index])
            }
            return value
        }
    }

    /// A bundle member name: 1 to 99 bytes of letters, digits, '.', '-', '_', not "." or
    /// "..". No '/' at all, so extracting a bundle can never leave the target directory.
    static func isSafeMemberName(_ bytes: [UInt8]) -> Bool {
        guard (1...99).contains(bytes.count), bytes != [0x2e], bytes != [0x2e, 0x2e] else { return false }
        return bytes.allSatisfy { byte in
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
        }
    }
}
