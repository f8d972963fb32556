/// What can go wrong in resolution. Each message is one sentence that names the package, what
/// it needed, what the indices offer instead, and the chain from a root.
public enum ResolverError: Swift.Error, Equatable, CustomStringConvertible {
    /// Why one alternative of a dependency could not be used.
    public enum Outcome: Equatable, Sendable {
        case excluded(relation: String, packages: [String])
        case wrongVersion(relation: String, available: [String])
        case providersDoNotFit(relation: String, providers: [String])
        case foreignArchitecture(relation: String)
        case missing(relation: String, suggestion: String?)

        var text: String {
            switch self {
            case .excluded(let relation, let packages):
                return packages == [Self.baseName(relation)]
                    ? "\(relation), which is excluded"
                    : "\(relation), which only excluded packages satisfy (\(packages.joined(separator: ", ")))"
            case .wrongVersion(let relation, let available):
                return "\(relation) but \(available.joined(separator: " and "))"
            case .providersDoNotFit(let relation, let providers):
                return "\(relation) but \(providers.joined(separator: " and "))"
            case .foreignArchitecture(let relation):
                return "\(relation), which names an architecture other than amd64/all"
            case .missing(let relation, let suggestion):
                let hint = suggestion.map { " (did you mean \($0)?)" } ?? ""
                return "\(relation), which is not in any configured index\(hint)"
            }
        }

        static func baseName(_ relation: String) -> String {
            String(relation.prefix { $0 != " " && $0 != ":" })
        }
    }

    case includedAndExcluded([String])
    case notFound(String, suggestion: String?)
    /// `chain` runs from a root to `package`.
    case unsatisfied(chain: [String], package: String, dependency: String, outcomes: [Outcome])
    /// `package` has `Conflicts` (or `Breaks`, `kind`) on `relation`, which `other` matches.
    case conflict(package: String, kind: String, relation: String, other: String, chains: [[String]])
    case several([ResolverError])

    public var description: String {
        switch self {
        case .includedAndExcluded(let names):
            return "\(names.joined(separator: ", ")) \(names.count == 1 ? "is" : "are") both included and excluded; remove \(names.count == 1 ? "it" : "them") from one of the lists"
        case .notFound(let name, let suggestion):
            let hint = suggestion.map { " (did you mean \($0)?)" } ?? ""
            return "\(name) is not in any configured index\(hint)"
        case .unsatisfied(let chain, let package, let dependency, let outcomes):
            let body: String
            if outcomes.count == 1, let only = outcomes.first {
                body = "\(package) needs \(only.text)"
            } else {
                body = "\(package) needs \(dependency), but none fits: "
                    + outcomes.map(\.text).joined(separator: "; ")
            }
            return body + Self.via(chain)
        case .conflict(let package, let kind, let relation, let other, let chains):
            let via = chains.filter { $0.count > 1 }.map { $0.joined(separator: " → ") }
            let suffix = via.isEmpty ? "" : " (via \(via.joined(separator: "; ")))"
            return "\(package) \(kind) \(relation), but \(other) is selected too\(suffix)"
        case .several(let problems):
            return "\(problems.count) problems: " + problems.map(\.description).joined(separator: "\n")
        }
    }

    static func via(_ chain: [String]) -> String {
        chain.count > 1 ? " (via \(chain.joined(separator: " → ")))" : ""
    }
}

extension Resolver {
    /// Rule 8: `Conflicts` and `Breaks` among the selected packages. A package never
    /// conflicts with itself (a common pattern: `Provides: x, Conflicts: x`). An unversioned
    /// relation hits every provider; a versioned one only providers of a matching version.
    mutating func checkConflicts() {
        var providers: [String: [(package: Package, version: DebianVersion?)]] = [:]
        for package in selected.values {
            for provided in package.provides {
                providers[provided.name, default: []].append((package, provided.op == .equal ? provided.version : nil))
            }
        }
        for package in selected.values.sorted(by: { $0.name < $1.name }) {
            for (kind, relations) in [("conflicts with", package.conflicts), ("breaks", package.breaks)] {
                for relation in relations where relation.applies(on: "amd64") {
                    var hits: [String] = []
                    if let other = selected[relation.name], other.name != package.name, relation.accepts(other.version) {
                        hits.append(other.name)
                    }
                    for (provider, version) in providers[relation.name] ?? [] where provider.name != package.name {
                        if relation.op == nil || version.map(relation.accepts) == true {
                            hits.append(provider.name)
                        }
                    }
                    for other in Set(hits).sorted() {
                        problems.append(.conflict(
                            package: package.name, kind: kind, relation: relation.description, other: other,
                            chains: [chainText(package.name), chainText(other)]))
                    }
                }
            }
        }
    }
}
