import Debian
import FileTree
import Prune

/// `hostimg explain file PATH`: which package (or overlay, or build stage) put a path into the
/// image, and for a package why it is there; or which prune rule removed the path and why; or
/// that nothing ships it.
public struct FileExplanation: Sendable, Equatable {
    public var path: String
    public var present: Bool
    public var lines: [String]

    /// - Parameters:
    ///   - tree: the built tree (nil: only the report's prune entries are known).
    ///   - pruned: the build report's prune entries.
    ///   - lock: for the package's own chain, when the path came from one.
    public init(path: String, tree: FileTree?, pruned: [PruneReport.Entry], lock: LockFile?) {
        self.path = path
        if let tree, let node = tree[path] {
            present = true
            var lines = ["\(path): in the image, \(Self.describe(origin: node.origin))"]
            if let origin = node.origin, let lock, lock.entries.contains(where: { $0.package == origin }) {
                lines += PackageExplanation(name: origin, lock: lock).lines
            }
            self.lines = lines
            return
        }
        present = false
        if let entry = pruned.first(where: { $0.path == path }) {
            lines = ["\(path): removed by the prune stage (rule \(entry.category)): \(entry.reason)",
                     "\(path): \(Self.describe(origin: entry.origin)) had put it there"]
            return
        }
        let under = pruned.filter { $0.path.hasPrefix(path + "/") }
        if !under.isEmpty {
            lines = ["\(path): the prune stage removed \(under.count) path(s) under it (rules \(Set(under.map(\.category.rawValue)).sorted().joined(separator: ", ")))"]
            return
        }
        lines = [tree == nil ? "\(path): not among the paths the prune stage removed; give --manifest to look it up in the built tree"
                             : "\(path): not in the image: no package, overlay or build stage put it there"]
    }

    static func describe(origin: String?) -> String {
        guard let origin else { return "from the base tree" }
        if origin.hasPrefix("drivers") { return "written by the drivers stage (\(origin))" }
        if origin.hasPrefix("overlay:") { return "from the overlay \(origin.dropFirst("overlay:".count))" }
        switch origin {
        case "configure": return "written by the configure stage (users, ld.so.cache, units, dpkg database)"
        case "hostimg": return "added by hostimg (agent, units, trust store)"
        case "tuning": return "written by the tuning stage from the manifest's tuning section (hostimg explain tuning)"
        case "merged-usr": return "a merged-/usr link of the base tree"
        case "base.tarball": return "from the manifest's base tarball"
        default: return "from the package \(origin)"
        }
    }
}
