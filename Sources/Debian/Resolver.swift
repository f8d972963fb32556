/// Picks the packages of a root tree: the closure of the requested names (and, optionally, the
/// Essential/required set) over `Pre-Depends` and `Depends`, the way `apt-get install
/// --no-install-recommends` would pick them into an empty system.
///
/// Policy (docs/resolver.md says the same, with the measured differences from apt):
/// 1. Roots are the `include` names plus, when `essential` is true, every candidate with
///    `Essential: yes` or `Priority: required` (debootstrap's and mmdebstrap's base). All roots
///    are selected before any dependency is followed, so a requested package is always
///    preferred over an alternative that would also do.
/// 2. Roots are expanded in name order, depth first; each package's Pre-Depends then Depends
///    groups in field order, skipping relations whose `[arch]` list excludes amd64.
/// 3. A group already satisfied by a selected package (real or providing) needs nothing.
/// 4. Otherwise the first alternative that some non-excluded candidate satisfies is taken, as
///    apt does: the real package of that name if its candidate version fits, else a provider.
/// 5. Among several providers of a virtual package: one already selected (rule 3), else the
///    highest `Priority`, then the package name. apt ends on its own internal order where
///    priorities tie; docs/resolver.md lists where that differs.
/// 6. Only candidates (highest version over all indices) are considered, as apt does without
///    pins; a versioned relation the candidate does not meet is an error, not a search for an
///    older version.
/// 7. Excluded names are never selected; a group that only excluded packages satisfy is an
///    error. An excluded Essential/required package is simply left out of the roots.
/// 8. After the closure, `Conflicts` and `Breaks` among the selected packages are errors.
/// Every problem found is reported (not just the first), each naming the chain that led to it.
public struct Resolver {
    public struct Request: Hashable, Sendable {
        public var include: [String]
        public var exclude: [String]
        public var essential: Bool
        public init(include: [String] = [], exclude: [String] = [], essential: Bool = true) {
            self.include = include
            self.exclude = exclude
            self.essential = essential
        }
    }

    /// Why a package is in the selection: what `hostimg explain` prints.
    public enum Reason: Hashable, Sendable, CustomStringConvertible {
        case requested
        case essential
        case priorityRequired
        /// Selected to satisfy `relation` (the whole alternatives group) of package `of`.
        case dependency(of: String, relation: String)

        public var description: String {
            switch self {
            case .requested: return "requested"
            case .essential: return "essential"
            case .priorityRequired: return "priority required"
            case .dependency(let of, _): return "required by \(of)"
            }
        }
    }

    public struct Resolution: Sendable {
        /// Selected packages, sorted by name.
        public let packages: [Package]
        public let reasons: [String: Reason]

        /// The names from a root down to `name` ("systemd", "libc6" for libc6 pulled by systemd).
        public func chain(to name: String) -> [String] {
            var chain = [name]
            var seen: Set<String> = [name]
            var current = name
            while case .dependency(let parent, _)? = reasons[current], !seen.contains(parent) {
                chain.append(parent)
                seen.insert(parent)
                current = parent
            }
            return chain.reversed()
        }
    }

    let index: PackageIndex
    let request: Request
    let excluded: Set<String>
    var selected: [String: Package] = [:]
    var reasons: [String: Reason] = [:]
    var problems: [ResolverError] = []
    /// Names whose dependencies have been expanded (or are being expanded: cycles stop here).
    var expanded: Set<String> = []

    init(index: PackageIndex, request: Request) {
        self.index = index
        self.request = request
        self.excluded = Set(request.exclude)
    }

    /// Resolve `request` against `index`; throws `ResolverError` (`.several` when more than one
    /// problem was found).
    public static func resolve(_ request: Request, in index: PackageIndex) throws -> Resolution {
        var resolver = Resolver(index: index, request: request)
        return try resolver.run()
    }

