import ContentStore

/// The image's root file system, in memory: paths, types, modes, owners, link targets,
/// device numbers, extended attributes — and for regular files only a reference into the
/// `ContentStore`, so memory does not grow with file sizes.
///
/// Every stage between unpack and the file-system writer works on this value: unpack fills
/// it from .debs or a rootfs tarball, configure adds files, prune removes them, and the
/// writers (deterministic tar, EROFS) walk it in sorted path order.
///
/// Paths are absolute and normalised: `/`, `/usr/bin/ls`; no `.` or `..` components, no
/// trailing slash, no repeated slashes (`FileTree.normalize` makes them so or says why not).
public struct FileTree: Sendable {
    public struct Node: Sendable, Hashable, Codable {
        public enum Kind: Sendable, Hashable, Codable {
            case directory
            case regular(ContentStore.Ref)
            /// Target as written (absolute targets are read relative to the image root).
            case symlink(String)
            /// Another path of the tree that this one shares an inode with.
            case hardlink(String)
            case characterDevice(major: UInt32, minor: UInt32)
            case blockDevice(major: UInt32, minor: UInt32)
            case fifo
            case socket
        }

        public var kind: Kind
        /// Permission bits including setuid/setgid/sticky (0o7777).
        public var mode: UInt16
        public var uid: UInt32
        public var gid: UInt32
        /// Seconds since the epoch. Writers clamp it to SOURCE_DATE_EPOCH.
        public var mtime: Int64
        /// Extended attributes by name (e.g. `security.capability`), sorted by name when written.
        public var xattrs: [String: [UInt8]]
        /// The package (or `overlay:NAME`, `configure`) that put the path here, for reports.
        public var origin: String?

        public init(_ kind: Kind, mode: UInt16, uid: UInt32 = 0, gid: UInt32 = 0, mtime: Int64 = 0,
                    xattrs: [String: [UInt8]] = [:], origin: String? = nil) {
            self.kind = kind
            self.mode = mode
            self.uid = uid
            self.gid = gid
            self.mtime = mtime
            self.xattrs = xattrs
            self.origin = origin
        }

        public static func directory(mode: UInt16 = 0o755, origin: String? = nil) -> Node {
            Node(.directory, mode: mode, origin: origin)
        }

        public var isDirectory: Bool { if case .directory = kind { return true } else { return false } }

        public var content: ContentStore.Ref? {
            if case let .regular(ref) = kind { return ref }
            return nil
        }

        public var symlinkTarget: String? {
            if case let .symlink(target) = kind { return target }
            return nil
        }
    }

    public enum PathError: Error, Equatable, CustomStringConvertible {
        case relative(String)
        case dotDot(String)
        case empty
        case parentNotDirectory(path: String, parent: String)
        case throughSymlink(path: String, symlink: String)
        case notFound(String)
        case notEmpty(String)

        public var description: String {
            switch self {
            case let .relative(path): return "path '\(path)' is not absolute"
            case let .dotDot(path): return "path '\(path)' contains '..'; it could escape the tree"
            case .empty: return "empty path"
            case let .parentNotDirectory(path, parent): return "cannot add \(path): \(parent) is not a directory"
            case let .throughSymlink(path, symlink): return "cannot add \(path): it goes through the symlink \(symlink)"
            case let .notFound(path): return "\(path) is not in the tree"
            case let .notEmpty(path): return "\(path) is a directory that is not empty"
            }
        }
    }

    private var nodes: [String: Node] = ["/": .directory()]

    public init() {}

