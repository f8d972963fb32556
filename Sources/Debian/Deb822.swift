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
/// This is the package's one deb822 reader: `Packages` indices, lock files, `Release` files,
/// APT `.sources` files and the `control` file of every unpacked `.deb` all go through it.
///
/// The parser works on UTF-8 bytes: a whole `Packages` index (tens of thousands of paragraphs)
/// is parsed without ever walking `Character`s. Field names compare case-insensitively
/// (ASCII), field order is kept, and values are stored in their logical form: continuation
/// lines joined by `\n` with their one leading blank removed and " ." turned into an empty line.
/// On request each field also keeps its raw text, because dpkg's status file repeats a
/// package's control fields byte for byte and the logical form cannot give those bytes back.
public enum Deb822 {
    /// One `Name: value` pair. `name` keeps its spelling; lookups ignore ASCII case.
    public struct Field: Hashable, Sendable, Codable {
        public var name: String
        /// The logical value (see `Deb822`).
        public var value: String
        /// 1-based line the field starts on; 0 when built in memory.
        public var line: Int
        /// The field exactly as written, from the first byte of its name to the end of its last
        /// continuation line, without that line's newline: original spacing, trailing blanks,
        /// `\r`s and any comment line between its lines included. nil unless parsed with
        /// `keepRawText`, and once the value is changed through `Paragraph`'s subscript.
        /// `serialize` writes it in place of the value.
        public var raw: String?

        public init(name: String, value: String, line: Int = 0, raw: String? = nil) {
            self.name = name
            self.value = value
            self.line = line
            self.raw = raw
        }
    }

    /// A paragraph: fields in file order, plus the line it started on (1-based, 0 when built
    /// in memory) so later stages can point at it.
    public struct Paragraph: Hashable, Sendable, Codable {
        public var fields: [Field]
        public var line: Int

        public init(_ fields: [Field] = [], line: Int = 0) {
            self.fields = fields
            self.line = line
        }

        public init(_ pairs: KeyValuePairs<String, String>) {
            self.init(pairs.map { Field(name: $0.key, value: $0.value) })
        }

        /// A field by case-insensitive name (Policy §5.1), for its line or raw text.
        public func field(_ name: String) -> Field? {
            fields.first { Deb822.sameName($0.name, name) }
        }

        /// The value of a field, by case-insensitive name. Setting a value drops the field's
        /// raw text (it would no longer match); a new field goes last.
        public subscript(name: String) -> String? {
            get { field(name)?.value }
            set {
                if let index = fields.firstIndex(where: { Deb822.sameName($0.name, name) }) {
                    if let newValue {
                        fields[index].value = newValue
                        fields[index].raw = nil
                    } else {
                        fields.remove(at: index)
                    }
                } else if let newValue {
                    fields.append(Field(name: name, value: newValue))
                }
            }
        }
    }

    /// Malformed input, with the 1-based line it was found on.
    public enum Error: Swift.Error, Equatable, Sendable, CustomStringConvertible {
        case missingColon(line: Int, text: String)
        case emptyFieldName(line: Int)
        case continuationWithoutField(line: Int)
        case duplicateField(line: Int, name: String, firstLine: Int)
        case invalidFieldName(line: Int, name: String)

        public var line: Int {
            switch self {
            case .missingColon(let line, _), .emptyFieldName(let line), .continuationWithoutField(let line),
                 .duplicateField(let line, _, _), .invalidFieldName(let line, _):
                return line
            }
        }

        /// What is wrong, without the line: for callers that print `file:line: reason`.
        public var reason: String {
            switch self {
            case .missingColon(_, let text):
                return "\"\(text)\" is not a field: a field is \"Name: value\" and a continuation line starts with a space"
            case .emptyFieldName:
                return "the field has no name before the ':'"
            case .continuationWithoutField:
                return "a continuation line (starting with a space) must follow a field, not begin a paragraph"
            case .duplicateField(_, let name, let firstLine):
                return "field \"\(name)\" appears twice in one paragraph (first on line \(firstLine))"
            case .invalidFieldName(_, let name):
                return "field name \"\(name)\" may not start with '#' or '-' or contain spaces"
            }
        }

        public var description: String { "line \(line): \(reason)" }
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
    ///
    /// - Parameters:
    ///   - allowComments: `#` lines are comments. Policy §5.1 permits them only in
    ///     `debian/control` and deb822 sources lists; elsewhere a `#` line is an invalid field.
    ///   - keepRawText: fill each field's `raw` (costs a string per field: leave it off for
    ///     indices).
    public static func parse(_ text: String, allowComments: Bool = true, keepRawText: Bool = false) throws(Error) -> [Paragraph] {
        var text = text
        return try text.withUTF8 { bytes in
            Result { () throws(Error) in try parse(bytes: bytes, allowComments: allowComments, keepRawText: keepRawText) }
        }.get()
    }

    /// Parse bytes (UTF-8; invalid sequences become U+FFFD in values).
    public static func parse(_ data: Data, allowComments: Bool = true, keepRawText: Bool = false) throws(Error) -> [Paragraph] {
        try data.withUnsafeBytes { raw in
            Result { () throws(Error) in
                try parse(bytes: raw.assumingMemoryBound(to: UInt8.self), allowComments: allowComments, keepRawText: keepRawText)
            }
        }.get()
    }

    public static func parse(
        bytes: UnsafeBufferPointer<UInt8>, allowComments: Bool = true, keepRawText: Bool = false
    ) throws(Error) -> [Paragraph] {
        var parser = Parser(bytes: bytes, allowComments: allowComments, keepRawText: keepRawText)
        var result: [Paragraph] = []
        while let paragraph = try parser.next() { result.append(paragraph) }
        return result
    }

    /// Stream paragraphs to `body` without collecting them: what index loading uses. Throws
    /// what `body` throws, or a `Deb822.Error`.
    public static func forEachParagraph(
        in data: Data, allowComments: Bool = true, _ body: (Paragraph) throws -> Void
    ) throws {
        try data.withUnsafeBytes { raw in
            try forEachParagraph(in: raw.assumingMemoryBound(to: UInt8.self), allowComments: allowComments, body)
        }
    }

    public static func forEachParagraph(
        in bytes: UnsafeBufferPointer<UInt8>, allowComments: Bool = true, _ body: (Paragraph) throws -> Void
    ) throws {
        var parser = Parser(bytes: bytes, allowComments: allowComments, keepRawText: false)
        while let paragraph = try parser.next() { try body(paragraph) }
    }
}
