import ByteCodec

/// The two encodings a verity-sig partition needs, written without Foundation so that the
/// initrd's init (Sources/HostImgInit, linked statically, no Foundation) reads the partition
/// with the same code that writes and verifies it at build time.
///
/// - `FlatJSON`: one JSON object whose values are all strings (RFC 8259 §4, §7), which is
///   every verity-sig partition systemd-repart or hostimg writes. A value of another type is
///   refused with its position, as are duplicate keys (RFC 8259 leaves them undefined, and a
///   signature partition with two root hashes is an attack, not an accident).
/// - `Base64`: RFC 4648 §4, the standard alphabet with "=" padding required.
enum FlatJSON {
    /// The members of the object in `bytes`, in order, followed by nothing but JSON white
    /// space. Throws `DMVerityError.signatureMalformed` naming the byte offset of a problem.
    static func parseObject(_ bytes: ArraySlice<UInt8>) throws(DMVerityError) -> [(key: String, value: String)] {
        var reader = Reader(bytes: bytes, index: bytes.startIndex)
        let members = try reader.object()
        reader.skipSpace()
        guard reader.index == bytes.endIndex else {
            throw reader.fail("text after the JSON object's closing brace")
        }
        return members
    }

    private struct Reader {
        let bytes: ArraySlice<UInt8>
        var index: Int

        func fail(_ problem: String) -> DMVerityError {
            .signatureMalformed("the content is not JSON of the verity-sig kind: byte \(index - bytes.startIndex): \(problem)")
        }

        mutating func skipSpace() {
            while index < bytes.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ char: Character) throws(DMVerityError) {
            skipSpace()
            guard index < bytes.endIndex, bytes[index] == char.asciiValue else {
                let found = index < bytes.endIndex ? "0x" + Hex.encode([bytes[index]]) : "the end"
                throw fail("expected \"\(char)\", found \(found)")
            }
            index += 1
        }

        mutating func object() throws(DMVerityError) -> [(key: String, value: String)] {
            skipSpace()
            guard index < bytes.endIndex, bytes[index] == UInt8(ascii: "{") else {
                throw fail("not an object (a verity-sig partition starts with \"{\")")
            }
            index += 1
            var members: [(key: String, value: String)] = []
            var keys: Set<String> = []
            skipSpace()
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return members
            }
            while true {
                let key = try string(what: "a key")
                try expect(":")
                let value = try string(what: "the value of \"\(key)\", which is not a string (only string values are allowed)")
                guard keys.insert(key).inserted else { throw fail("the key \"\(key)\" appears twice") }
                members.append((key, value))
                skipSpace()
                guard index < bytes.endIndex else { throw fail("the object is not closed") }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect("}")
                return members
            }
        }

        mutating func string(what: String) throws(DMVerityError) -> String {
            skipSpace()
            guard index < bytes.endIndex, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected \(what)") }
            index += 1
            var out: [UInt8] = []
            while index < bytes.endIndex {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index < bytes.endIndex else { throw fail("the string ends inside an escape") }
                    let escaped = bytes[index]
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        guard index + 4 <= bytes.endIndex,
                            let unit = UInt16(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16),
                            let scalar = Unicode.Scalar(unit)
                        else { throw fail("\\u needs four hex digits of a character outside the surrogate range") }
                        index += 4
                        out += Array(String(Character(scalar)).utf8)
                    default:
                        throw fail("unknown escape \\\(Character(Unicode.Scalar(escaped)))")
                    }
                case 0..<0x20:
                    throw fail("control byte 0x\(Hex.encode([byte])) inside a string")
                default:
                    out.append(byte)
                }
            }
            throw fail("a string is not closed before the end")
        }
    }
}

enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let count = min(3, bytes.count - index)
            var word: UInt32 = 0
            for offset in 0..<3 { word = word << 8 | UInt32(offset < count ? bytes[index + offset] : 0) }
            for position in 0..<4 {
                out.append(position <= count ? alphabet[Int(word >> (18 - 6 * UInt32(position)) & 0x3F)] : UInt8(ascii: "="))
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Nil unless `text` is canonical padded base64 (length a multiple of 4, "=" only as the
    /// last one or two characters).
    static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 4 * 3)
        var chunk = 0
        while chunk < chars.count {
            var word: UInt32 = 0
            var padding = 0
            for offset in 0..<4 {
                let char = chars[chunk + offset]
                if char == UInt8(ascii: "=") {
                    guard chunk + 4 == chars.count, offset >= 2 else { return nil }
                    padding += 1
                    word <<= 6
                    continue
                }
                guard padding == 0, let value = alphabet.firstIndex(of: char) else { return nil }
                word = word << 6 | UInt32(value)
            }
            out += [UInt8(word >> 16 & 0xFF), UInt8(word >> 8 & 0xFF), UInt8(word & 0xFF)].prefix(3 - padding)
            chunk += 4
        }
        return out
    }
}
