import ByteCodec

extension JSONValue: CustomStringConvertible {
    /// Compact JSON text (no whitespace): members in order, numbers as their text, strings
    /// escaped as every Foundation-free module of the package escapes them (ByteCodec's
    /// `JSONString`). Always one line, as QMP wants each command.
    public var serialized: String {
        var text = ""
        serialize(into: &text)
        return text
    }

    public var description: String { serialized }

    /// Appends the compact text to `text`.
    public func serialize(into text: inout String) {
        switch self {
        case .object(let object):
            text += "{"
            for (position, member) in object.members.enumerated() {
                if position > 0 { text += "," }
                text += JSONString.quote(member.key)
                text += ":"
                member.value.serialize(into: &text)
            }
            text += "}"
        case .array(let elements):
            text += "["
            for (position, element) in elements.enumerated() {
                if position > 0 { text += "," }
                element.serialize(into: &text)
            }
            text += "]"
        case .string(let value): text += JSONString.quote(value)
        case .number(let number): text += number.text
        case .bool(let value): text += value ? "true" : "false"
        case .null: text += "null"
        }
    }
}
