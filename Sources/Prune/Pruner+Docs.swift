import FileTree

extension Pruner {
    /// Documentation: everything under `/usr/share/doc` except each package's `copyright`
    /// (the licences must ship with the binaries), plus `/usr/share/doc-base` (registrations
    /// for documentation browsers such as dwww) and `/usr/share/lintian` (overrides read only by
    /// the lintian package checker at package build time, never on a running host).
    ///
    /// Kept: `/usr/share/doc/<pkg>/copyright` (and, when it is a symlink, what it points to
    /// inside `/usr/share/doc`), the `<pkg>` directories holding them, and symlinks directly
    /// in `/usr/share/doc` (Debian links a package's doc directory to a sibling's, whose
    /// copyright then covers both).
    public func docs(in tree: inout FileTree) -> PruneReport {
        let root = "/usr/share/doc"
        var kept: Set<String> = [root]
        func keepWithParents(_ path: String) {
            var current = path
            while current.hasPrefix(root + "/"), kept.insert(current).inserted {
                current = FileTree.parent(of: current)
            }
        }
        for package in tree.children(of: root) {
            guard let node = tree[package] else { continue }
            if node.symlinkTarget != nil {
                keepWithParents(package)
                continue
            }
            let copyright = package + "/copyright"
            guard node.isDirectory, tree.contains(copyright) else { continue }
            keepWithParents(copyright)
            switch tree[copyright]?.kind {
            case .symlink?, .hardlink?:
                if let resolved = tree.resolve(copyright)?.path { keepWithParents(resolved) }
            default:
                break
            }
        }
        // Remove the highest paths that are not kept; a removed directory takes its subtree.
        var targets: [String: String] = [:]
        for path in Self.descendants(of: root, in: tree) where !kept.contains(path) {
            if kept.contains(FileTree.parent(of: path)) {
                targets[path] = "documentation (only copyright files are kept)"
            }
        }
        var report = remove(targets, category: .doc, from: &tree)
        report.append(removeRoots([
            ("/usr/share/doc-base", "doc-base registration, read only by documentation browsers"),
            ("/usr/share/lintian", "lintian overrides, read only by the package checker when packages are built"),
        ], category: .doc, from: &tree))
        return report
    }

    /// Manual pages and info manuals: `/usr/share/man` and `/usr/share/info` as a whole
    /// (translated man pages included). `/usr/share/groff` stays: it is groff's own data, not
    /// documentation, and a kept package may run groff.
    public func man(in tree: inout FileTree) -> PruneReport {
        removeRoots([
            ("/usr/share/man", "manual page"),
            ("/usr/share/info", "info manual"),
        ], category: .man, from: &tree)
    }
}