    mutating func run() throws -> Resolution {
        let both = Set(request.include).intersection(excluded).sorted()
        if !both.isEmpty { throw ResolverError.includedAndExcluded(both) }

        var roots: [String: (Package, Reason)] = [:]
        if request.essential {
            for package in index.essentialAndRequired() where !excluded.contains(package.name) {
                roots[package.name] = (package, package.essential ? .essential : .priorityRequired)
            }
        }
        for name in Set(request.include).sorted() {
            if let package = index.candidate(name) {
                roots[name] = (package, .requested)
            } else if let provider = choose(among: index.providers(of: name).map(\.package), rootNames: Set(roots.keys)) {
                roots[provider.name] = roots[provider.name] ?? (provider, .requested)
            } else {
                problems.append(.notFound(name, suggestion: index.suggestion(for: name)))
            }
        }
        for (name, root) in roots {
            selected[name] = root.0
            reasons[name] = root.1
        }
        for name in roots.keys.sorted() {
            if let package = selected[name] { expand(package) }
        }
        checkConflicts()
        if problems.count == 1, let only = problems.first { throw only }
        if !problems.isEmpty { throw ResolverError.several(problems) }
        return Resolution(packages: selected.values.sorted { $0.name < $1.name }, reasons: reasons)
    }

    /// Rule 5: a provider already selected, else highest priority, then name.
    func choose(among candidates: [Package], rootNames: Set<String> = []) -> Package? {
        let usable = candidates.filter { !excluded.contains($0.name) }
        if let chosen = usable.first(where: { selected[$0.name] != nil || rootNames.contains($0.name) }) {
            return chosen
        }
        return usable.min { a, b in
            let pa = a.priority?.rank ?? 0, pb = b.priority?.rank ?? 0
            return pa != pb ? pa > pb : a.name < b.name
        }
    }

    func isSatisfiedBySelection(_ relation: Relation) -> Bool {
        index.satisfiers(of: relation).contains { selected[$0.name]?.version == $0.version }
    }

    mutating func expand(_ package: Package) {
        guard expanded.insert(package.name).inserted else { return }
        for group in package.hardDependencies {
            let alternatives = group.filter { $0.applies(on: "amd64") }
            guard !alternatives.isEmpty else { continue }
            if alternatives.contains(where: isSatisfiedBySelection) { continue }
            var chosen: Package?
            for relation in alternatives {
                let satisfiers = index.satisfiers(of: relation)
                if let real = satisfiers.first(where: { $0.name == relation.name }), !excluded.contains(real.name) {
                    chosen = real
                } else {
                    chosen = choose(among: satisfiers.filter { $0.name != relation.name })
                }
                if chosen != nil { break }
            }
            let groupText = alternatives.map(\.description).joined(separator: " | ")
            guard let chosen else {
                problems.append(.unsatisfied(
                    chain: chainText(package.name), package: package.name, dependency: groupText,
                    outcomes: alternatives.map(explainFailure)))
                continue
            }
            selected[chosen.name] = chosen
            reasons[chosen.name] = .dependency(of: package.name, relation: groupText)
            expand(chosen)
        }
    }

    /// Why no acceptable package satisfies `relation`.
    func explainFailure(_ relation: Relation) -> ResolverError.Outcome {
        let satisfiers = index.satisfiers(of: relation)
        if !satisfiers.isEmpty {
            return .excluded(relation: relation.description, packages: satisfiers.map(\.name).sorted())
        }
        if let qualifier = relation.architectureQualifier, !["any", "native", "amd64"].contains(qualifier) {
            return .foreignArchitecture(relation: relation.description)
        }
        let versions = index.allVersions(relation.name)
        if !versions.isEmpty {
            return .wrongVersion(
                relation: relation.description,
                available: versions.map { ($0.originLabel.isEmpty ? "the index" : $0.originLabel, $0.version.description) }
                    .map { "\($0.0) has \($0.1)" })
        }
        let providers = index.providers(of: relation.name)
        if !providers.isEmpty {
            return .providersDoNotFit(
                relation: relation.description,
                providers: providers.map { p in p.version.map { "\(p.package.name) provides \($0)" } ?? "\(p.package.name) provides it unversioned" })
        }
        return .missing(relation: relation.description, suggestion: index.suggestion(for: relation.name))
    }

    /// "systemd (requested) → libsystemd0": the path from a root to `name`.
    func chainText(_ name: String) -> [String] {
        let resolution = Resolution(packages: [], reasons: reasons)
        let chain = resolution.chain(to: name)
        guard let root = chain.first else { return chain }
        return ["\(root) (\(reasons[root]?.description ?? "requested"))"] + chain.dropFirst()
    }
}
