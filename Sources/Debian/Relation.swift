/// One term of a relationship field (Debian Policy §7.1): `name[:arch] [(op version)]
/// [[arch list]] [<profiles>]`, e.g. `libc6 (>= 2.36)`, `python3:any`, `foo [amd64 !i386]`.
///
/// Fields are comma-separated groups of `|`-separated alternatives:
/// `Depends: a (>= 1) | b, c:any, d [!i386] <!nocheck>`.
public struct Relation: Hashable, Sendable, CustomStringConvertible {
    public enum Operator: String, Sendable, CaseIterable {
        case lessThan = "<<", lessOrEqual = "<=", equal = "=", greaterOrEqual = ">=", greaterThan = ">>"

        /// Whether `candidate op bound` holds.
        public func holds(_ candidate: DebianVersion, _ bound: DebianVersion) -> Bool {
            let order = DebianVersion.compare(candidate, bound)
            switch self {
            case .lessThan: return order < 0
            case .lessOrEqual: return order <= 0
            case .equal: return order == 0
            case .greaterOrEqual: return order >= 0
            case .greaterThan: return order > 0
            }
        }
    }

    /// An entry of an architecture restriction list: `amd64` or `!i386`.
    public struct ArchitectureTerm: Hashable, Sendable {
        public var name: String
        public var negated: Bool
    }

    public var name: String
    /// `any`, `native` or an architecture name after ':'; nil when absent.
    public var architectureQualifier: String?
    public var constraint: (op: Operator, version: DebianVersion)? {
        get { op.flatMap { o in version.map { (o, $0) } } }
        set { op = newValue?.op; version = newValue?.version }
    }
    public var op: Operator?
    public var version: DebianVersion?
    /// `[...]` restriction; empty when absent.
    public var architectures: [ArchitectureTerm]

    public init(
        name: String, architectureQualifier: String? = nil, op: Operator? = nil,
        version: DebianVersion? = nil, architectures: [ArchitectureTerm] = []
    ) {
        self.name = name
        self.architectureQualifier = architectureQualifier
        self.op = op
        self.version = version
        self.architectures = architectures
    }

    /// Whether a package of `version` meets the version part of this relation.
    public func accepts(_ candidate: DebianVersion) -> Bool {
        guard let op, let version else { return true }
        return op.holds(candidate, version)
    }

    /// Whether the relation is in force on `architecture` (an empty list applies everywhere;
    /// a positive list names where it applies; a negated list names where it does not).
    public func applies(on architecture: String) -> Bool {
        guard !architectures.isEmpty else { return true }
        if architectures.allSatisfy(\.negated) {
            return !architectures.contains { $0.name == architecture || $0.name == "any" }
        }
        return architectures.contains { !$0.negated && ($0.name == architecture || $0.name == "any") }
    }

    /// `name (op version)`: what error messages and `Selected-By` print.
    public var description: String {
        var text = name
        if let architectureQualifier { text += ":" + architectureQualifier }
        if let op, let version { text += " (\(op.rawValue) \(version))" }
        return text
    }

    public enum ParseError: Swift.Error, Equatable, CustomStringConvertible {
        case emptyTerm(field: String)
        case badName(field: String, term: String)
        case unclosed(field: String, term: String, bracket: Character)
        case badOperator(field: String, term: String, op: String)
        case badVersion(field: String, term: String, reason: String)
        case unexpectedText(field: String, term: String, text: String)

        public var description: String {
            switch self {
            case .emptyTerm(let field):
                return "\"\(field)\" has an empty entry (two commas or '|' with nothing between)"
            case .badName(let field, let term):
                return "\"\(term)\" in \"\(field)\" does not start with a package name"
            case .unclosed(let field, let term, let bracket):
                return "\"\(term)\" in \"\(field)\" opens '\(bracket)' without closing it"
            case .badOperator(let field, let term, let op):
                return "\"\(term)\" in \"\(field)\" uses \"\(op)\"; valid relations are << <= = >= >>"
            case .badVersion(let field, let term, let reason):
                return "\"\(term)\" in \"\(field)\": \(reason)"
            case .unexpectedText(let field, let term, let text):
                return "\"\(term)\" in \"\(field)\" has unexpected \"\(text)\" after the package name"
            }
        }
    }

