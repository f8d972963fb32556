import Foundation

extension Deb822 {
    /// A single pass over the bytes, one line at a time. Single-line values become `String`s
    /// straight from the input slice; only multi-line values go through a scratch buffer. Raw
    /// text, when kept, is one more slice of the input: a field's lines are contiguous there.
    struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        let allowComments: Bool
        let keepRawText: Bool
        var position = 0
        var lineNumber = 0
        var scratch: [UInt8] = []

        init(bytes: UnsafeBufferPointer<UInt8>, allowComments: Bool, keepRawText: Bool) {
            self.bytes = bytes
            self.allowComments = allowComments
            self.keepRawText = keepRawText
        }

        /// The field being read: its name (nil between fields), name line, first-line value
        /// range, where its last line ends (before the newline), and whether continuation
        /// lines went to `scratch`. One value updated in place: no copy per line.
        struct Pending {
            var name: String?
            var line = 0
            var start = 0
            var valueStart = 0
            var valueEnd = 0
            var rawEnd = 0
            var multiline = false
        }

        private static let space: UInt8 = 0x20, tab: UInt8 = 0x09, newline: UInt8 = 0x0A
        private static let carriageReturn: UInt8 = 0x0D, colon: UInt8 = 0x3A, hash: UInt8 = 0x23
        private static let dot: UInt8 = 0x2E, dash: UInt8 = 0x2D

        @inline(__always)
        private static func isBlank(_ byte: UInt8) -> Bool {
            byte == space || byte == tab || byte == carriageReturn
        }

        private func string(_ start: Int, _ end: Int) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }

        /// Next line as [start, end) without its newline; nil at the end of input.
        private mutating func nextLine() -> (start: Int, end: Int)? {
            guard position < bytes.count, let base = bytes.baseAddress else { return nil }
            let start = position
            let remaining = bytes.count - start
            lineNumber += 1
            if let found = memchr(base + start, Int32(Self.newline), remaining) {
                let end = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                position = end + 1
                return (start, end)
            }
            position = bytes.count
            return (start, bytes.count)
        }

        /// FNV-1a over the lowercased name: duplicate checks compare hashes first.
        private func nameHash(_ start: Int, _ end: Int) -> UInt64 {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for i in start..<end {
                hash = (hash ^ UInt64(bytes[i] | 0x20)) &* 0x100_0000_01b3
            }
            return hash
        }

        mutating func next() throws(Error) -> Paragraph? {
            var fields: [Field] = []
            fields.reserveCapacity(24)
            var hashes: [UInt64] = []
            hashes.reserveCapacity(24)
            var pending = Pending()
            while let (start, rawEnd) = nextLine() {
                var end = rawEnd
                while end > start, Self.isBlank(bytes[end - 1]) { end -= 1 }
                if end == start {
                    // Blank line, or one of only spaces and tabs (Policy §5.1 lets parsers take
                    // those as separators too): ends the paragraph once one has begun.
                    if pending.name != nil || !fields.isEmpty { break }
                    continue
                }
                let first = bytes[start]
                if first == Self.hash && allowComments { continue }
                if first == Self.space || first == Self.tab {
                    guard pending.name != nil else { throw .continuationWithoutField(line: lineNumber) }
                    appendContinuation(to: &pending, start: start, end: end, rawEnd: rawEnd)
                    continue
                }
                if let field = finish(pending) { fields.append(field) }
                pending = try fieldLine(start: start, end: end, rawEnd: rawEnd, fields: fields, hashes: &hashes)
            }
            if let field = finish(pending) { fields.append(field) }
            return fields.first.map { Paragraph(fields, line: $0.line) }
        }

        /// `Name: value`. Policy §5.1: the name is not empty, does not start with `#` or `-`,
        /// holds no blanks, and appears once per paragraph (in any letter case).
        @inline(__always)
        private func fieldLine(start: Int, end: Int, rawEnd: Int, fields: [Field],
                               hashes: inout [UInt64]) throws(Error) -> Pending {
            guard let base = bytes.baseAddress,
                  let found = memchr(base + start, Int32(Self.colon), end - start) else {
                throw .missingColon(line: lineNumber, text: String(string(start, end).prefix(60)))
            }
            let colon = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            guard colon > start else { throw .emptyFieldName(line: lineNumber) }
            let first = bytes[start]
            if first == Self.dash || first == Self.hash
                || (start..<colon).contains(where: { Self.isBlank(bytes[$0]) }) {
                throw .invalidFieldName(line: lineNumber, name: string(start, colon))
            }
            let hash = nameHash(start, colon)
            let name = string(start, colon)
            for (index, seen) in hashes.enumerated() where seen == hash && Deb822.sameName(fields[index].name, name) {
                throw .duplicateField(line: lineNumber, name: name, firstLine: fields[index].line)
            }
            hashes.append(hash)
            var valueStart = colon + 1
            while valueStart < end, Self.isBlank(bytes[valueStart]) { valueStart += 1 }
            return Pending(name: name, line: lineNumber, start: start, valueStart: valueStart, valueEnd: end, rawEnd: rawEnd)
        }

        /// A continuation line: one leading blank dropped, " ." read as an empty line.
        @inline(__always)
        private mutating func appendContinuation(to field: inout Pending, start: Int, end: Int, rawEnd: Int) {
            if !field.multiline {
                scratch.removeAll(keepingCapacity: true)
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[field.valueStart..<field.valueEnd]))
                field.multiline = true
            }
            scratch.append(Self.newline)
            let content = start + 1
            if !(end - content == 1 && bytes[content] == Self.dot) {
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[content..<end]))
            }
            field.rawEnd = rawEnd
        }

        /// The pending field as a `Field`; nil when there is none.
        @inline(__always)
        private func finish(_ field: Pending) -> Field? {
            guard let name = field.name else { return nil }
            let value = field.multiline
                ? String(decoding: scratch, as: UTF8.self)
                : string(field.valueStart, field.valueEnd)
            let raw = keepRawText ? string(field.start, field.rawEnd) : nil
            return Field(name: name, value: value, line: field.line, raw: raw)
        }
    }
}

extension Deb822 {
    /// Write paragraphs back in deb822 form, fields in their stored order. A field with raw
    /// text is written as that text; otherwise multi-line values are written as continuation
    /// lines (" " + line, " ." for an empty line). Either way parsing the output gives the
    /// same names and values.
    public static func serialize(_ paragraphs: [Paragraph]) -> String {
        var out = ""
        for (index, paragraph) in paragraphs.enumerated() {
            if index > 0 { out += "\n" }
            out += serialize(paragraph)
        }
        return out
    }

    public static func serialize(_ paragraph: Paragraph) -> String {
        var out = ""
        for field in paragraph.fields {
            if let raw = field.raw {
                out += raw
                out += "\n"
                continue
            }
            out += field.name
            out += ":"
            var lines = field.value.split(separator: "\n", omittingEmptySubsequences: false).makeIterator()
            if let first = lines.next(), !first.isEmpty {
                out += " "
                out += first
            }
            while let line = lines.next() {
                out += line.isEmpty ? "\n ." : "\n " + line
            }
            out += "\n"
        }
        return out
    }
}
