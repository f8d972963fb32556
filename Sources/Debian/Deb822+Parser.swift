import Foundation

extension Deb822 {
    /// A single pass over the bytes, one line at a time. Single-line values become `String`s
    /// straight from the input slice; only multi-line values go through a scratch buffer.
    struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        let allowComments: Bool
        var position = 0
        var lineNumber = 0
        var scratch: [UInt8] = []

        init(bytes: UnsafeBufferPointer<UInt8>, allowComments: Bool) {
            self.bytes = bytes
            self.allowComments = allowComments
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

        mutating func next() throws -> Paragraph? {
            var fields: [Field] = []
            fields.reserveCapacity(24)
            var hashes: [(hash: UInt64, line: Int)] = []
            hashes.reserveCapacity(24)
            var firstLine = 0
            // The field being read: its name, first-line value range, and whether
            // continuation lines were appended to `scratch`.
            var pendingName: String?
            var pendingStart = 0, pendingEnd = 0
            var pendingMultiline = false

            func finishPending(_ parser: inout Parser) {
                guard let name = pendingName else { return }
                let value: String
                if pendingMultiline {
                    value = String(decoding: parser.scratch, as: UTF8.self)
                } else {
                    value = parser.string(pendingStart, pendingEnd)
                }
                fields.append(Field(name: name, value: value))
                pendingName = nil
                pendingMultiline = false
            }

            while let (start, rawEnd) = nextLine() {
                var end = rawEnd
                while end > start, Self.isBlank(bytes[end - 1]) { end -= 1 }
                if end == start {
                    // Blank (or whitespace-only) line: a separator once a paragraph has begun.
                    if pendingName != nil || !fields.isEmpty { break }
                    continue
                }
                let first = bytes[start]
                if first == Self.hash && allowComments { continue }
                if first == Self.space || first == Self.tab {
                    guard pendingName != nil else {
                        throw Error.continuationWithoutField(line: lineNumber)
                    }
                    if !pendingMultiline {
                        scratch.removeAll(keepingCapacity: true)
                        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[pendingStart..<pendingEnd]))
                        pendingMultiline = true
                    }
                    scratch.append(Self.newline)
                    let content = start + 1
                    if !(end - content == 1 && bytes[content] == Self.dot) {
                        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[content..<end]))
                    }
                    continue
                }
                finishPending(&self)
                guard let colon = (start..<end).first(where: { bytes[$0] == Self.colon }) else {
                    throw Error.missingColon(line: lineNumber, text: String(string(start, end).prefix(60)))
                }
                guard colon > start else { throw Error.emptyFieldName(line: lineNumber) }
                if first == Self.dash || first == Self.hash
                    || (start..<colon).contains(where: { Self.isBlank(bytes[$0]) }) {
                    throw Error.invalidFieldName(line: lineNumber, name: string(start, colon))
                }
                let hash = nameHash(start, colon)
                let name = string(start, colon)
                for (index, seen) in hashes.enumerated() where seen.hash == hash {
                    if Deb822.sameName(fields[index].name, name) {
                        throw Error.duplicateField(line: lineNumber, name: name, firstLine: seen.line)
                    }
                }
                hashes.append((hash, lineNumber))
                if fields.isEmpty { firstLine = lineNumber }
                var valueStart = colon + 1
                while valueStart < end, Self.isBlank(bytes[valueStart]) { valueStart += 1 }
                pendingName = name
                pendingStart = valueStart
                pendingEnd = end
            }
            finishPending(&self)
            return fields.isEmpty ? nil : Paragraph(fields, line: firstLine)
        }
    }
}

extension Deb822 {
    /// Write paragraphs back in deb822 form, fields in their stored order. Multi-line values
    /// are written as continuation lines (" " + line, " ." for an empty line), so parsing the
    /// output gives the same paragraphs.
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
