/// A JSON string literal (RFC 8259, section 7): quote, backslash and control characters
/// escaped (`\n`, `\r`, `\t`, `\b`, `\f` short, the rest `\u00XX`), everything else as UTF-8. The
/// hand-written JSON of the Foundation-free modules (the bundle manifest, the agent's
/// report, the CLI's --json output) shares it, so all escape alike.
public enum JSONString {
    public static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\u{08}": result += "\\b"
            case "\u{0C}": result += "\\f"
            case _ where scalar.value < 0x20:
                result += "\\u" + Hex.encode(scalar.value, digits: 4)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
