import ByteCodec

/// Malformed JSON: the byte offset in the input where it went wrong, and what was wrong.
public struct JSONError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Bytes from the start of the input (UTF-8).
    public var offset: Int
    public var reason: String

    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    /// "invalid JSON at byte 12: expected ':' after an object member's name, found '}'".
    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}

extension JSONValue {
    /// How deep arrays and objects may nest by default: far deeper than anything QEMU sends
    /// (query-qmp-schema nests a handful of levels), shallow enough that a hostile peer
    /// cannot exhaust the stack of the reader's thread.
    public static let defaultDepthLimit = 128

    /// Parses one JSON text (RFC 8259): one value, whitespace around it, nothing else.
    /// Strings must be valid UTF-8 and may not hold a raw control character or a lone
    /// surrogate (`\uD800`); arrays and objects nest at most `depthLimit` deep.
    public init(parsing bytes: [UInt8], depthLimit: Int = JSONValue.defaultDepthLimit) throws(JSONError) {
        var parser = JSONParser(bytes, depthLimit: depthLimit)
        self = try parser.parseDocument()
    }

    /// Parses the UTF-8 of `text`.
    public init(parsing text: String, depthLimit: Int = JSONValue.defaultDepthLimit) throws(JSONError) {
        try self.init(parsing: Array(text.utf8), depthLimit: depthLimit)
    }
}

/// A recursive-descent parser over UTF-8 bytes. A NUL is appended as a sentinel, so a look
/// at `bytes[index]` never needs a bounds check; the real input ends at `end`.
struct JSONParser {
    private var bytes: [UInt8]
    private let end: Int
    private var index = 0
    private let depthLimit: Int

    init(_ input: [UInt8], depthLimit: Int) {
        bytes = input + [0]
        end = input.count
        self.depthLimit = depthLimit
    }

    mutating func parseDocument() throws(JSONError) -> JSONValue {
        let value = try parseValue(depth: 0)
        skipWhitespace()
        if index < end { throw failure("unexpected \(found) after the value") }
        return value
    }

