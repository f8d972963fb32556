import ByteCodec

extension UpdateBundle {
    /// A JSON value as the manifest parser reads it (RFC 8259, narrowed to what a manifest
    /// can hold): numbers are non-negative integers that fit in 64 bits, because every number
    /// of a manifest is a format version or a byte count.
    enum ManifestJSON {
        /// The members in document order; the parser has refused duplicate keys.
        case object([(key: String, value: ManifestJSON)])
        case array([ManifestJSON])
        case string(String)
        case integer(UInt64)
        case bool(Bool)
        case null
    }

    /// Where a value sits in the manifest, printed as the field names of `BundleError`:
    /// `payloads[1].size`, or `(document)` for the whole text.
    struct ManifestPath: Sendable {
        enum Step: Sendable {
            case key(String)
            case index(Int)
        }

        var steps: [Step] = []

        func appending(_ step: Step) -> ManifestPath { ManifestPath(steps: steps + [step]) }

        var field: String {
            guard !steps.isEmpty else { return "(document)" }
            var text = ""
            for step in steps {
                switch step {
                case .key(let key): text += (text.isEmpty ? "" : ".") + key
                case .index(let index): text += "[\(index)]"
                }
            }
            return text
        }
    }

    /// A strict JSON reader for manifest bytes, written without Foundation so the agent reads
    /// bundles with the standard library alone.
    ///
    /// It accepts RFC 8259 JSON with these limits, and refuses everything else with
    /// `BundleError.invalidManifest` naming the field and the byte offset: at most
    /// `maximumManifestSize` bytes; objects and arrays nested at most `maximumDepth` deep;
    /// numbers only as non-negative integers up to 2^64 - 1 without leading zeros, fraction
    /// or exponent; strings of valid UTF-8 without raw control characters, with the escapes
    /// `\" \\ \/ \b \f \n \r \t \uXXXX` (a surrogate only as a high-low pair); no key twice in
    /// one object. It reads the input once, front to back, so any input ends in a value or an
    /// error in time linear in its size, and recursion never goes deeper than `maximumDepth`.
    struct ManifestParser {
        /// A manifest is three levels deep (object, payload array, payload object).
        static let maximumDepth = 8

        private let bytes: [UInt8]
        private var index = 0
        private var path = ManifestPath()
        private var depth = 0

        private init(_ bytes: [UInt8]) { self.bytes = bytes }

        /// The one JSON value of `bytes`, with nothing after it but white space.
        static func parse(_ bytes: [UInt8]) throws(BundleError) -> ManifestJSON {
            guard bytes.count <= Int(UpdateBundle.maximumManifestSize) else {
                throw BundleError.invalidManifest(
                    field: "(document)", problem: "has \(bytes.count) bytes; a manifest is at most \(UpdateBundle.maximumManifestSize)")
            }
            var parser = ManifestParser(bytes)
            let value = try parser.value()
            parser.skipSpace()
            guard parser.index == bytes.count else { throw parser.fail("text after the end of the JSON value") }
            return value
        }

        private func fail(_ problem: String) -> BundleError {
            .invalidManifest(field: path.field, problem: "is not valid JSON: \(problem) at byte \(index)")
        }

        private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        /// What stands at the current position, for a message.
        private var found: String {
            guard let byte = current else { return "the end of the text" }
            return byte >= 0x21 && byte < 0x7f ? "\"\(Character(Unicode.Scalar(byte)))\"" : "byte 0x" + Hex.encode([byte])
        }

        private mutating func skipSpace() {
            while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { index += 1 }
        }

        /// Consumes `byte` after white space, or fails naming what was expected.
        private mutating func consume(_ byte: UInt8, _ what: String) throws(BundleError) {
            skipSpace()
            guard current == byte else { throw fail("expected \(what), found \(found)") }
            index += 1
        }

        private mutating func value() throws(BundleError) -> ManifestJSON {
            skipSpace()
            guard let byte = current else { throw fail("expected a value, found the end of the text") }
            switch byte {
            case UInt8(ascii: "{"):
                try enter()
                defer { depth -= 1 }
                return try object()
            case UInt8(ascii: "["):
                try enter()
                defer { depth -= 1 }
                return try array()
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "-"): throw fail("a negative number; manifest numbers are whole byte counts and versions")
            case UInt8(ascii: "0")...UInt8(ascii: "9"): return .integer(try integer())
            case UInt8(ascii: "t"): return try literal("true", .bool(true))
            case UInt8(ascii: "f"): return try literal("false", .bool(false))
            case UInt8(ascii: "n"): return try literal("null", .null)
            default: throw fail("expected a value, found \(found)")
            }
        }

        /// One nesting level deeper, refused past `maximumDepth`.
        private mutating func enter() throws(BundleError) {
            guard depth < Self.maximumDepth else {
                throw fail("objects and arrays nest deeper than \(Self.maximumDepth) levels")
            }
            depth += 1
        }

        private mutating func literal(_ word: String, _ result: ManifestJSON) throws(BundleError) -> ManifestJSON {
            let expected = Array(word.utf8)
            guard bytes.count - index >= expected.count, Array(bytes[index..<(index + expected.count)]) == expected else {
                throw fail("expected a value, found \(found)")
            }
            index += expected.count
            return result
        }

