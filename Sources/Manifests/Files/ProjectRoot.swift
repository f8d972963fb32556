import Foundation

/// The folder every path a manifest names must stay inside: the project tree that holds
/// `manifests/`, `kernels/`, `hardware/` and `overlays/`. Nothing outside it is read by lint
/// or copied into an image, so a manifest cannot bring the build machine's files in
/// (`kernel: /etc/shadow`, `overlays: [../../etc/ssh]`, an overlay that is a symbolic link).
///
/// Unless `--root DIR` names it, the root of a file is found from the folder that holds it
/// (symbolic links resolved): the nearest of that folder and its ancestors that is named
/// `manifests`, `kernels` or `hardware` gives its parent; when there is none, the root is the
/// file's own folder. So `proj/manifests/hv.yaml` and `proj/manifests/common/base.yaml` both
/// have the root `proj`, and a lone `/tmp/x/m.yaml` has `/tmp/x`.
public struct ProjectRoot: Hashable, Sendable, CustomStringConvertible {
    /// Folder names whose parent is a project root.
    public static let markerFolders: Set<String> = ["manifests", "kernels", "hardware"]

    /// Absolute, symbolic links resolved, no trailing slash (`/` only for the file system root).
    public let path: String

    /// A root the user names (`--root DIR`); nil when `directory` does not exist.
    public init?(directory: String) {
        guard FileProbe.kind(of: directory) == .directory, let real = FileProbe.realPath(directory) else { return nil }
        path = real
    }

    private init(real: String) { path = real }

    /// The default root of `file` (see the type's comment). A folder that does not exist is
    /// taken as written (nothing in it can be read anyway).
    public static func enclosing(_ file: String) -> ProjectRoot {
        let folder = (file as NSString).deletingLastPathComponent
        let written = folder.isEmpty ? "." : folder
        let real = FileProbe.realPath(written) ?? ManifestLoader.absolute(written)
        var candidate = real
        while candidate != "/" {
            let parent = (candidate as NSString).deletingLastPathComponent
            if markerFolders.contains((candidate as NSString).lastPathComponent) {
                return ProjectRoot(real: parent.isEmpty ? "/" : parent)
            }
            candidate = parent.isEmpty ? "/" : parent
        }
        return ProjectRoot(real: real)
    }

    public var description: String { path }

    /// True when the absolute, normalised `path` is the root or lies under it.
    public func contains(_ absolute: String) -> Bool {
        path == "/" || absolute == path || absolute.hasPrefix(path + "/")
    }

    /// Where a path a manifest names leads, checked against the root.
    public enum Placement: Equatable, Sendable {
        /// Inside the root; `real` is its resolved path when it exists.
        case inside(real: String?)
        /// Written as an absolute path.
        case absolute
        /// Climbs out of the root with `..` (`lexical` is where it leads).
        case climbsOut(lexical: String)
        /// Exists, but a symbolic link on the way leads out of the root to `real`.
        case linksOut(real: String)
    }

    /// Checks `value`, written in `file`: relative to `file`'s folder, it must stay inside the
    /// root both as written (no `..` out) and once symbolic links are resolved.
    public func place(_ value: String, writtenIn file: String) -> Placement {
        if value.hasPrefix("/") { return .absolute }
        let folder = (file as NSString).deletingLastPathComponent
        // The folder of a file already read is inside (or was refused); resolving it first
        // makes the `..` check independent of how the file was spelled.
        let base = FileProbe.realPath(folder.isEmpty ? "." : folder) ?? ManifestLoader.absolute(folder)
        let lexical = ManifestLoader.normalize(base + "/" + value)
        guard contains(lexical) else { return .climbsOut(lexical: lexical) }
        let resolved = ManifestLoader.resolve(value, relativeTo: file)
        guard let real = FileProbe.realPath(resolved) else { return .inside(real: nil) }
        return contains(real) ? .inside(real: real) : .linksOut(real: real)
    }

    /// Where a file named on the command line or found by walking a folder really is, when
    /// that is outside the root (it is a symbolic link out of the tree); nil when it is inside
    /// or does not exist.
    public func escape(of file: String) -> String? {
        guard let real = FileProbe.realPath(file), !contains(real) else { return nil }
        return real
    }
}