    private mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        skipWhitespace()
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        case UInt8(ascii: "t"): return try parseLiteral("true", .bool(true))
        case UInt8(ascii: "f"): return try parseLiteral("false", .bool(false))
        case UInt8(ascii: "n"): return try parseLiteral("null", .null)
        default: throw failure("expected a value, found \(found)")
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
        try checkDepth(depth)
        index += 1
        var members: [JSONObject.Member] = []
        skipWhitespace()
        if bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(JSONObject(members))
        }
        while true {
            skipWhitespace()
            guard bytes[index] == UInt8(ascii: "\"") else { throw failure("expected an object member's name (a string), found \(found)") }
            let key = try parseString()
            skipWhitespace()
            guard bytes[index] == UInt8(ascii: ":") else { throw failure("expected ':' after an object member's name, found \(found)") }
            index += 1
            members.append(JSONObject.Member(key: key, value: try parseValue(depth: depth)))
            skipWhitespace()
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(JSONObject(members))
            }
            guard bytes[index] == UInt8(ascii: ",") else { throw failure("expected ',' or '}' after an object member, found \(found)") }
            index += 1
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONError) -> JSONValue {
        try checkDepth(depth)
        index += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            if bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            guard bytes[index] == UInt8(ascii: ",") else { throw failure("expected ',' or ']' after an array element, found \(found)") }
            index += 1
        }
    }

    private func checkDepth(_ depth: Int) throws(JSONError) {
        if depth > depthLimit { throw failure("arrays and objects nest deeper than \(depthLimit) levels") }
    }

    private mutating func parseNumber() throws(JSONError) -> JSONNumber {
        let start = index
        let scanned = JSONNumber.scan(bytes, from: start)
        index = scanned.end
        guard scanned.valid else { throw failure("expected a digit in the number, found \(found)") }
        if bytes[start] == UInt8(ascii: "0") || (bytes[start] == UInt8(ascii: "-") && bytes[start + 1] == UInt8(ascii: "0")),
           (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index])
        {
            throw failure("a number may not have a leading zero")
        }
        return JSONNumber(checked: String(decoding: bytes[start..<index], as: UTF8.self))
    }

    private mutating func parseLiteral(_ word: String, _ value: JSONValue) throws(JSONError) -> JSONValue {
        for byte in word.utf8 {
            guard bytes[index] == byte else { throw failure("expected '\(word)', found \(found)") }
            index += 1
        }
        return value
    }

    private mutating func skipWhitespace() {
        while true {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"): index += 1
            default: return
            }
        }
    }

    /// A string from its opening quote: escapes decoded, UTF-8 checked.
    private mutating func parseString() throws(JSONError) -> String {
        index += 1
        var text: [UInt8] = []
        while true {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try parseEscape(into: &text)
            case _ where index >= end:
                throw failure("the input ends inside a string")
            case 0..<0x20:
                throw failure("control character U+00\(hex(byte)) in a string must be escaped")
            case 0..<0x80:
                text.append(byte)
                index += 1
            default:
                let length = try utf8SequenceLength()
                text += bytes[index..<(index + length)]
                index += length
            }
        }
    }

    /// One backslash escape, appended as UTF-8; `\uXXXX` pairs surrogates.
    private mutating func parseEscape(into text: inout [UInt8]) throws(JSONError) {
        index += 1
        if index >= end { throw failure("the input ends inside a string") }
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C, UInt8(ascii: "/"): 0x2F, UInt8(ascii: "b"): 0x08,
            UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
        ]
        if let replacement = simple[bytes[index]] {
            text.append(replacement)
            index += 1
            return
        }
        guard bytes[index] == UInt8(ascii: "u") else { throw failure("unknown escape '\\\(Character(Unicode.Scalar(bytes[index])))'") }
        let start = index - 1
        var value = try parseHex4()
        if (0xDC00...0xDFFF).contains(value) { throw JSONError(offset: start, reason: "lone low surrogate \\u\(hex(value))") }
        if (0xD800...0xDBFF).contains(value) {
            guard bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw JSONError(offset: start, reason: "high surrogate \\u\(hex(value)) without a low surrogate after it")
            }
            index += 1
            let low = try parseHex4()
            guard (0xDC00...0xDFFF).contains(low) else {
                throw JSONError(offset: start, reason: "high surrogate \\u\(hex(value)) followed by \\u\(hex(low)), not a low surrogate")
            }
            value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
        }
        // Surrogates are excluded above, so the value is a scalar.
        guard let scalar = Unicode.Scalar(value) else { throw JSONError(offset: start, reason: "invalid escape") }
        text += Array(String(Character(scalar)).utf8)
    }

    /// `uXXXX` from its `u`: the four hex digits' value.
    private mutating func parseHex4() throws(JSONError) -> UInt32 {
        index += 1
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = Hex.digitValue(bytes[index]) else { throw failure("expected a hex digit in a \\u escape, found \(found)") }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// The length of the well-formed UTF-8 sequence at `index` (Unicode 15, table 3-7: no
    /// overlong forms, no surrogates, nothing past U+10FFFF).
    private func utf8SequenceLength() throws(JSONError) -> Int {
        let lead = bytes[index]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xE1...0xEF: length = 3
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        case 0xF1...0xF3: length = 4
        default: throw failure("invalid UTF-8 byte 0x\(hex(lead))")
        }
        for offset in 1..<length {
            let byte = index + offset < end ? bytes[index + offset] : 0
            let range = offset == 1 ? secondRange : 0x80...0xBF
            guard range.contains(byte) else {
                throw JSONError(offset: index + offset, reason: "invalid UTF-8: byte 0x\(hex(byte)) cannot continue the sequence at byte \(index)")
            }
        }
        return length
    }

    /// What is at `index`, for messages: a quoted character or "the end of the input".
    private var found: String {
        if index >= end { return "the end of the input" }
        let byte = bytes[index]
        if byte < 0x20 || byte >= 0x7F { return "byte 0x\(hex(byte))" }
        return "'\(Character(Unicode.Scalar(byte)))'"
    }

    private func failure(_ reason: String) -> JSONError { JSONError(offset: index, reason: reason) }

    private func hex(_ value: some BinaryInteger) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        let width = value > 0xFF ? 4 : 2
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
