/// A minimal reader for deb822 control data (Debian Policy §5.1), enough for `Release` files
/// and APT `.sources` files: paragraphs separated by blank lines, `Field: value` lines,
/// continuation lines starting with a space or tab, `#` comment lines (allowed in `.sources`).
///
/// The `Debian` module grows a full parser for `Packages` and `control`; this one exists so the
/// repository client does not depend on an API that is still being written.
struct Deb822Paragraph: Sendable {
    /// A field as written: its name, value (continuation lines joined with "\n", the leading
    /// space of each removed; a lone "." line means an empty line) and 1-based line number.
    struct Field: Sendable {
        var name: String
        var value: String
        var line: Int
    }

    var fields: [Field] = []
    /// Line of the first field.
    var line: Int = 0

    /// Field names are case-insensitive (Policy §5.1).
    subscript(name: String) -> String? {
        let key = name.lowercased()
        return fields.first { $0.name.lowercased() == key }?.value
    }

    func lineOf(_ name: String) -> Int {
        let key = name.lowercased()
        return fields.first { $0.name.lowercased() == key }?.line ?? line
    }

    struct ParseError: Error, Sendable {
        var line: Int
        var reason: String
    }

    /// Splits `text` into paragraphs. Comment lines are skipped everywhere.
    static func parse(_ text: String) throws -> [Deb822Paragraph] {
        var paragraphs: [Deb822Paragraph] = []
        var current = Deb822Paragraph()
        var lineNumber = 0
        func flush() {
            if !current.fields.isEmpty { paragraphs.append(current) }
            current = Deb822Paragraph()
        }
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if line.hasPrefix("#") { continue }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) {
                flush()
                continue
            }
            if line.first == " " || line.first == "\t" {
                guard !current.fields.isEmpty else {
                    throw ParseError(line: lineNumber, reason: "continuation line without a field before it")
                }
                let content = line.drop { $0 == " " || $0 == "\t" }
                let text = content == "." ? "" : String(content)
                let index = current.fields.count - 1
                if current.fields[index].value.isEmpty {
                    current.fields[index].value = text
                } else {
                    current.fields[index].value += "\n" + text
                }
                continue
            }
            guard let colon = line.firstIndex(of: ":") else {
                throw ParseError(line: lineNumber, reason: "expected \"Field: value\", found \"\(line)\"")
            }
            let name = String(line[..<colon])
            guard !name.isEmpty, !name.contains(" ") else {
                throw ParseError(line: lineNumber, reason: "invalid field name \"\(name)\"")
            }
            let value = line[line.index(after: colon)...].trimmingSpaces
            if current.fields.isEmpty { current.line = lineNumber }
            current.fields.append(Field(name: name, value: String(value), line: lineNumber))
        }
        flush()
        return paragraphs
    }
}

extension StringProtocol {
    /// Leading and trailing spaces and tabs removed.
    var trimmingSpaces: Substring {
        let scalars = Substring(self)
        let start = scalars.firstIndex { $0 != " " && $0 != "\t" } ?? scalars.endIndex
        let end = scalars.lastIndex { $0 != " " && $0 != "\t" }.map { scalars.index(after: $0) } ?? start
        return scalars[start..<Swift.max(start, end)]
    }

    /// Whitespace-separated words.
    var words: [String] {
        let separators: Set<Character> = [" ", "\t", "\n"]
        return self.split(omittingEmptySubsequences: true, whereSeparator: { separators.contains($0) }).map { String($0) }
    }
}
