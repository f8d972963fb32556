import ContentStore
import FileTree
import Foundation

/// An overlay: a directory whose contents are laid over the tree after the packages
/// (docs/overlays.md).
///
/// Regular files (contents into the store), directories and symlinks are copied; every
/// node is owned by root:root and takes the permission bits of the source, so a checkout
/// decides modes (`git` keeps the executable bit). Directories that already exist keep
/// their metadata. Anything else in the directory (devices, fifos, sockets) is refused.
/// The optional `.hostimg-attributes` at the overlay root is not copied; it sets mode and
/// owner per path once the files are in (see `OverlayAttributes`).
///
/// Overlay files replace package files on purpose (no conflict is recorded; their origin is
/// `overlay:NAME`). A path that would go through a symlink in the tree is refused —
/// `bin/foo` on a merged-/usr tree must be written as `usr/bin/foo`. The overlay is applied
/// all or nothing.
public enum Overlay {
    public static let attributesFileName = ".hostimg-attributes"

    /// Applies the overlay at `directory` to `tree`.
    ///
    /// - Parameters:
    ///   - name: the overlay's name for origins and errors (default: the directory name).
    ///   - root: the project folder the overlay must lie in. With it, the directory's real path
    ///     (symbolic links on the way resolved) must be inside `root`, so an overlay that is a
    ///     link to `/etc/ssh` copies nothing of the build machine; the walk then reads the real
    ///     directory. Links inside the overlay are never followed either way: they are copied as
    ///     links, image content like any file.
    /// - Returns: the paths the overlay put in the tree (directories included), sorted.
    @discardableResult
    public static func apply(directory: String, name: String? = nil, within root: String? = nil, to tree: inout FileTree,
                             store: ContentStore) throws(RootFSError) -> [String] {
        let overlayName = name ?? FileTree.name(of: directory)
        let location = SourceLocation(source: "overlay \(overlayName) (\(directory))")
        let origin = "overlay:\(overlayName)"
        let source = try confined(directory, within: root, location: location)
        var staged = StagedTree(location: location)
        try walk(source, relative: "", location: location, origin: origin, store: store, into: &staged)
        let attributes = try readAttributes(source, location: location)
        var working = tree
        _ = try staged.apply(to: &working, policy: .overlay)
        try OverlayAttributes.apply(attributes, to: &working)
        tree = working
        return staged.paths.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// The directory to walk: `directory` itself, or with `root`, its real path once checked to
    /// lie inside the root's real path.
    private static func confined(_ directory: String, within root: String?, location: SourceLocation) throws(RootFSError) -> String {
        guard let root else { return directory }
        guard let realRoot = realPath(root) else {
            throw .outsideProject(location, path: directory, root: root, reason: "the project folder does not exist")
        }
        guard let real = realPath(directory) else { return directory }
        guard realRoot == "/" || real == realRoot || real.hasPrefix(realRoot + "/") else {
            throw .outsideProject(location, path: directory, root: realRoot, reason: "it resolves to \(real)")
        }
        return real
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The `.hostimg-attributes` lines, if the overlay has the file. It must be a regular file:
    /// a link could make the build read (and quote, in errors) a file of the build machine.
    private static func readAttributes(_ directory: String, location: SourceLocation) throws(RootFSError) -> [OverlayAttributes.Line] {
        let path = directory + "/" + attributesFileName
        guard let status = FileStatus.of(path) else { return [] }
        guard status.type == .regular else {
            throw .unsupportedEntry(location, entry: attributesFileName,
                                    reason: "the attributes file must be a regular file, not a symbolic link or special file")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(location, entry: attributesFileName, message: "cannot read the file")
        }
        return try OverlayAttributes.parse(String(decoding: data, as: UTF8.self), file: path)
    }

    /// Depth-first in sorted name order, so staging (and the error for the first bad entry)
    /// does not depend on the order the file system lists a directory.
    private static func walk(_ root: String, relative: String, location: SourceLocation, origin: String,
                             store: ContentStore, into staged: inout StagedTree) throws(RootFSError) {
        let directory = relative.isEmpty ? root : root + "/" + relative
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
                .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        } catch {
            throw .unreadable(location, entry: relative.isEmpty ? "." : relative, message: "\(error)")
        }
        for name in names {
            if relative.isEmpty, name == attributesFileName { continue }
            let child = relative.isEmpty ? name : relative + "/" + name
            let full = root + "/" + child
            guard let status = FileStatus.of(full) else {
                throw .unreadable(location, entry: child, message: String(cString: strerror(errno)))
            }
            let kind: FileTree.Node.Kind
            switch status.type {
            case .directory:
                kind = .directory
            case .regular:
                kind = .regular(try storeFile(full, entry: child, location: location, store: store))
            case .symlink:
                do {
                    kind = .symlink(try FileManager.default.destinationOfSymbolicLink(atPath: full))
                } catch {
                    throw .unreadable(location, entry: child, message: "\(error)")
                }
            case .other:
                throw .unsupportedEntry(location, entry: child, reason: "overlays hold only files, directories and symlinks")
            }
            let path = try StagedTree.normalizedPath(child, location: location) { $0 }
            let mode: UInt16 = status.type == .symlink ? 0o777 : status.permissions
            try staged.add(path: path, original: child, node: FileTree.Node(kind, mode: mode, origin: origin))
            if status.type == .directory {
                try walk(root, relative: child, location: location, origin: origin, store: store, into: &staged)
            }
        }
    }

    private static func storeFile(_ path: String, entry: String, location: SourceLocation,
                                  store: ContentStore) throws(RootFSError) -> ContentStore.Ref {
        do {
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw ContentStore.StoreError.io("cannot open", path: path)
            }
            defer { try? handle.close() }
            return try store.put(what: path) { write in
                while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                    try write([UInt8](chunk))
                }
            }
        } catch {
            throw .unreadable(location, entry: entry, message: "\(error)")
        }
    }
}

/// `lstat(2)` reduced to what overlays need.
struct FileStatus {
    enum FileType { case regular, directory, symlink, other }

    var type: FileType
    /// Permission bits with setuid, setgid and sticky.
    var permissions: UInt16

    static func of(_ path: String) -> FileStatus? {
        var buffer = stat()
        guard lstat(path, &buffer) == 0 else { return nil }
        let mode = UInt32(buffer.st_mode)
        let type: FileType
        switch mode & 0o170000 {
        case 0o100000: type = .regular
        case 0o040000: type = .directory
        case 0o120000: type = .symlink
        default: type = .other
        }
        return FileStatus(type: type, permissions: UInt16(mode & 0o7777))
    }
}
