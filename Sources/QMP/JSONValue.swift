/// A JSON value (RFC 8259), as QMP sends and takes them: objects keep their members in the
/// order they were written, numbers keep their text (so an integer stays an integer, and
/// 2^64 − 1 stays exact), strings are Unicode.
///
/// ```swift
/// let arguments: JSONValue = ["capabilities": [["capability": "x-ignore-shared", "state": true]]]
/// let status = try JSONValue(parsing: #"{"return": {"status": "completed"}}"#)
/// status["return"]?["status"]?.string   // "completed"
/// ```
///
/// Parsing is in JSONValue+Parser.swift, writing in JSONValue+Serializer.swift.
public enum JSONValue: Hashable, Sendable {
    case object(JSONObject)
    case array([JSONValue])
    case string(String)
    case number(JSONNumber)
    case bool(Bool)
    case null

    /// An integer number.
    public static func integer(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }

    /// An object's member `key` (the first, when a sender repeated it); nil when this is not
    /// an object or has no such member.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let object) = self else { return nil }
        return object[key]
    }

    /// An array's element at `index`; nil when this is not an array or is shorter.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }

    public var string: String? {
        guard case .string(let value) = self else { return nil }
        return value
    }

    /// An integer number that fits `Int`; nil for a fraction, an exponent or anything else.
    public var int: Int? {
        guard case .number(let number) = self, let value = number.int64 else { return nil }
        return Int(exactly: value)
    }

    /// An integer number that fits `Int64`.
    public var int64: Int64? {
        guard case .number(let number) = self else { return nil }
        return number.int64
    }

    /// A non-negative integer number that fits `UInt64` (QEMU's byte counts).
    public var uint64: UInt64? {
        guard case .number(let number) = self else { return nil }
        return number.uint64
    }

    /// Any number, as the nearest `Double`; nil when it is not a number or too large.
    public var double: Double? {
        guard case .number(let number) = self else { return nil }
        return number.double
    }

    public var bool: Bool? {
        guard case .bool(let value) = self else { return nil }
        return value
    }

    public var array: [JSONValue]? {
        guard case .array(let elements) = self else { return nil }
        return elements
    }

    public var object: JSONObject? {
        guard case .object(let object) = self else { return nil }
        return object
    }

    public var isNull: Bool { self == .null }
}

/// A JSON object: its members in the order they were written or built. Names may repeat
/// (RFC 8259 allows it, with unpredictable meaning); lookups take the first.
public struct JSONObject: Hashable, Sendable {
    /// One `"name": value` pair.
    public struct Member: Hashable, Sendable {
        public var key: String
        public var value: JSONValue

        public init(key: String, value: JSONValue) {
            self.key = key
            self.value = value
        }
    }

    public var members: [Member]

    public init(_ members: [Member] = []) {
        self.members = members
    }

    /// The first member named `key`. Setting replaces that member's value in place, or adds
    /// a member at the end; setting nil removes every member named `key`.
    public subscript(key: String) -> JSONValue? {
        get { members.first { $0.key == key }?.value }
        set {
            guard let newValue else {
                members.removeAll { $0.key == key }
                return
            }
            if let index = members.firstIndex(where: { $0.key == key }) {
                members[index].value = newValue
            } else {
                members.append(Member(key: key, value: newValue))
            }
        }
    }

    /// The member names, in order.
    public var keys: [String] { members.map(\.key) }
}

/// A JSON number as written (RFC 8259, section 6): `-? int frac? exp?`. Two numbers are
/// equal when their text is (1.0 and 1.00 differ), which keeps a parse–serialize round trip
/// exact.
public struct JSONNumber: Hashable, Sendable, CustomStringConvertible {
    /// The number's text, valid JSON.
    public let text: String

    public init(_ value: Int) { text = String(value) }
    public init(_ value: Int64) { text = String(value) }
    public init(_ value: UInt64) { text = String(value) }

    /// Nil for NaN and the infinities, which JSON cannot write.
    public init?(_ value: Double) {
        guard value.isFinite else { return nil }
        // Swift writes the shortest text that reads back as the same Double ("0.1", "1e-07",
        // "1.0"), all of it valid JSON.
        text = value.description
    }

    /// Nil unless `text` follows the JSON number grammar exactly.
    public init?(text: String) {
        var bytes = Array(text.utf8)
        bytes.append(0)
        let scanned = JSONNumber.scan(bytes, from: 0)
        guard scanned.valid, scanned.end == bytes.count - 1 else { return nil }
        self.text = text
    }

    /// A parser's text, already checked.
    init(checked text: String) {
        self.text = text
    }

    /// No fraction and no exponent.
    public var isInteger: Bool { !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") } }

    /// The integer, when it is one and fits.
    public var int64: Int64? { isInteger ? Int64(text) : nil }

    /// The non-negative integer, when it is one and fits ("-0" is 0).
    public var uint64: UInt64? {
        guard isInteger else { return nil }
        return text == "-0" ? 0 : UInt64(text)
    }

    /// The nearest Double; nil when the magnitude is beyond Double's range.
    public var double: Double? {
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }

    public var description: String { text }

    /// How far a number that starts at `start` in `bytes` follows the grammar: `end` is the
    /// index after it, or, when `valid` is false, of the byte where a digit was missing.
    /// `bytes` must end with a byte that cannot continue a number (the parser's sentinel NUL).
    static func scan(_ bytes: [UInt8], from start: Int) -> (end: Int, valid: Bool) {
        var index = start
        func digits() -> Bool {
            let first = index
            while (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index > first
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if !digits() {
            return (index, false)
        }
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() else { return (index, false) }
        }
        if bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() else { return (index, false) }
        }
        return (index, true)
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .integer(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(nilLiteral: ()) { self = .null }

    /// Members in the literal's order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements.map { JSONObject.Member(key: $0.0, value: $0.1) }))
    }
}