        private mutating func object() throws(BundleError) -> ManifestJSON {
            var members: [(key: String, value: ManifestJSON)] = []
            var keys = Set<String>()
            try sequence(closing: UInt8(ascii: "}"), "an object") { (parser: inout ManifestParser) throws(BundleError) in
                parser.skipSpace()
                guard parser.current == UInt8(ascii: "\"") else { throw parser.fail("expected a key in quotes, found \(parser.found)") }
                let start = parser.index
                let key = try parser.string()
                try parser.at(.key(key)) { (parser: inout ManifestParser) throws(BundleError) in
                    guard keys.insert(key).inserted else {
                        throw BundleError.invalidManifest(
                            field: parser.path.field, problem: "appears twice (at byte \(start)); each key appears once")
                    }
                    try parser.consume(UInt8(ascii: ":"), "\":\" after the key")
                    members.append((key, try parser.value()))
                }
            }
            return .object(members)
        }

        private mutating func array() throws(BundleError) -> ManifestJSON {
            var elements: [ManifestJSON] = []
            try sequence(closing: UInt8(ascii: "]"), "an array") { (parser: inout ManifestParser) throws(BundleError) in
                try parser.at(.index(elements.count)) { (parser: inout ManifestParser) throws(BundleError) in
                    elements.append(try parser.value())
                }
            }
            return .array(elements)
        }

        /// The comma-separated members of an object or an array, from its opening byte to
        /// `closing`; `member` reads one.
        private mutating func sequence(
            closing: UInt8, _ what: String, _ member: (inout ManifestParser) throws(BundleError) -> Void
        ) throws(BundleError) {
            index += 1  // "{" or "["
            skipSpace()
            if current == closing {
                index += 1
                return
            }
            while true {
                try member(&self)
                skipSpace()
                guard current == UInt8(ascii: ",") else { break }
                index += 1
            }
            try consume(closing, "\",\" or \"\(Character(Unicode.Scalar(closing)))\" in \(what)")
        }

        /// Runs `body` with `step` added to the path that errors name.
        private mutating func at(
            _ step: ManifestPath.Step, _ body: (inout ManifestParser) throws(BundleError) -> Void
        ) throws(BundleError) {
            let outer = path
            path = path.appending(step)
            defer { path = outer }
            try body(&self)
        }

        /// A non-negative integer: digits without a leading zero, no fraction or exponent.
        private mutating func integer() throws(BundleError) -> UInt64 {
            let start = index
            var result: UInt64 = 0
            while let byte = current, byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                if index > start, bytes[start] == UInt8(ascii: "0") {
                    index = start
                    throw fail("a number with a leading zero")
                }
                let (times, overflow) = result.multipliedReportingOverflow(by: 10)
                let (sum, carry) = times.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
                guard !overflow, !carry else {
                    index = start
                    throw fail("a number larger than 2^64 - 1")
                }
                result = sum
                index += 1
            }
            if let byte = current, byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                throw fail("a number with a fraction or an exponent; manifest numbers are whole")
            }
            return result
        }
    }
}

// MARK: - Strings

extension UpdateBundle.ManifestParser {
    /// The two-character escapes and the byte each stands for.
    private static let shortEscapes: [UInt8: UInt8] = [
        UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C, UInt8(ascii: "/"): 0x2F, UInt8(ascii: "b"): 0x08,
        UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
    ]

    /// A string from its opening quote to its closing one, escapes resolved.
    private mutating func string() throws(BundleError) -> String {
        let start = index
        index += 1  // the opening quote
        var utf8: [UInt8] = []
        while let byte = current {
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                let text = String(decoding: utf8, as: UTF8.self)
                guard text.utf8.elementsEqual(utf8) else {
                    index = start
                    throw fail("a string that is not valid UTF-8")
                }
                return text
            case UInt8(ascii: "\\"):
                try escape(into: &utf8)
            case 0..<0x20:
                throw fail("the control character 0x\(Hex.encode([byte])) inside a string (write it as an escape)")
            default:
                utf8.append(byte)
                index += 1
            }
        }
        throw fail("the text ends inside a string that starts at byte \(start)")
    }

    /// One escape sequence at the backslash, appended to `utf8` as UTF-8.
    private mutating func escape(into utf8: inout [UInt8]) throws(BundleError) {
        index += 1  // the backslash
        guard let byte = current else { throw fail("the text ends inside an escape") }
        if let replacement = Self.shortEscapes[byte] {
            utf8.append(replacement)
            index += 1
            return
        }
        guard byte == UInt8(ascii: "u") else { throw fail("an unknown escape, a backslash before \(found)") }
        index += 1
        let unit = try hexUnit()
        var scalarValue = UInt32(unit)
        if (0xDC00...0xDFFF).contains(unit) {
            throw fail("a low surrogate \\u\(Hex.encode(UInt32(unit), digits: 4)) without a high one before it")
        }
        if (0xD800...0xDBFF).contains(unit) {
            guard bytes.count - index >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                throw fail("a high surrogate not followed by a \\u escape of a low one")
            }
            index += 2
            let low = try hexUnit()
            guard (0xDC00...0xDFFF).contains(low) else { throw fail("a high surrogate not followed by a low one") }
            scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(scalarValue) else { throw fail("an escape of no Unicode character") }
        UTF8.encode(scalar) { utf8.append($0) }
    }

    /// The four hex digits of a `\u` escape.
    private mutating func hexUnit() throws(BundleError) -> UInt16 {
        var unit: UInt16 = 0
        for _ in 0..<4 {
            guard let byte = current else { throw fail("the text ends inside a \\u escape") }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw fail("\\u needs four hex digits, found \(found)")
            }
            unit = unit << 4 | UInt16(digit)
            index += 1
        }
        return unit
    }
}
