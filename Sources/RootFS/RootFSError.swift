/// Where an entry came from, for error messages: the file a person can look at (a `.deb`, a
/// rootfs tarball, an overlay directory) and, for a `.deb`, the member inside it
/// (`data.tar.xz`). Printed as `libfoo_1.0_amd64.deb: data.tar.xz`.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var source: String
    public var member: String?

    public init(source: String, member: String? = nil) {
        self.source = source
        self.member = member
    }

    public var description: String { member.map { "\(source): \($0)" } ?? source }
}

/// Errors of the rootfs stage. Every message names the file (package, tarball, overlay) and
/// the path inside it, and says what would have been acceptable.
public enum RootFSError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file is not a `.deb` dpkg would accept (bad `debian-binary`, missing or unknown member).
    case notADebianPackage(source: String, reason: String)
    /// `control` lacks a field every package has.
    case missingControlField(source: String, field: String)
    /// An entry path has a `..` component.
    case escapesTree(SourceLocation, entry: String)
    /// A relative symlink target climbs above the root from where the link sits.
    case symlinkEscapes(SourceLocation, entry: String, target: String)
    /// An entry lies under a path that is a symlink (in the tree or earlier in the same
    /// source), so writing it would follow the link.
    case throughSymlink(SourceLocation, entry: String, symlink: String)
    /// An entry lies under a path that is a file, not a directory.
    case parentNotDirectory(SourceLocation, entry: String, parent: String)
    /// A non-directory would replace a directory.
    case replacesDirectory(SourceLocation, entry: String, path: String, existingOrigin: String?)
    /// A hard link names a target that is not an earlier regular file of the same source.
    case badHardlink(SourceLocation, entry: String, target: String, reason: String)
    /// The archive could not be read: truncated, corrupt, unknown compression. `message`
    /// carries libarchive's (or the content store's) own text.
    case unreadable(SourceLocation, entry: String?, message: String)
    /// An entry type the tree cannot hold, or an overlay file of an unsupported type.
    case unsupportedEntry(SourceLocation, entry: String, reason: String)
    /// Lines of an overlay's `.hostimg-attributes` that could not be used.
    case badAttributes([AttributeProblem])
    /// Writing the deterministic tar failed.
    case tarWrite(destination: String, path: String?, message: String)
    /// An overlay directory lies outside the project folder (a symbolic link out of it).
    case outsideProject(SourceLocation, path: String, root: String, reason: String)

    /// One bad line of an attributes file, printed `file:line: message`.
    public struct AttributeProblem: Sendable, Hashable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var message: String

        public init(file: String, line: Int, message: String) {
            self.file = file
            self.line = line
            self.message = message
        }

        public var description: String { "\(file):\(line): \(message)" }
    }

    public var description: String {
        switch self {
        case let .notADebianPackage(source, reason):
            return "\(source): not a Debian binary package: \(reason)"
        case let .missingControlField(source, field):
            return "\(source): control file has no '\(field)' field; every binary package needs Package, Version and Architecture"
        case let .escapesTree(location, entry):
            return "\(location) entry '\(entry)' escapes the tree (a '..' component); refusing the whole archive"
        case let .symlinkEscapes(location, entry, target):
            return "\(location) entry '\(entry)' is a symlink to '\(target)', which climbs above the root; "
                + "use an absolute target or one that stays inside the tree"
        case let .throughSymlink(location, entry, symlink):
            return "\(location) entry '\(entry)' goes through the symlink \(symlink); "
                + "writing through a link could leave the tree, so the entry must name the real directory"
        case let .parentNotDirectory(location, entry, parent):
            return "\(location) entry '\(entry)' lies under \(parent), which is not a directory"
        case let .replacesDirectory(location, entry, path, existingOrigin):
            let owner = existingOrigin.map { " (from \($0))" } ?? ""
            return "\(location) entry '\(entry)' would replace the directory \(path)\(owner) with a non-directory"
        case let .badHardlink(location, entry, target, reason):
            return "\(location) entry '\(entry)' is a hard link to '\(target)', \(reason)"
        case let .unreadable(location, entry, message):
            let at = entry.map { " at entry '\($0)'" } ?? ""
            return "\(location)\(at): cannot read: \(message)"
        case let .unsupportedEntry(location, entry, reason):
            return "\(location) entry '\(entry)': \(reason)"
        case let .badAttributes(problems):
            return problems.map(\.description).joined(separator: "\n")
        case let .outsideProject(location, path, root, reason):
            return "\(location): \(path) is outside the project tree \(root) (\(reason)); "
                + "nothing outside the project is copied into an image: replace the link with the files themselves"
        case let .tarWrite(destination, path, message):
            let at = path.map { " (entry \($0))" } ?? ""
            return "\(destination)\(at): cannot write the tar: \(message)"
        }
    }
}

/// A path that more than one package ships as a non-directory. The later package in lock
/// order wins (dpkg would need `Replaces:`); the build report lists these.
public struct PathConflict: Sendable, Hashable, CustomStringConvertible {
    public var path: String
    /// Packages that shipped the path, in the order they were applied; the last one won.
    public var packages: [String]

    public init(path: String, packages: [String]) {
        self.path = path
        self.packages = packages
    }

    public var description: String { "\(path) is shipped by \(packages.joined(separator: ", ")); \(packages.last ?? "?") wins" }
}
