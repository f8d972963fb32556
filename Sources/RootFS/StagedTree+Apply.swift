import FileTree

extension StagedTree {
    /// How `apply` treats paths that already exist in the tree.
    public struct ApplyPolicy: Sendable, Hashable {
        /// Record a `PathConflict` when a non-directory from another origin is replaced.
        public var recordConflicts: Bool
        /// Take the metadata of the archive's `./` entry for `/`.
        public var setRootMetadata: Bool

        public init(recordConflicts: Bool, setRootMetadata: Bool) {
            self.recordConflicts = recordConflicts
            self.setRootMetadata = setRootMetadata
        }

        /// Packages: conflicts are recorded, `/` keeps its metadata.
        public static let package = ApplyPolicy(recordConflicts: true, setRootMetadata: false)
        /// A rootfs tarball taken as it is.
        public static let tarball = ApplyPolicy(recordConflicts: false, setRootMetadata: true)
        /// Overlays replace on purpose.
        public static let overlay = ApplyPolicy(recordConflicts: false, setRootMetadata: false)
    }

    /// Put the staged entries into `tree`, all or nothing.
    ///
    /// Every entry is first checked against the tree and the entries before it (no path
    /// through a symlink, no file under a file, no non-directory over a directory); only when
    /// all pass is the tree changed. A directory that already exists keeps its metadata (the
    /// first package's); a symlink where the archive has a directory is kept, as dpkg keeps
    /// it (entries under it are then refused). Anything else replaces what was there; hard links to the replaced file take over
    /// its content (`FileTree.remove`), so they never change meaning.
    ///
    /// - Returns: the replaced paths whose previous origin differs, when the policy records them.
    public func apply(to tree: inout FileTree, policy: ApplyPolicy) throws(RootFSError) -> [PathConflict] {
        try validate(against: tree)
        var conflicts: [PathConflict] = []
        for name in usrLinks.sorted() where !tree.contains("/" + name) {
            try insert(MergedUsr.linkNode(name), at: "/" + name, original: name, into: &tree)
        }
        if policy.setRootMetadata, let root {
            try insert(root, at: "/", original: "./", into: &tree)
        }
        for entry in entries {
            if let existing = tree[entry.path] {
                if existing.isDirectory { continue }
                if entry.node.isDirectory, existing.symlinkTarget != nil { continue }
                if policy.recordConflicts, existing.origin != entry.node.origin {
                    conflicts.append(PathConflict(
                        path: entry.path, packages: [existing.origin ?? "unknown", entry.node.origin ?? "unknown"]))
                }
                tree.remove(entry.path)
            }
            try insert(entry.node, at: entry.path, original: entry.original, into: &tree)
        }
        return conflicts
    }

    /// The checks `FileTree.insert` makes, done up front for every entry so that a refusal
    /// leaves the tree untouched.
    func validate(against tree: FileTree) throws(RootFSError) {
        var local: [String: FileTree.Node] = [:]
        for name in usrLinks where !tree.contains("/" + name) {
            local["/" + name] = MergedUsr.linkNode(name)
        }
        func lookup(_ path: String) -> FileTree.Node? { local[path] ?? tree[path] }
        for entry in entries {
            var ancestor = FileTree.parent(of: entry.path)
            while ancestor != "/" {
                if let node = lookup(ancestor) {
                    if node.symlinkTarget != nil {
                        throw .throughSymlink(location, entry: entry.original, symlink: ancestor)
                    }
                    if !node.isDirectory {
                        throw .parentNotDirectory(location, entry: entry.original, parent: ancestor)
                    }
                    break
                }
                ancestor = FileTree.parent(of: ancestor)
            }
            let existing = lookup(entry.path)
            if let existing, existing.isDirectory, !entry.node.isDirectory {
                throw .replacesDirectory(location, entry: entry.original, path: entry.path, existingOrigin: existing.origin)
            }
            if entry.node.isDirectory, let existing, existing.isDirectory || existing.symlinkTarget != nil { continue }
            local[entry.path] = entry.node
        }
    }

    private func insert(_ node: FileTree.Node, at path: String, original: String,
                        into tree: inout FileTree) throws(RootFSError) {
        do {
            try tree.insert(node, at: path)
        } catch let .throughSymlink(_, symlink) {
            throw .throughSymlink(location, entry: original, symlink: symlink)
        } catch let .parentNotDirectory(_, parent) {
            throw .parentNotDirectory(location, entry: original, parent: parent)
        } catch .notEmpty {
            throw .replacesDirectory(location, entry: original, path: path, existingOrigin: tree[path]?.origin)
        } catch {
            throw .unsupportedEntry(location, entry: original, reason: "\(error)")
        }
    }
}

/// The merged-/usr layout Debian has used by default since bookworm: `/bin`, `/sbin`,
/// `/lib` and `/lib64` are symlinks into `/usr`, and packages that still ship files under
/// them have those files stored under `/usr`, as debootstrap and mmdebstrap set it up.
public enum MergedUsr {
    /// Directories that are links into `/usr`. `lib32` and `libx32` are only created when a
    /// package ships something under them.
    public static let linkedDirectories: Set<String> = ["bin", "sbin", "lib", "lib64", "lib32", "libx32"]
    /// Links every merged-/usr tree has.
    public static let alwaysLinked = ["bin", "lib", "lib64", "sbin"]
    static let origin = "merged-usr"

    /// `/bin/sh` → `/usr/bin/sh`; other paths unchanged.
    public static func map(_ path: String) -> String {
        let components = path.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: true)
        guard let first = components.first, linkedDirectories.contains(String(first)) else { return path }
        return "/usr" + path
    }

    /// The top-level link directory a (normalised, unmapped) path lies in, if any.
    static func linkedDirectory(of path: String) -> String? {
        let components = path.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: true)
        guard let first = components.first, linkedDirectories.contains(String(first)) else { return nil }
        return String(first)
    }

    static func linkNode(_ name: String) -> FileTree.Node {
        FileTree.Node(.symlink("usr/" + name), mode: 0o777, origin: origin)
    }

    /// An empty tree with `/usr/{bin,sbin,lib,lib64}` and the links to them.
    public static func baseTree() -> FileTree {
        var tree = FileTree()
        addLinks(to: &tree)
        return tree
    }

    /// Adds the always-present links (and their `/usr` directories) where nothing is yet.
    public static func addLinks(to tree: inout FileTree) {
        for name in alwaysLinked where !tree.contains("/" + name) {
            if !tree.contains("/usr/" + name) {
                try? tree.insert(.directory(origin: origin), at: "/usr/" + name)
            }
            try? tree.insert(linkNode(name), at: "/" + name)
        }
    }
}
