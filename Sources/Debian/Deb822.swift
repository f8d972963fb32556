import Foundation

/// The deb822 control-file format (Debian Policy §5.1, deb822(5)): paragraphs of
/// `Field: value` lines separated by blank lines.
///
/// ```
/// Package: busybox            <- field: name, ':' , value (leading/trailing blanks dropped)
/// Description: tiny utilities <- first line of a multi-line value
///  second line                <- continuation: starts with a space or a tab
///  .                          <- " ." stands for an empty line inside the value
///                             <- blank line: ends the paragraph
/// # comment                   <- ignored (sources files allow them; indices never have them)
/// ```
///
/// The parser works on UTF-8 bytes: a whole `Packages` index (tens of thousands of paragraphs)
/// is parsed without ever walking `Character`s. Field names compare case-insensitively
/// (ASCII), field order is kept, and values are stored in their logical form: continuation
/// lines joined by `\n` with their one leading blank removed and " ." turned into an empty line.
public enum Deb822 {
    /// One `Name: value` pair. `name` keeps its spelling; lookups ignore ASCII case.
    public struct Field: Hashable, Sendable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// A paragraph: fields in file order, plus the line it started on (1-based, 0 when built
    /// in memory) so later stages can point at it.
    public struct Paragraph: Hashable, Sendable {
        public var fields: [Field]
        public var line: Int

        public init(_ fields: [Field] = [], line: Int = 0) {
            self.fields = fields
            self.line = line
        }

        public init(_ pairs: KeyValuePairs<String, String>) {
            self.init(pairs.map { Field(name: $0.key, value: $0.value) })
        }

        /// The value of a field, by case-insensitive name.
        public subscript(name: String) -> String? {
            get { fields.first { Deb822.sameName($0.name, name) }?.value }
            set {
                if let index = fields.firstIndex(where: { Deb822.sameName($0.name, name) }) {
                    if let newValue { fields[index].value = newValue } else { fields.remove(at: index) }
                } else if let newValue {
                    fields.append(Field(name: name, value: newValue))
                }
            }
        }
    }

    /// Malformed input, with the 1-based line it was found on.
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case missingColon(line: Int, text: String)
        case emptyFieldName(line: Int)
        case continuationWithoutField(line: Int)
        case duplicateField(line: Int, name: String, firstLine: Int)
        case invalidFieldName(line: Int, name: String)

        public var description: String {
            switch self {
            case .missingColon(let line, let text):
                return "line \(line): \"\(text)\" is not a field: a field is \"Name: value\" and a continuation line starts with a space"
            case .emptyFieldName(let line):
                return "line \(line): the field has no name before the ':'"
            case .continuationWithoutField(let line):
                return "line \(line): a continuation line (starting with a space) must follow a field, not begin a paragraph"
            case .duplicateField(let line, let name, let firstLine):
                return "line \(line): field \"\(name)\" appears twice in one paragraph (first on line \(firstLine))"
            case .invalidFieldName(let line, let name):
                return "line \(line): field name \"\(name)\" may not start with '#' or '-' or contain spaces"
            }
        }
    }

    /// ASCII case-insensitive comparison of two field names.
    @inlinable
    public static func sameName(_ a: String, _ b: String) -> Bool {
        var a = a, b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                guard x.count == y.count else { return false }
                for i in 0..<x.count where x[i] | 0x20 != y[i] | 0x20 {
                    // `| 0x20` folds A-Z onto a-z; it also folds a few punctuation pairs
                    // ('@'/'`', '['/'{'), which never occur in field names.
                    return false
                }
                return true
            }
        }
    }

    /// Parse a whole document.
    public static func parse(_ text: String, allowComments: Bool = true) throws -> [Paragraph] {
        var text = text
        return try text.withUTF8 { try parse(bytes: $0, allowComments: allowComments) }
    }

    /// Parse bytes (UTF-8; invalid sequences become U+FFFD in values).
    public static func parse(_ data: Data, allowComments: Bool = true) throws -> [Paragraph] {
        try data.withUnsafeBytes { raw in
            try parse(bytes: raw.assumingMemoryBound(to: UInt8.self), allowComments: allowComments)
        }
    }

    public static func parse(bytes: UnsafeBufferPointer<UInt8>, allowComments: Bool = true) throws -> [Paragraph] {
        var result: [Paragraph] = []
        try forEachParagraph(in: bytes, allowComments: allowComments) { result.append($0) }
        return result
    }

    /// Stream paragraphs to `body` without collecting them: what index loading uses.
    public static func forEachParagraph(
        in data: Data, allowComments: Bool = true, _ body: (Paragraph) throws -> Void
    ) throws {
        try data.withUnsafeBytes { raw in
            try forEachParagraph(
                in: raw.assumingMemoryBound(to: UInt8.self), allowComments: allowComments, body)
        }
    }

    public static func forEachParagraph(
        in bytes: UnsafeBufferPointer<UInt8>, allowComments: Bool = true, _ body: (Paragraph) throws -> Void
    ) throws {
        var parser = Parser(bytes: bytes, allowComments: allowComments)
        while let paragraph = try parser.next() { try body(paragraph) }
    }
}
