import EditDistance
import Foundation

/// Every package version from one or more `Packages` indices (for example bookworm,
/// bookworm-updates and bookworm-security), with apt's default choice of candidate.
///
/// - Only architectures `amd64` and `all` are kept (the host is x86-64; an index for another
///   architecture adds nothing).
/// - The candidate for a name is its highest version over all indices: apt's choice when every
///   source has the same pin priority (500). Between equal versions the index added first wins.
/// - A virtual package is a name some candidate `Provides`.
public struct PackageIndex: Sendable {
    public static let architectures: Set<String> = ["amd64", "all"]

    /// All versions by name, highest first (stable among equal versions).
    private var versions: [String: [Package]] = [:]
    /// Names of packages some version of which provides the key.
    private var providedBy: [String: Set<String>] = [:]
    /// Origins in the order they were added.
    public private(set) var origins: [String] = []

    public init() {}

    /// Add every paragraph of a `Packages` file.
    public mutating func add(packagesFile data: Data, origin: String) throws {
        origins.append(origin)
        try Deb822.forEachParagraph(in: data, allowComments: false) { paragraph in
            add(try Package(paragraph: paragraph, origin: origin))
        }
    }

    /// Add an already-built package (synthetic indices in tests, or a caller's own source).
    public mutating func add(_ package: Package) {
        guard Self.architectures.contains(package.architecture) else { return }
        if !package.origin.isEmpty, !origins.contains(package.origin) { origins.append(package.origin) }
        var list = versions[package.name, default: []]
        // Insert after every version >= this one, so equal versions keep insertion order.
        let position = list.firstIndex { $0.version < package.version } ?? list.count
        list.insert(package, at: position)
        versions[package.name] = list
        for provided in package.provides {
            providedBy[provided.name, default: []].insert(package.name)
        }
    }

    /// The version apt would install for `name`, or nil when no index has a real package of
    /// that name.
    public func candidate(_ name: String) -> Package? { versions[name]?.first }

    /// Every version of `name`, highest first.
    public func allVersions(_ name: String) -> [Package] { versions[name] ?? [] }

    /// Names of real packages, sorted.
    public var names: [String] { versions.keys.sorted() }

    public var count: Int { versions.values.reduce(0) { $0 + $1.count } }

    /// Candidates that provide `name`, with the version they provide (nil when unversioned),
    /// sorted by package name.
    public func providers(of name: String) -> [(package: Package, version: DebianVersion?)] {
        guard let names = providedBy[name] else { return [] }
        var result: [(package: Package, version: DebianVersion?)] = []
        for providerName in names.sorted() {
            guard let candidate = candidate(providerName) else { continue }
            for provided in candidate.provides where provided.name == name {
                result.append((candidate, provided.op == .equal ? provided.version : nil))
                break
            }
        }
        return result
    }

    /// Candidates that satisfy `relation`: the real package of that name if its version fits,
    /// then providers. An unversioned `Provides` satisfies only unversioned relations, and a
    /// versioned one (`Provides: foo (= 1.2)`) is checked like a real version (Policy §7.5).
    /// An architecture qualifier other than `any`, `native` or one of ours matches nothing.
    public func satisfiers(of relation: Relation) -> [Package] {
        if let qualifier = relation.architectureQualifier,
           !["any", "native", "amd64"].contains(qualifier) {
            return []
        }
        var result: [Package] = []
        if let real = candidate(relation.name), relation.accepts(real.version) {
            result.append(real)
        }
        for (provider, version) in providers(of: relation.name) where provider.name != relation.name {
            if relation.op == nil {
                result.append(provider)
            } else if let version, relation.accepts(version) {
                result.append(provider)
            }
        }
        return result
    }

    /// Candidates with `Essential: yes` or `Priority: required`, sorted by name: the set
    /// debootstrap and mmdebstrap's default variant start from.
    public func essentialAndRequired() -> [Package] {
        versions.keys.sorted().compactMap { name in
            guard let package = candidate(name) else { return nil }
            return package.essential || package.priority == .required ? package : nil
        }
    }

    /// A close real-package name for "did you mean": the smallest edit distance within a third
    /// of the name's length (at least 1), else the shortest name that extends it ("foo" →
    /// "foo-bar"); ties by name.
    public func suggestion(for name: String) -> String? {
        let target = Array(name.utf8)
        let limit = max(1, target.count / 3)
        var best: (distance: Int, name: String)?
        for candidate in versions.keys {
            let bytes = Array(candidate.utf8)
            guard abs(bytes.count - target.count) <= limit else { continue }
            let distance = Levenshtein.distance(target, bytes)
            guard distance <= limit else { continue }
            if best == nil || (distance, candidate) < (best?.distance ?? 0, best?.name ?? "") {
                best = (distance, candidate)
            }
        }
        if let best { return best.name }
        let extensions = versions.keys.filter { $0.hasPrefix(name) && $0 != name }
        return extensions.min { ($0.count, $0) < ($1.count, $1) }
    }
}
