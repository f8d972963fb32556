/// Checks a file's text before Yams sees it, and finds positions Yams does not report.
///
/// Yams' composer hashes every mapping key to find duplicates. A key that is an alias (or a
/// collection holding one) of an alias bomb costs exponential time to hash, so such keys must
/// never reach it. Manifest keys are plain words, so this check refuses every alias key,
/// explicit `?` key and collection key — on the raw text, independent of quoting, so nothing a
/// file does with quotes or block scalars can hide a key from it. It may refuse a quoted string
/// that merely looks like such a key; the message says what to change.
///
/// Nesting needs no check here: libyaml refuses nesting deeper than 1000 levels (mapped to
/// `yaml.too-deep`), which keeps Yams' recursion bounded, and the converter refuses more than
/// `YAMLLoader.maxDepth`.
enum YAMLPrescan {
    /// The file's lines, split at every line break YAML knows: LF, CRLF, CR, NEL, LS and PS
    /// (as libyaml does, so line numbers agree with its marks).
    static func lines(of text: String) -> [[Unicode.Scalar]] {
        var result: [[Unicode.Scalar]] = []
        var current: [Unicode.Scalar] = []
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            if previousWasCR {
                previousWasCR = false
                if scalar == "\n" { continue }
            }
            switch scalar {
            case "\n", "\u{85}", "\u{2028}", "\u{2029}":
                result.append(current)
                current = []
            case "\r":
                result.append(current)
                current = []
                previousWasCR = true
            default:
                current.append(scalar)
            }
        }
        result.append(current)
        return result
    }

    /// Validates UTF-8 and the characters YAML allows; strips a byte-order mark.
    static func decode(_ bytes: [UInt8], file: String) -> Result<String, Diagnostic> {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        guard let text = String(validating: body, as: UTF8.self) else {
            let offset = firstInvalidUTF8(body)
            let prefix = String(decoding: body[body.startIndex ..< offset], as: UTF8.self)
            let prefixLines = lines(of: prefix)
            let at = SourceLocation(file: file, line: prefixLines.count, column: (prefixLines.last?.count ?? 0) + 1)
            return .failure(Diagnostic(.error, at, rule: "yaml.encoding",
                                       "file is not valid UTF-8 (first bad byte at offset \(offset - body.startIndex))",
                                       hint: "save the file as UTF-8; manifests are text"))
        }
        for (index, line) in lines(of: text).enumerated() {
            for (column, scalar) in line.enumerated() where isForbidden(scalar) {
                let name = String(scalar.value, radix: 16, uppercase: true)
                let padded = String(repeating: "0", count: max(0, 4 - name.count)) + name
                return .failure(Diagnostic(.error, SourceLocation(file: file, line: index + 1, column: column + 1),
                                           rule: "yaml.encoding", "control character U+\(padded) is not allowed in YAML",
                                           hint: "this looks like a binary file; remove the character or check the path"))
            }
        }
        return .success(text)
    }

    /// C0 controls but tab, DEL, C1 controls, and the non-characters U+FFFE/U+FFFF.
    private static func isForbidden(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return (v < 0x20 && v != 0x09) || v == 0x7F || (v >= 0x80 && v <= 0x9F) || v == 0xFFFE || v == 0xFFFF
    }

    private static func firstInvalidUTF8(_ bytes: ArraySlice<UInt8>) -> Int {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let length: Int
            switch bytes[index] {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: return index
            }
            if index + length > bytes.endIndex { return index }
            if String(validating: bytes[index ..< index + length], as: UTF8.self) == nil { return index }
            index += length
        }
        return index
    }

    /// Characters libyaml allows in anchor and alias names.
    private static func isAnchorCharacter(_ c: Unicode.Scalar) -> Bool {
        c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "-" || c == "_")
    }

    private static func isBlank(_ c: Unicode.Scalar?) -> Bool { c == nil || c == " " || c == "\t" }

    /// The first alias key, explicit `?` key or collection key, if any.
    static func complexKey(_ text: String, file: String) -> Diagnostic? {
        for (number, line) in lines(of: text).enumerated() {
            func at(_ column: Int) -> SourceLocation { SourceLocation(file: file, line: number + 1, column: column + 1) }
            func colonFollows(_ start: Int) -> Bool {
                var index = start
                while index < line.count, line[index] == " " || line[index] == "\t" { index += 1 }
                return index < line.count && line[index] == ":"
            }
            var previous: Unicode.Scalar? = nil // the last non-blank character before `index`
            for index in line.indices {
                let c = line[index]
                let next: Unicode.Scalar? = index + 1 < line.count ? line[index + 1] : nil
                let afterIndicator = previous == nil || "-?:{[,".unicodeScalars.contains(previous ?? " ")
                switch c {
                case "*" where afterIndicator && next.map(isAnchorCharacter) == true:
                    var end = index + 1
                    while end < line.count, isAnchorCharacter(line[end]) { end += 1 }
                    if colonFollows(end) {
                        let name = String(String.UnicodeScalarView(line[index ..< end]))
                        return Diagnostic(.error, at(index), rule: "yaml.alias-key",
                                          "an alias (\(name)) is used as a mapping key; manifest keys are plain words",
                                          hint: "write the key out instead of \(name) (or quote the text if it is not meant as an alias)")
                    }
                case "?" where isBlank(next) && (previous == nil || "-{[,".unicodeScalars.contains(previous ?? " ")):
                    return Diagnostic(.error, at(index), rule: "yaml.alias-key",
                                      "explicit `?` keys are not supported in manifests",
                                      hint: "write the key as a plain word followed by `:`")
                case "]" where colonFollows(index + 1), "}" where colonFollows(index + 1):
                    return Diagnostic(.error, at(index), rule: "yaml.alias-key",
                                      "a list or mapping is used as a key; manifest keys are plain words",
                                      hint: "write the key as a plain word (or quote the text if it is a string)")
                default:
                    break
                }
                if c != " " && c != "\t" { previous = c }
            }
        }
        return nil
    }

    /// The second occurrence of a duplicated key, given the first (Yams reports only that).
    /// In a block mapping: the next line that writes the key, plain or quoted, at the first
    /// one's column before the mapping ends. In a flow mapping: the next `key:` after it.
    static func repeatedKey(_ name: String, after first: SourceLocation, in text: String) -> SourceLocation? {
        let lines = lines(of: text)
        guard first.line >= 1, first.line <= lines.count else { return nil }
        let column = first.column - 1
        let spellings = [name, "\"\(name)\"", "'\(name)'"].map { Array($0.unicodeScalars) }
        func keyAt(_ line: [Unicode.Scalar], _ index: Int) -> Bool {
            for spelling in spellings where line[index...].starts(with: spelling) {
                var end = index + spelling.count
                while end < line.count, line[end] == " " || line[end] == "\t" { end += 1 }
                if end < line.count, line[end] == ":" { return true }
            }
            return false
        }
        let firstLine = lines[first.line - 1]
        let blockContext = firstLine.prefix(column).allSatisfy { $0 == " " || $0 == "-" }
        if blockContext {
            for number in first.line ..< lines.count {
                let line = lines[number]
                guard let leading = line.firstIndex(where: { $0 != " " }), line[leading] != "#" else { continue }
                // A line that starts left of the key (a new `- ` item too) ends the mapping.
                if leading < column { return nil }
                let keyStart = line.firstIndex { $0 != " " && $0 != "-" } ?? line.count
                if keyStart == column, keyAt(line, column) {
                    return SourceLocation(file: first.file, line: number + 1, column: first.column)
                }
            }
            return nil
        }
        var start = column + 1
        for number in (first.line - 1) ..< lines.count {
            let line = lines[number]
            var previous: Unicode.Scalar? = number == first.line - 1 ? firstLine[column] : nil
            for index in line.indices where index >= start {
                if (previous == "{" || previous == "," || previous == nil), keyAt(line, index) {
                    return SourceLocation(file: first.file, line: number + 1, column: index + 1)
                }
                if line[index] != " " && line[index] != "\t" { previous = line[index] }
            }
            start = 0
        }
        return nil
    }
}
