import ContentStore
import FileTree

/// The prune stage: removes from a `FileTree` what a hypervisor host does not need — locales
/// outside the keep list, documentation, manual pages, and ELF objects for other
/// architectures — and reports each removed path with its size, category, reason and package.
///
/// Each pass checks everything first and only then mutates the tree, so a pass that throws
/// leaves the tree as it was. Passes are idempotent: running one twice removes nothing the
/// second time. Symlinks that resolved before a pass and dangle after it (because their target
/// went) are removed by the same pass and reported with 0 bytes.
public struct Pruner: Sendable {
    public let store: ContentStore

    public init(store: ContentStore) {
        self.store = store
    }

    /// Which passes `run` performs.
    public struct Options: Sendable, Hashable, Codable {
        /// nil: keep every locale. Otherwise the manifest's `locales.keep`.
        public var keepLocales: [String]?
        public var docs: Bool
        public var man: Bool
        public var foreignArch: Bool
        /// Path prefixes the foreign-architecture pass leaves alone (e.g. guest firmware).
        public var foreignArchExempt: [String]

        public init(keepLocales: [String]? = nil, docs: Bool = true, man: Bool = true, foreignArch: Bool = true,
                    foreignArchExempt: [String] = []) {
            self.keepLocales = keepLocales
            self.docs = docs
            self.man = man
            self.foreignArch = foreignArch
            self.foreignArchExempt = foreignArchExempt
        }
    }

    /// Runs the selected passes in a fixed order (locales, docs, man, foreign-arch) and returns
    /// their combined report. The foreign-architecture pass runs last, so its needed-library
    /// check sees the tree the image will really hold.
    public func run(_ options: Options, on tree: inout FileTree) throws(PruneError) -> PruneReport {
        var report = PruneReport()
        if let keep = options.keepLocales { report.append(try locales(keep: keep, in: &tree)) }
        if options.docs { report.append(docs(in: &tree)) }
        if options.man { report.append(man(in: &tree)) }
        if options.foreignArch { report.append(try foreignArch(in: &tree, exempt: options.foreignArchExempt)) }
        return report
    }

    /// Removes `targets` (path → reason; a directory takes its subtree with it) and the
    /// symlinks that dangle because of it, and reports every removed non-directory node.
    func remove(_ targets: [String: String], category: PruneReport.Category,
                from tree: inout FileTree) -> PruneReport {
        guard !targets.isEmpty else { return PruneReport() }
        let before = tree
        let resolvingSymlinks = Set(before.unorderedEntries.compactMap { entry in
            entry.node.symlinkTarget != nil && before.resolve(entry.path) != nil ? entry.path : nil
        })

        var reasons: [String: String] = [:]
        var removed: [(path: String, node: FileTree.Node)] = []
        for path in targets.keys.sorted(by: Self.bytewise) where tree.contains(path) {
            let reason = targets[path] ?? ""
            for item in tree.remove(path) {
                reasons[item.path] = reason
                removed.append(item)
            }
        }
        // Symlinks whose targets went with this pass would dangle; they go too.
        for path in resolvingSymlinks.sorted(by: Self.bytewise) where tree.contains(path) && tree.resolve(path) == nil {
            let target = before[path]?.symlinkTarget ?? ""
            for item in tree.remove(path) {
                reasons[item.path] = "symlink to \(target), which this pass removed"
                removed.append(item)
            }
        }

        // Bytes are counted once per inode: the removed path that held the content (as it was
        // before the pass) carries them, and only if no kept path still links to it.
        var survivingLinks: Set<String> = []
        for (path, _) in tree.unorderedEntries {
            if case let .hardlink(target)? = before[path]?.kind { survivingLinks.insert(target) }
        }
        var entries: [PruneReport.Entry] = []
        var directories = 0
        for (path, _) in removed.sorted(by: { Self.bytewise($0.path, $1.path) }) {
            guard let original = before[path] else { continue }
            if original.isDirectory {
                directories += 1
                continue
            }
            var bytes: UInt64 = 0
            if let ref = original.content, !survivingLinks.contains(path) { bytes = ref.size }
            entries.append(PruneReport.Entry(path: path, bytes: bytes, category: category,
                                             reason: reasons[path] ?? "", origin: original.origin))
        }
        return PruneReport(entries: entries, directories: directories == 0 ? [:] : [category: directories])
    }

    /// Removes whole subtrees (and top-level files) under the given roots, one reason each.
    func removeRoots(_ roots: [(path: String, reason: String)], category: PruneReport.Category,
                     from tree: inout FileTree) -> PruneReport {
        var targets: [String: String] = [:]
        for root in roots where tree.contains(root.path) { targets[root.path] = root.reason }
        return remove(targets, category: category, from: &tree)
    }

    static func bytewise(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }

    /// Every path strictly below `directory`, in bytewise order.
    static func descendants(of directory: String, in tree: FileTree) -> [String] {
        tree.descendants(of: directory)
    }
}
