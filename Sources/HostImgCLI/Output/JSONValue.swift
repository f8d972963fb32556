import ByteCodec

/// A JSON value and its one serialisation, shared by the JSON and SARIF formats.
///
/// Written by hand rather than with `JSONEncoder` so the output is the same on every platform
/// and Foundation version (Foundation on Linux and on macOS differ in spacing and in escaping
/// `/`), keys are always sorted, and rendering cannot fail: there are no floating-point
/// values to reject.
///
/// Layout: two-space indent, `"key": value`, one member or element per line, `{}` and `[]`
/// for empty containers, a final newline. Strings are escaped per RFC 8259 §7: `"`, `\` and
/// U+0000–U+001F; everything else is written as UTF-8.
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// A string, or `null` when absent.
    public static func string(_ value: String?) -> JSONValue {
        value.map { .string($0) } ?? .null
    }

    /// The pretty-printed document, keys sorted, ending in a newline.
    public var serialized: String {
        var out = ""
        write(to: &out, indent: 0)
        out += "\n"
        return out
    }

    private func write(to out: inout String, indent: Int) {
        switch self {
        case .null:
            out += "null"
        case .bool(let value):
            out += value ? "true" : "false"
        case .int(let value):
            out += String(value)
        case .string(let value):
            Self.writeString(value, to: &out)
        case .array(let elements):
            guard !elements.isEmpty else {
                out += "[]"
                return
            }
            out += "[\n"
            for (i, element) in elements.enumerated() {
                out += Self.padding(indent + 1)
                element.write(to: &out, indent: indent + 1)
                out += i == elements.count - 1 ? "\n" : ",\n"
            }
            out += Self.padding(indent) + "]"
        case .object(let members):
            guard !members.isEmpty else {
                out += "{}"
                return
            }
            out += "{\n"
            let keys = members.keys.sorted(by: Self.keyOrder)
            for (i, key) in keys.enumerated() {
                out += Self.padding(indent + 1)
                Self.writeString(key, to: &out)
                out += ": "
                members[key, default: .null].write(to: &out, indent: indent + 1)
                out += i == keys.count - 1 ? "\n" : ",\n"
            }
            out += Self.padding(indent) + "}"
        }
    }

    /// Keys in order of their UTF-8 bytes: plain byte order, independent of Unicode
    /// normalisation (which Swift's `<` on `String` applies). All keys written today are ASCII.
    private static func keyOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    private static func padding(_ level: Int) -> String {
        String(repeating: "  ", count: level)
    }

    private static func writeString(_ value: String, to out: inout String) {
        out += JSONString.quote(value)
    }
}
