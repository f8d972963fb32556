import Foundation

/// Which module depends on which: the targets' declared dependencies from
/// `swift package dump-package`, plus every `import` in their sources (SwiftPM lets a module
/// import what a dependency brings along, so the declared list alone can hide an edge).
struct ModuleGraph {
    var edges: [String: Set<String>]
    /// Source folders that are not `Sources/NAME` (a target's `path:`), relative to the package.
    var paths: [String: String] = [:]
    /// The system modules (Foundation, Glibc, ...) each target's sources import, which are
    /// no layer's business but are what a Foundation-free closure must not contain.
    var systemImports: [String: Set<String>] = [:]

    init(edges: [String: Set<String>]) { self.edges = edges }

    /// The package's targets (not its test targets) and their dependencies, from the JSON of
    /// `swift package dump-package`.
    init(packageJSON: Data) throws {
        guard let root = try JSONSerialization.jsonObject(with: packageJSON) as? [String: Any],
            let targets = root["targets"] as? [[String: Any]]
        else { throw GraphError("dump-package printed no targets") }
        var edges: [String: Set<String>] = [:]
        for target in targets where (target["type"] as? String) != "test" {
            guard let name = target["name"] as? String else { continue }
            var dependencies = Set<String>()
            for dependency in target["dependencies"] as? [[String: Any]] ?? [] {
                for key in ["byName", "target", "product"] {
                    if let entry = dependency[key] as? [Any], let first = entry.first as? String { dependencies.insert(first) }
                }
            }
            edges[name] = dependencies
            if let path = target["path"] as? String { paths[name] = path }
        }
        self.edges = edges
    }

    /// Adds the modules each target's sources import (`import X`, `@testable import X`),
    /// leaving out the system's own (Foundation, Glibc, ...), which are no layer's business.
    mutating func addImports(packageRoot: String) throws {
        let system: Set<String> = ["Foundation", "FoundationNetworking", "Glibc", "Musl", "Darwin", "Dispatch", "Synchronization", "FoundationEssentials",
                                   "_Concurrency", "Swift"]
        for module in edges.keys {
            let directory = packageRoot + "/" + (paths[module] ?? "Sources/" + module)
            guard let files = FileManager.default.enumerator(atPath: directory) else { continue }
            while let file = files.nextObject() as? String {
                guard file.hasSuffix(".swift") else { continue }
                let text = try String(contentsOfFile: directory + "/" + file, encoding: .utf8)
                for imported in Self.imports(in: text) where imported != module {
                    if system.contains(imported) {
                        systemImports[module, default: []].insert(imported)
                    } else {
                        edges[module, default: []].insert(imported)
                    }
                }
            }
        }
    }

    /// The modules a Swift file imports.
    static func imports(in text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            var words = line.split(separator: " ").map(String.init)
            while let first = words.first, first.hasPrefix("@") || ["public", "internal", "private", "package"].contains(first) {
                words.removeFirst()
            }
            guard words.count >= 2, words[0] == "import" else { return nil }
            let kinds: Set<String> = ["struct", "class", "enum", "protocol", "func", "var", "let", "typealias"]
            let name = kinds.contains(words[1]) && words.count >= 3 ? words[2] : words[1]
            return String(name.split(separator: ".").first ?? Substring(name))
        }
    }

    /// Every module reachable from `module`.
    func closure(of module: String) -> Set<String> {
        var seen = Set<String>()
        var stack = Array(edges[module] ?? [])
        while let next = stack.popLast() {
            guard seen.insert(next).inserted else { continue }
            stack.append(contentsOf: edges[next] ?? [])
        }
        return seen
    }

    /// One shortest path of edges from `start` to `end` (for the message).
    func path(from start: String, to end: String) -> [String] {
        var previous: [String: String] = [:]
        var queue = [start]
        var seen: Set<String> = [start]
        while !queue.isEmpty {
            let node = queue.removeFirst()
            if node == end { break }
            for next in (edges[node] ?? []).sorted() where seen.insert(next).inserted {
                previous[next] = node
                queue.append(next)
            }
        }
        var path = [end]
        while let last = path.last, let before = previous[last] { path.append(before) }
        return path.reversed()
    }
}

struct GraphError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
