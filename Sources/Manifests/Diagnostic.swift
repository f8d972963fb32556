/// Diagnostics are values: a severity, a place in a file, the rule that fired, what is wrong
/// and how to fix it. Lint, the build and every loader report through this one type; the CLI
/// decides how to print them (text, JSON, SARIF, GitHub annotations).

/// A position in a source file. Lines and columns start at 1; a column counts Unicode scalars,
/// as libyaml does.
public struct SourceLocation: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// The whole file, for problems that have no better place (unreadable file, empty file).
    public static func file(_ path: String) -> SourceLocation {
        SourceLocation(file: path, line: 1, column: 1)
    }

    public var description: String { "\(file):\(line):\(column)" }

    public static func < (a: SourceLocation, b: SourceLocation) -> Bool {
        (a.file, a.line, a.column) < (b.file, b.line, b.column)
    }
}

public struct Diagnostic: Hashable, Sendable, Codable {
    public enum Severity: String, Hashable, Sendable, Codable, Comparable, CaseIterable {
        case error
        case warning
        case note

        private var rank: Int {
            switch self {
            case .error: return 2
            case .warning: return 1
            case .note: return 0
            }
        }

        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    public var severity: Severity
    public var location: SourceLocation
    /// Rule identifier, e.g. `hugepages.duplicate-size`; see `LintRule.catalog`.
    public var rule: String
    public var message: String
    /// How to fix it, in one sentence.
    public var hint: String?

    public init(_ severity: Severity, _ location: SourceLocation, rule: String, _ message: String, hint: String? = nil) {
        self.severity = severity
        self.location = location
        self.rule = rule
        self.message = message
        self.hint = hint
    }

    /// `--strict`: warnings count as errors.
    public func promotingWarnings() -> Diagnostic {
        var copy = self
        if copy.severity == .warning { copy.severity = .error }
        return copy
    }
}

extension Diagnostic: Comparable {
    /// File order, then position, then rule: the order diagnostics are printed in.
    public static func < (a: Diagnostic, b: Diagnostic) -> Bool {
        if a.location != b.location { return a.location < b.location }
        if a.rule != b.rule { return a.rule < b.rule }
        return a.message < b.message
    }
}

/// Collects diagnostics while a loader or a rule runs.
public struct DiagnosticSink: Sendable {
    public private(set) var diagnostics: [Diagnostic] = []

    public init() {}

    public mutating func error(_ at: SourceLocation, _ rule: String, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(.error, at, rule: rule, message, hint: hint))
    }

    public mutating func warning(_ at: SourceLocation, _ rule: String, _ message: String, hint: String? = nil) {
        diagnostics.append(Diagnostic(.warning, at, rule: rule, message, hint: hint))
    }

    public mutating func append(_ d: Diagnostic) { diagnostics.append(d) }
    public mutating func append(contentsOf ds: [Diagnostic]) { diagnostics.append(contentsOf: ds) }

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// A loader that must stop (the file cannot be read at all) throws the diagnostic itself.
extension Diagnostic: Error {}
