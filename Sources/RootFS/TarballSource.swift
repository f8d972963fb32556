import Archive
import ContentStore
import FileTree

/// A manifest's `base.tarball`: a whole root file system as one archive (mmdebstrap's
/// output, `docker export`, a buildroot `rootfs.tar`), in any format and compression
/// libarchive detects.
///
/// The tree is taken as it is — no merged-/usr remapping, since the archive already has
/// whatever layout its maker chose — but with the same safety rules as packages: no `..`,
/// no relative symlink climbing above the root, nothing written through a symlink, hard
/// links only to earlier files of the archive. The `./` entry, when present, gives `/` its
/// mode and owner.
public enum TarballSource {
    /// Reads the tarball at `path` into a new tree; file contents go into `store`.
    ///
    /// - Parameters:
    ///   - name: how errors name the archive (default: its file name).
    ///   - origin: recorded as every node's origin, for reports.
    public static func read(_ path: String, name: String? = nil, store: ContentStore,
                            origin: String = "base.tarball") throws(RootFSError) -> FileTree {
        var tree = FileTree()
        try read(path, name: name, store: store, origin: origin, into: &tree)
        return tree
    }

    /// Reads the tarball into an existing tree, all or nothing.
    public static func read(_ path: String, name: String? = nil, store: ContentStore, origin: String = "base.tarball",
                            into tree: inout FileTree) throws(RootFSError) {
        let location = SourceLocation(source: name ?? FileTree.name(of: path))
        let reader: ArchiveReader
        do {
            reader = try ArchiveReader(path: path, formats: [.tar, .cpio])
        } catch {
            throw .unreadable(location, entry: nil, message: "\(error)")
        }
        let staged = try StagedTree.read(reader, location: location, store: store, origin: origin) { $0 }
        _ = try staged.apply(to: &tree, policy: .tarball)
    }
}
