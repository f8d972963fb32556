import Debian
import EditDistance

/// `hostimg explain package NAME`: why a package is in the image (the chain of Selected-By
/// reasons from the lock, down to the manifest's include, Debian's Essential set or the
/// priority-required set) or why it is not.
public struct PackageExplanation: Sendable, Equatable {
    public var name: String
    public var present: Bool
    /// One line per link, the package itself first.
    public var lines: [String]

    public init(name: String, lock: LockFile) {
        self.name = name
        let entries = Dictionary(lock.entries.map { ($0.package, $0) }, uniquingKeysWith: { first, _ in first })
        guard let entry = entries[name] else {
            present = false
            lines = Self.absent(name, lock: lock, known: Array(entries.keys))
            return
        }
        present = true
        var lines = ["\(name) \(entry.version) (\(entry.architecture)): in the image"]
        var current = entry
        var seen: Set<String> = [name]
        while true {
            let reason = current.selectedBy
            guard reason.hasPrefix("required by ") else {
                lines.append("\(current.package): \(Self.root(reason))")
                break
            }
            let parent = String(reason.dropFirst("required by ".count))
            guard let next = entries[parent], !seen.contains(parent) else {
                lines.append("\(current.package): required by \(parent)")
                break
            }
            lines.append("\(current.package): a dependency of \(parent) \(next.version)")
            seen.insert(parent)
            current = next
        }
        self.lines = lines
    }

    /// The words for a chain's root reason.
    static func root(_ reason: String) -> String {
        switch reason {
        case "requested": return "requested: the manifest's packages.include names it"
        case "essential": return "essential: Debian's Essential set, which every image carries (packages.essential)"
        case "priority required": return "priority required: Debian's Priority: required set, which the base carries"
        default: return reason
        }
    }

    static func absent(_ name: String, lock: LockFile, known: [String]) -> [String] {
        var lines = ["\(name): not in the image"]
        if lock.request.exclude.contains(name) {
            lines.append("\(name): the manifest excludes it (packages.exclude), and nothing the image needs requires it")
        } else {
            lines.append("\(name): no package of the image depends on it, it is not Essential or priority required, "
                         + "and packages.include does not name it; add it there to have it")
        }
        let close = known.filter { Levenshtein.distance(Array($0), Array(name)) <= 2 }.sorted()
        if !close.isEmpty { lines.append("did you mean: \(close.prefix(5).joined(separator: ", "))") }
        return lines
    }
}