    /// Parse a whole relationship field into groups of alternatives.
    public static func parseField(_ field: String) throws -> [[Relation]] {
        var groups: [[Relation]] = []
        for group in field.split(separator: ",", omittingEmptySubsequences: false) {
            if group.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\n" }) {
                // A trailing comma is tolerated (dpkg accepts it); an empty middle entry is not.
                continue
            }
            var alternatives: [Relation] = []
            for term in group.split(separator: "|", omittingEmptySubsequences: false) {
                alternatives.append(try parseTerm(term, field: field))
            }
            groups.append(alternatives)
        }
        return groups
    }

    /// Parse a field whose entries may not have alternatives (Provides, Conflicts, Breaks);
    /// alternatives, if a broken index has them, are flattened.
    public static func parseList(_ field: String) throws -> [Relation] {
        try parseField(field).flatMap { $0 }
    }

    static func parseTerm(_ term: Substring, field: String) throws -> Relation {
        var scanner = Scanner(Array(term.utf8))
        scanner.skipBlanks()
        let name = scanner.take { !Scanner.isBlank($0) && $0 != 0x28 && $0 != 0x5B && $0 != 0x3C && $0 != 0x3A }
        guard !name.isEmpty else {
            if scanner.atEnd { throw ParseError.emptyTerm(field: field) }
            throw ParseError.badName(field: field, term: term.trimmedTerm)
        }
        var relation = Relation(name: name)
        if scanner.peek == 0x3A {
            scanner.advance()
            relation.architectureQualifier = scanner.take { !Scanner.isBlank($0) && $0 != 0x28 && $0 != 0x5B && $0 != 0x3C }
        }
        scanner.skipBlanks()
        if scanner.peek == 0x28 {
            scanner.advance()
            guard let inside = scanner.take(until: 0x29) else {
                throw ParseError.unclosed(field: field, term: term.trimmedTerm, bracket: "(")
            }
            var inner = Scanner(Array(inside.utf8))
            inner.skipBlanks()
            let opText = inner.take { $0 == 0x3C || $0 == 0x3D || $0 == 0x3E }
            let op: Operator
            switch opText {
            case "<<": op = .lessThan
            case "<=", "<": op = .lessOrEqual  // "<" is the obsolete spelling of "<="
            case "=": op = .equal
            case ">=", ">": op = .greaterOrEqual  // ">" is the obsolete spelling of ">="
            case ">>": op = .greaterThan
            default: throw ParseError.badOperator(field: field, term: term.trimmedTerm, op: opText)
            }
            inner.skipBlanks()
            let versionText = inner.rest
            do {
                relation.version = try DebianVersion(versionText)
            } catch let error as DebianVersion.Error {
                throw ParseError.badVersion(field: field, term: term.trimmedTerm, reason: error.description)
            }
            relation.op = op
            scanner.skipBlanks()
        }
        if scanner.peek == 0x5B {
            scanner.advance()
            guard let inside = scanner.take(until: 0x5D) else {
                throw ParseError.unclosed(field: field, term: term.trimmedTerm, bracket: "[")
            }
            relation.architectures = inside.split(whereSeparator: { $0 == " " || $0 == "\t" }).map { word in
                word.hasPrefix("!")
                    ? ArchitectureTerm(name: String(word.dropFirst()), negated: true)
                    : ArchitectureTerm(name: String(word), negated: false)
            }
            scanner.skipBlanks()
        }
        // Build profiles `<...>` (any number of lists) matter only for source packages: skipped.
        while scanner.peek == 0x3C {
            scanner.advance()
            guard scanner.take(until: 0x3E) != nil else {
                throw ParseError.unclosed(field: field, term: term.trimmedTerm, bracket: "<")
            }
            scanner.skipBlanks()
        }
        guard scanner.atEnd else {
            throw ParseError.unexpectedText(field: field, term: term.trimmedTerm, text: scanner.rest)
        }
        return relation
    }
}

/// A byte cursor for relation terms.
struct Scanner {
    let bytes: [UInt8]
    var index = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    static func isBlank(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }
    var atEnd: Bool { index >= bytes.count }
    var peek: UInt8? { index < bytes.count ? bytes[index] : nil }
    mutating func advance() { index += 1 }
    mutating func skipBlanks() { while let b = peek, Scanner.isBlank(b) { index += 1 } }
    mutating func take(while accept: (UInt8) -> Bool) -> String {
        let start = index
        while let b = peek, accept(b) { index += 1 }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }
    /// Text up to (not including) `terminator`, consuming the terminator; nil if it never comes.
    mutating func take(until terminator: UInt8) -> String? {
        guard let end = bytes[index...].firstIndex(of: terminator) else { return nil }
        let text = String(decoding: bytes[index..<end], as: UTF8.self)
        index = end + 1
        return text
    }
    var rest: String { String(decoding: bytes[min(index, bytes.count)...], as: UTF8.self).trimmingBlanks() }
}

extension Substring {
    var trimmedTerm: String { String(self).trimmingBlanks() }
}
