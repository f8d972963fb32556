import FileTree
#if canImport(Glibc)
import Glibc
#endif

extension Drivers {
    struct FirmwareCount {
        var before = 0
        var after = 0
        var bytesRemoved: UInt64 = 0
    }

    /// The firmware directories of the tree: /usr/lib/firmware, and /lib/firmware when /lib
    /// is a real directory (not the merged-/usr symlink).
    static func firmwareDirectories(_ tree: FileTree) -> [String] {
        var bases = ["/usr/lib/firmware"]
        if tree["/lib"]?.isDirectory == true { bases.append("/lib/firmware") }
        return bases.filter { tree[$0]?.isDirectory == true }
    }

    /// Whether the firmware file at `relative` (to the firmware directory) is one a module
    /// names: the exact name, the name compressed as the kernel's loader also tries
    /// (`.xz`, `.zst`), or a `firmware=` value with glob characters matching it.
    static func firmwareMatches(_ relative: String, _ names: Set<String>) -> Bool {
        if names.contains(relative) { return true }
        for suffix in [".xz", ".zst"] where relative.hasSuffix(suffix) {
            if names.contains(String(relative.dropLast(suffix.count))) { return true }
        }
        return false
    }

    /// Removes every firmware file no name in `names` selects. Symlinks that are kept keep
    /// their targets; directories emptied by the removal go too.
    static func pruneFirmware(tree: inout FileTree, names: Set<String>) -> FirmwareCount {
        var count = FirmwareCount()
        let patterns = names.filter { $0.contains("*") || $0.contains("?") || $0.contains("[") }
        for base in firmwareDirectories(tree) {
            let paths = tree.descendants(of: base)
            let files = paths.filter { tree[$0]?.isDirectory == false }
            count.before += files.count
            var kept = Set(files.filter { path in
                let relative = String(path.dropFirst(base.count + 1))
                return firmwareMatches(relative, names) || patterns.contains { fnmatch($0, relative, 0) == 0 }
            })
            // A kept symlink (or hard link) keeps what it points at, transitively.
            var pending = Array(kept)
            while let path = pending.popLast() {
                guard let node = tree[path] else { continue }
                var target: String?
                switch node.kind {
                case .symlink(let link): target = tree.resolve(path)?.path ?? FileTree.join(FileTree.parent(of: path), link)
                case .hardlink(let original): target = original
                default: target = nil
                }
                if let target, target.hasPrefix(base + "/"), tree[target] != nil, kept.insert(target).inserted {
                    pending.append(target)
                }
            }
            for path in files where !kept.contains(path) {
                for removed in tree.remove(path) { count.bytesRemoved += removed.node.content?.size ?? 0 }
            }
            count.after += kept.count
            removeEmptiedDirectories(&tree, under: base, before: files, after: kept)
        }
        return count
    }

    /// Removes the directories under `base` that held files in `before` and hold none of
    /// `after` (directories that were empty to begin with stay).
    static func removeEmptiedDirectories<S: Sequence<String>>(_ tree: inout FileTree, under base: String, before: [String], after: S) {
        func ancestors<T: Sequence<String>>(_ paths: T) -> Set<String> {
            var result = Set<String>()
            for path in paths {
                var parent = FileTree.parent(of: path)
                while parent.count > base.count, result.insert(parent).inserted { parent = FileTree.parent(of: parent) }
            }
            return result
        }
        let emptied = ancestors(before).subtracting(ancestors(after))
        // Deepest first is not needed: removing a directory removes what is under it.
        for directory in emptied.sorted(by: { $0.count < $1.count }) where tree[directory] != nil {
            tree.remove(directory)
        }
    }
}
