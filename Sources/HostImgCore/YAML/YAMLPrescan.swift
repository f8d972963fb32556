/// Checks a file's bytes before Yams sees them.
///
/// Yams' composer is recursive and hashes every mapping key to find duplicates, so two kinds
/// of input must never reach it: nesting deep enough to exhaust the stack, and keys that are
/// aliases or collections (an alias bomb used as a key costs exponential time to hash).
/// Manifest keys are plain words, so refusing complex keys loses nothing.
enum YAMLPrescan {
    /// Validates UTF-8 and the characters YAML allows; strips a byte-order mark.
    static func decode(_ bytes: [UInt8], file: String) -> Result<String, Diagnostic> {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        guard let text = String(validating: body, as: UTF8.self) else {
            let offset = firstInvalidUTF8(body)
            let at = location(ofByte: offset, in: body, file: file)
            return .failure(Diagnostic(.error, at, rule: "yaml.encoding",
                                       "file is not valid UTF-8 (first bad byte at offset \(offset - body.startIndex))",
                                       hint: "save the file as UTF-8; manifests are text"))
        }
        var line = 1
        var column = 1
        for scalar in text.unicodeScalars {
            let v = scalar.value
            let control = (v < 0x20 && v != 0x09 && v != 0x0A && v != 0x0D) || v == 0x7F
                || (v >= 0x80 && v <= 0x9F && v != 0x85) || v == 0xFFFE || v == 0xFFFF
            if control {
                let name = String(v, radix: 16, uppercase: true)
                return .failure(Diagnostic(.error, SourceLocation(file: file, line: line, column: column),
                                           rule: "yaml.encoding",
                                           "control character U+\(String(repeating: "0", count: max(0, 4 - name.count)))\(name) is not allowed in YAML",
                                           hint: "this looks like a binary file; remove the character or check the path"))
            }
            if scalar == "\n" {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return .success(text)
    }

    private static func firstInvalidUTF8(_ bytes: ArraySlice<UInt8>) -> Int {
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let lead = bytes[index]
            let length: Int
            switch lead {
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

    private static func location(ofByte offset: Int, in bytes: ArraySlice<UInt8>, file: String) -> SourceLocation {
        let before = bytes[bytes.startIndex ..< offset]
        let line = before.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
        let lineStart = before.lastIndex(of: 0x0A).map { $0 + 1 } ?? bytes.startIndex
        let column = (String(validating: bytes[lineStart ..< offset], as: UTF8.self)?.unicodeScalars.count ?? (offset - lineStart)) + 1
        return SourceLocation(file: file, line: line, column: column)
    }

    /// Nesting deeper than `maxDepth` (an over-estimate that counts indentation levels, `- `
    /// indicators and flow brackets) or a key that is not a plain scalar.
    static func structuralProblem(_ text: String, file: String, maxDepth: Int) -> Diagnostic? {
        var indents: [Int] = []
        var flowDepth = 0
        var quote: Character? = nil
        var blockScalarParent: Int? = nil
        var lineNumber = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let line = Array(rawLine.unicodeScalars.map(Character.init))
            let indent = line.prefix { $0 == " " }.count
            let blank = line.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\r" }
            if let parent = blockScalarParent {
                if blank || indent > parent { continue }
                blockScalarParent = nil
            }
            if blank && quote == nil { continue }
            if quote == nil && flowDepth == 0 {
                while let last = indents.last, last > indent { indents.removeLast() }
                if indents.last != indent { indents.append(indent) }
            }
            var dashes = 0
            var index = quote == nil ? indent : 0
            var atTokenStart = true
            func at(_ column: Int) -> SourceLocation { SourceLocation(file: file, line: lineNumber, column: column + 1) }
            while index < line.count {
                let c = line[index]
                let next: Character? = index + 1 < line.count ? line[index + 1] : nil
                let nextIsBreak = next == nil || next == " " || next == "\r" || next == "\t"
                if let open = quote {
                    if open == "\"" && c == "\\" { index += 2; continue }
                    if c == open {
                        if open == "'" && next == "'" { index += 2; continue }
                        quote = nil
                    }
                    index += 1
                    continue
                }
                switch c {
                case "#" where index == 0 || line[index - 1] == " " || line[index - 1] == "\t":
                    index = line.count
                    continue
                case "\"" where atTokenStart, "'" where atTokenStart:
                    quote = c
                case "-" where atTokenStart && nextIsBreak && flowDepth == 0:
                    dashes += 1
                case "?" where atTokenStart && nextIsBreak:
                    return Diagnostic(.error, at(index), rule: "yaml.alias-key",
                                      "explicit `?` keys are not supported in manifests",
                                      hint: "write the key as a plain word followed by `:`")
                case "[", "{":
                    flowDepth += 1
                    if indents.count + dashes + flowDepth > maxDepth {
                        return Diagnostic(.error, at(index), rule: "yaml.too-deep",
                                          "document nests more than \(maxDepth) levels deep",
                                          hint: "a manifest needs a handful of levels; check for runaway nesting")
                    }
                case "]", "}":
                    flowDepth = max(0, flowDepth - 1)
                    if followedByColon(line, from: index + 1) {
                        return Diagnostic(.error, at(index), rule: "yaml.alias-key",
                                          "a list or mapping is used as a key; manifest keys are plain words",
                                          hint: "write the key as a plain word")
                    }
                case "*" where atTokenStart:
                    var end = index + 1
                    while end < line.count, !" ,[]{}\r\t".contains(line[end]) { end += 1 }
                    if followedByColon(line, from: end) {
                        return Diagnostic(.error, at(index), rule: "yaml.alias-key",
                                          "an alias is used as a mapping key; manifest keys are plain words",
                                          hint: "write the key out instead of `\(String(line[index ..< end]))`")
                    }
                case "|" where atTokenStart, ">" where atTokenStart:
                    // A block scalar: its lines are content, not structure.
                    blockScalarParent = indent
                default:
                    break
                }
                atTokenStart = c == " " || c == "-" && atTokenStart || c == "[" || c == "{" || c == "," || c == ":"
                index += 1
            }
            let depth = indents.count + dashes + flowDepth
            if depth > maxDepth {
                return Diagnostic(.error, at(min(indent, max(0, line.count - 1))), rule: "yaml.too-deep",
                                  "document nests more than \(maxDepth) levels deep",
                                  hint: "a manifest needs a handful of levels; check for runaway nesting")
            }
        }
        return nil
    }

    private static func followedByColon(_ line: [Character], from start: Int) -> Bool {
        var index = start
        while index < line.count, line[index] == " " { index += 1 }
        guard index < line.count, line[index] == ":" else { return false }
        return index + 1 == line.count || " \r\t,".contains(line[index + 1])
    }

    /// The second occurrence of a duplicated block-mapping key: the next line that writes
    /// `name:` at the first occurrence's column before that mapping ends.
    static func repeatedKey(_ name: String, after first: SourceLocation, in text: String) -> SourceLocation? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard first.line < lines.count else { return nil }
        for number in (first.line + 1) ... lines.count {
            let line = Array(lines[number - 1].unicodeScalars.map(Character.init))
            guard let firstText = line.firstIndex(where: { $0 != " " && $0 != "-" }) else { continue }
            if line[firstText] == "#" { continue }
            let leading = line.firstIndex { $0 != " " } ?? 0
            // A line that starts left of the key (a new `- ` item too) ends the mapping.
            if leading < first.column - 1 { return nil }
            guard firstText == first.column - 1 else { continue }
            let rest = String(line[firstText...])
            if rest.hasPrefix(name) {
                let after = rest.dropFirst(name.count).drop { $0 == " " }
                if after.hasPrefix(":") { return SourceLocation(file: first.file, line: number, column: first.column) }
            }
        }
        return nil
    }
}
