/// One binary package version from a `Packages` index, with the fields resolution,
/// fetching and locking need. Relationship fields are parsed when the index is loaded.
public struct Package: Hashable, Sendable, CustomStringConvertible {
    public enum Priority: String, Sendable, Comparable, CaseIterable {
        case required, important, standard, optional, extra

        /// Rank as apt uses it: required is the highest.
        var rank: Int {
            switch self {
            case .required: return 5
            case .important: return 4
            case .standard: return 3
            case .optional: return 2
            case .extra: return 1
            }
        }
        public static func < (a: Priority, b: Priority) -> Bool { a.rank < b.rank }
    }

    public var name: String
    public var version: DebianVersion
    public var architecture: String
    public var priority: Priority?
    public var essential: Bool
    public var depends: [[Relation]]
    public var preDepends: [[Relation]]
    public var provides: [Relation]
    public var conflicts: [Relation]
    public var breaks: [Relation]
    public var filename: String
    public var size: Int
    public var sha256: String
    public var multiArch: String?
    public var section: String?
    /// The source package name (the `Source` field without its "(version)"; the package
    /// name when the field is absent).
    public var source: String
    /// Where the index came from, as the caller named it when adding the index, e.g.
    /// "http://deb.debian.org/debian bookworm/main".
    public var origin: String

    public init(
        name: String, version: DebianVersion, architecture: String = "amd64", priority: Priority? = nil,
        essential: Bool = false, depends: [[Relation]] = [], preDepends: [[Relation]] = [],
        provides: [Relation] = [], conflicts: [Relation] = [], breaks: [Relation] = [],
        filename: String = "", size: Int = 0, sha256: String = "", multiArch: String? = nil,
        section: String? = nil, source: String? = nil, origin: String = ""
    ) {
        self.name = name
        self.version = version
        self.architecture = architecture
        self.priority = priority
        self.essential = essential
        self.depends = depends
        self.preDepends = preDepends
        self.provides = provides
        self.conflicts = conflicts
        self.breaks = breaks
        self.filename = filename
        self.size = size
        self.sha256 = sha256
        self.multiArch = multiArch
        self.section = section
        self.source = source ?? name
        self.origin = origin
    }

    /// The repository base URL of `origin` (its first word): what `Filename` is relative to.
    public var originBaseURL: String {
        String(origin.split(separator: " ", maxSplits: 1).first ?? "")
    }

    /// The part of `origin` after the URL ("bookworm/main"), or the whole origin without one:
    /// how error messages name an index.
    public var originLabel: String {
        let parts = origin.split(separator: " ", maxSplits: 1)
        return parts.count == 2 ? String(parts[1]) : origin
    }

    /// Pre-Depends first, then Depends: the order apt walks them.
    public var hardDependencies: [[Relation]] { preDepends + depends }

    public var description: String { "\(name) \(version)" }

    public enum FieldError: Swift.Error, Equatable, CustomStringConvertible {
        case missing(field: String, line: Int, package: String?)
        case invalid(field: String, line: Int, package: String, reason: String)

        public var description: String {
            switch self {
            case .missing(let field, let line, let package):
                let what = package.map { "package \($0)" } ?? "the paragraph"
                return "\(what) (line \(line)) has no \(field) field, which every Packages entry needs"
            case .invalid(let field, let line, let package, let reason):
                return "package \(package) (line \(line)), field \(field): \(reason)"
            }
        }
    }

    /// Build a package from a `Packages` paragraph. One pass over the fields, switching on the
    /// lowercased name, so loading an index does not do a lookup per wanted field.
    public init(paragraph: Deb822.Paragraph, origin: String) throws {
        var name: String?, version: String?, architecture: String?, priority: String?
        var essential = false, depends = "", preDepends = "", provides = "", conflicts = ""
        var breaks = "", filename: String?, size = "", sha256 = "", multiArch: String?
        var section: String?, source: String?
        for field in paragraph.fields {
            switch field.name.lowercased() {
            case "package": name = field.value
            case "version": version = field.value
            case "architecture": architecture = field.value
            case "priority": priority = field.value
            case "essential": essential = field.value.lowercased() == "yes"
            case "depends": depends = field.value
            case "pre-depends": preDepends = field.value
            case "provides": provides = field.value
            case "conflicts": conflicts = field.value
            case "breaks": breaks = field.value
            case "filename": filename = field.value
            case "size": size = field.value
            case "sha256": sha256 = field.value
            case "multi-arch": multiArch = field.value
            case "section": section = field.value
            case "source": source = field.value
            default: continue
            }
        }
        let line = paragraph.line
        guard let name else { throw FieldError.missing(field: "Package", line: line, package: nil) }
        guard let version else { throw FieldError.missing(field: "Version", line: line, package: name) }
        guard let architecture else { throw FieldError.missing(field: "Architecture", line: line, package: name) }
        func invalid(_ field: String, _ reason: String) -> FieldError {
            .invalid(field: field, line: line, package: name, reason: reason)
        }
        func relations(_ text: String, _ field: String) throws -> [[Relation]] {
            guard !text.isEmpty else { return [] }
            do { return try Relation.parseField(text) } catch let error as Relation.ParseError {
                throw invalid(field, error.description)
            }
        }
        do {
            self.version = try DebianVersion(version)
        } catch let error as DebianVersion.Error {
            throw invalid("Version", error.description)
        }
        self.name = name
        self.architecture = architecture
        self.priority = priority.flatMap { Priority(rawValue: $0.lowercased()) }
        self.essential = essential
        self.depends = try relations(depends, "Depends")
        self.preDepends = try relations(preDepends, "Pre-Depends")
        self.provides = try relations(provides, "Provides").flatMap { $0 }
        self.conflicts = try relations(conflicts, "Conflicts").flatMap { $0 }
        self.breaks = try relations(breaks, "Breaks").flatMap { $0 }
        self.filename = filename ?? ""
        if size.isEmpty {
            self.size = 0
        } else if let value = Int(size), value >= 0 {
            self.size = value
        } else {
            throw invalid("Size", "\"\(size)\" is not a byte count")
        }
        self.sha256 = sha256
        self.multiArch = multiArch
        self.section = section
        // "Source: name (version)" when the binary version differs from the source's.
        self.source = source.map { String($0.split(separator: " ").first ?? Substring(name)) } ?? name
        self.origin = origin
    }
}