    /// `./usr/bin/x`, `usr//bin/x/`, `/usr/bin/./x` → `/usr/bin/x`. Refuses `..` anywhere.
    public static func normalize(_ path: String) throws(PathError) -> String {
        if path.isEmpty { throw .empty }
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { throw .dotDot(path) }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), path != "/" else { return "/" }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    public static func name(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    public var count: Int { nodes.count }

    public subscript(path: String) -> Node? {
        get { nodes[path] }
    }

    public func contains(_ path: String) -> Bool { nodes[path] != nil }

    /// Adds or replaces `path`. Missing parent directories are created (0755, root) unless
    /// `createParents` is false; a parent that is a symlink or a file is refused, so nothing
    /// can be written through a link out of the tree. Replacing a directory with a directory
    /// keeps its children.
    public mutating func insert(_ node: Node, at path: String, createParents: Bool = true) throws(PathError) {
        let path = try Self.normalize(path)
        if path == "/" {
            if node.isDirectory { nodes["/"] = node }
            return
        }
        var parents: [String] = []
        var current = Self.parent(of: path)
        while true {
            if let existing = nodes[current] {
                if case .symlink = existing.kind { throw .throughSymlink(path: path, symlink: current) }
                if !existing.isDirectory { throw .parentNotDirectory(path: path, parent: current) }
                break
            }
            guard createParents else { throw .notFound(current) }
            parents.append(current)
            current = Self.parent(of: current)
        }
        for parent in parents.reversed() { nodes[parent] = .directory(origin: node.origin) }
        if let existing = nodes[path], existing.isDirectory, !node.isDirectory, hasChildren(path) {
            throw .notEmpty(path)
        }
        nodes[path] = node
    }

    /// Changes a node in place (mode, owner, xattrs...).
    public mutating func update(_ path: String, _ body: (inout Node) -> Void) throws(PathError) {
        guard var node = nodes[path] else { throw .notFound(path) }
        body(&node)
        nodes[path] = node
    }

    /// Removes `path` (and, for a directory, everything under it). Hard links that pointed at a
    /// removed path are turned into regular files holding the content, so nothing dangles.
    /// Returns the removed paths with their nodes.
    @discardableResult
    public mutating func remove(_ path: String) -> [(path: String, node: Node)] {
        guard path != "/", let node = nodes[path] else { return [] }
        var removed: [(String, Node)] = [(path, node)]
        nodes[path] = nil
        if node.isDirectory {
            let prefix = path + "/"
            for key in nodes.keys where key.hasPrefix(prefix) {
                if let child = nodes.removeValue(forKey: key) { removed.append((key, child)) }
            }
        }
        // The first remaining link (in path order) takes over the content; the others point at it.
        let gone = Dictionary(removed.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        let orphans = nodes.compactMap { key, value -> String? in
            if case let .hardlink(target) = value.kind, gone[target] != nil { return key }
            return nil
        }
        var heirs: [String: String] = [:]
        for key in orphans.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            guard case let .hardlink(target)? = nodes[key]?.kind, let original = gone[target] else { continue }
            if let heir = heirs[target] {
                nodes[key]?.kind = .hardlink(heir)
            } else {
                heirs[target] = key
                nodes[key] = original
            }
        }
        return removed.sorted { $0.0 < $1.0 }
    }

    /// Every path, sorted bytewise (the order writers emit).
    public var paths: [String] {
        nodes.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Every (path, node) in no particular order: for passes that do not need sorting.
    public var unorderedEntries: some Sequence<(path: String, node: Node)> {
        nodes.lazy.map { (path: $0.key, node: $0.value) }
    }

    /// Every (path, node), sorted bytewise.
    public var entries: [(path: String, node: Node)] {
        paths.compactMap { path in nodes[path].map { (path, $0) } }
    }

    /// Every path below a directory (not the directory itself), sorted bytewise. Filters
    /// before sorting, so it costs one pass over the tree, not a sort of all of it.
    public func descendants(of directory: String) -> [String] {
        let prefix = directory == "/" ? "/" : directory + "/"
        return nodes.keys.filter { $0.hasPrefix(prefix) && $0 != "/" }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Direct children of a directory, sorted by name.
    public func children(of directory: String) -> [String] {
        let prefix = directory == "/" ? "/" : directory + "/"
        return nodes.keys.filter { $0.hasPrefix(prefix) && $0 != "/" && !$0.dropFirst(prefix.count).contains("/") }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    private func hasChildren(_ directory: String) -> Bool {
        let prefix = directory + "/"
        return nodes.keys.contains { $0.hasPrefix(prefix) }
    }

    /// Follows symlinks (absolute targets from the tree root, relative ones from the link's
    /// directory) to the node a path finally names, at most 40 hops, as the kernel does.
    /// Returns nil for a dangling link, a loop, or a target that climbs above the root.
    public func resolve(_ path: String) -> (path: String, node: Node)? {
        var current = path
        for _ in 0..<40 {
            guard let node = nodes[current] else {
                // A symlink may sit in a parent component (e.g. /lib → usr/lib).
                guard let redirected = resolveParents(current) else { return nil }
                if redirected == current { return nil }
                current = redirected
                continue
            }
            switch node.kind {
            case let .symlink(target):
                guard let next = Self.join(Self.parent(of: current), target) else { return nil }
                current = next
            case let .hardlink(target):
                current = target
            default:
                return (current, node)
            }
        }
        return nil
    }

    /// The path with symlinks in its parent components replaced by their targets.
    private func resolveParents(_ path: String) -> String? {
        var resolved = "/"
        let components = path.split(separator: "/")
        for (index, component) in components.enumerated() {
            let candidate = resolved == "/" ? "/" + component : resolved + "/" + component
            if index < components.count - 1, case let .symlink(target)? = nodes[candidate]?.kind {
                guard let next = Self.join(Self.parent(of: candidate), target) else { return nil }
                resolved = next
            } else {
                resolved = candidate
            }
        }
        return resolved
    }

    /// `target` read from `directory` (absolute targets from the root); nil if it climbs
    /// above the root.
    public static func join(_ directory: String, _ target: String) -> String? {
        var parts: [Substring] = target.hasPrefix("/") ? [] : directory.split(separator: "/")
        for part in target.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                if parts.isEmpty { return nil }
                parts.removeLast()
            } else {
                parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }
}
