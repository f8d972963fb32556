/// QEMU's JSON form of `-object` and `-device` (`-object '{"qom-type":"memory-backend-file",
/// "id":"ram0","size":1073741824,"mem-path":"/run/hostimg/preserved/web","share":true}'`, what
/// libvirt writes), read into the same pairs the `key=value` form gives, so one planner reads
/// both.
///
/// Only what the planner needs: one object whose members are strings (unescaped), numbers
/// (their text), `true`/`false` (`on`/`off`, as the `key=value` form spells them) or `null`
/// (left out). A nested object or array is kept as its JSON text, unread. Anything else is
/// an error naming the offset, so a command line the planner cannot read is never guessed at.
enum QEMUJSONObject {
    static func pairs(of text: String) throws(QEMUArgumentsError) -> [QEMUOptionList.Pair] {
        var reader = Reader(bytes: Array(text.utf8), text: text)
        var pairs: [QEMUOptionList.Pair] = []
        try reader.expect(UInt8(ascii: "{"))
        reader.skipSpace()
        if reader.peek() == UInt8(ascii: "}") {
            reader.index += 1
        } else {
            while true {
                let key = try reader.string()
                try reader.expect(UInt8(ascii: ":"))
                if let value = try reader.value() { pairs.append(QEMUOptionList.Pair(key, value)) }
                reader.skipSpace()
                guard reader.peek() == UInt8(ascii: ",") else { break }
                reader.index += 1
            }
            try reader.expect(UInt8(ascii: "}"))
        }
        reader.skipSpace()
        guard reader.index == reader.bytes.count else { throw reader.failure("text after the object") }
        return pairs
    }

    struct Reader {
        let bytes: [UInt8]
        let text: String
        var index = 0

        func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

        func failure(_ what: String) -> QEMUArgumentsError {
            .badOptionList(text, reason: "JSON: \(what) at byte \(index)")
        }

        mutating func skipSpace() {
            while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        mutating func expect(_ byte: UInt8) throws(QEMUArgumentsError) {
            skipSpace()
            guard peek() == byte else { throw failure("expected '\(Character(Unicode.Scalar(byte)))'") }
            index += 1
        }

        /// A member's value as the `key=value` form would spell it; nil for `null`.
        mutating func value() throws(QEMUArgumentsError) -> String? {
            skipSpace()
            switch peek() {
            case UInt8(ascii: "\""): return try string()
            case UInt8(ascii: "{"), UInt8(ascii: "["): return try nested()
            default:
                let start = index
                while let byte = peek(), !Self.isDelimiter(byte) { index += 1 }
                let word = String(decoding: bytes[start..<index], as: UTF8.self)
                switch word {
                case "true": return "on"
                case "false": return "off"
                case "null": return nil
                default:
                    guard let first = word.first, first == "-" || first.isNumber else { throw failure("unexpected '\(word)'") }
                    return word
                }
            }
        }

        static func isDelimiter(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]")
                || byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
        }

        /// A nested object or array, skipped with its strings, returned as its text.
        mutating func nested() throws(QEMUArgumentsError) -> String {
            let start = index
            var depth = 0
            repeat {
                guard let byte = peek() else { throw failure("an unterminated object or array") }
                switch byte {
                case UInt8(ascii: "\""): _ = try string(); continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                default: break
                }
                index += 1
            } while depth > 0
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        /// A string literal, its escapes (RFC 8259, section 7) undone.
        mutating func string() throws(QEMUArgumentsError) -> String {
            try expect(UInt8(ascii: "\""))
            var scalars = String.UnicodeScalarView()
            var run: [UInt8] = []
            func flush() {
                scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
                run.removeAll()
            }
            while true {
                guard let byte = peek() else { throw failure("an unterminated string") }
                index += 1
                if byte == UInt8(ascii: "\"") { break }
                guard byte == UInt8(ascii: "\\") else {
                    guard byte >= 0x20 else { throw failure("a control character in a string") }
                    run.append(byte)
                    continue
                }
                flush()
                scalars.append(try escaped())
            }
            flush()
            return String(scalars)
        }

        /// The character after a backslash.
        mutating func escaped() throws(QEMUArgumentsError) -> Unicode.Scalar {
            guard let byte = peek() else { throw failure("an unterminated escape") }
            index += 1
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): return Unicode.Scalar(byte)
            case UInt8(ascii: "n"): return "\n"
            case UInt8(ascii: "t"): return "\t"
            case UInt8(ascii: "r"): return "\r"
            case UInt8(ascii: "b"): return "\u{08}"
            case UInt8(ascii: "f"): return "\u{0C}"
            case UInt8(ascii: "u"):
                let high = try hex4()
                guard (0xD800..<0xDC00).contains(high) else {
                    guard let scalar = Unicode.Scalar(high) else { throw failure("a lone low surrogate") }
                    return scalar
                }
                guard peek() == UInt8(ascii: "\\") else { throw failure("a lone high surrogate") }
                index += 1
                guard peek() == UInt8(ascii: "u") else { throw failure("a lone high surrogate") }
                index += 1
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low),
                      let scalar = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
                else { throw failure("a bad surrogate pair") }
                return scalar
            default: throw failure("an unknown escape")
            }
        }

        mutating func hex4() throws(QEMUArgumentsError) -> UInt32 {
            guard index + 4 <= bytes.count, bytes[index..<(index + 4)].allSatisfy({ Character(Unicode.Scalar($0)).isHexDigit }),
                  let value = UInt32(String(decoding: bytes[index..<(index + 4)], as: UTF8.self), radix: 16)
            else { throw failure("a bad \\u escape") }
            index += 4
            return value
        }
    }
}
