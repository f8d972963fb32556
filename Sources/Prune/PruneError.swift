import ContentStore

/// Why a prune pass refused to run. Nothing is removed when a pass throws: every check runs
/// before the tree is touched.
public enum PruneError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A `locales.keep` entry that is not a locale name.
    case invalidLocale(entry: String, reason: String)
    /// A regular file of the tree whose content the store does not hold.
    case contentMissing(path: String, ref: ContentStore.Ref)
    /// A non-x86-64 ELF object where commands live; removing it would break the command.
    /// `object` is the file a command symlink or hard link leads to, when it is not `path`.
    case foreignExecutable(path: String, origin: String?, architecture: String, object: String?)
    /// A non-x86-64 shared library whose SONAME kept x86-64 objects need, with no x86-64
    /// object in the tree providing that SONAME.
    case foreignLibraryNeeded(path: String, soname: String, origin: String?, architecture: String,
                              neededBy: [String])
    /// Several of the above, sorted by path.
    case several([PruneError])

    public var description: String {
        switch self {
        case let .invalidLocale(entry, reason):
            return "locales.keep entry '\(entry)' is not a locale name: \(reason); write it as language[_TERRITORY][.codeset][@modifier], e.g. en_US or en_US.UTF-8"
        case let .contentMissing(path, ref):
            return "\(path): its content \(ref) is not in the content store; the unpack stage did not finish — rebuild without the cache entry"
        case let .foreignExecutable(path, origin, architecture, object):
            let what = object.map { "leads to \($0), an \(architecture) ELF object" } ?? "is an \(architecture) ELF object"
            return "\(path)\(Self.package(origin)) \(what) in a command directory; "
                + "pruning non-x86-64 objects would remove a command a kept package installs. "
                + "Install the amd64 build of that package, or drop it from the manifest"
        case let .foreignLibraryNeeded(path, soname, origin, architecture, neededBy):
            let shown = neededBy.prefix(5).joined(separator: ", ")
            let more = neededBy.count > 5 ? " and \(neededBy.count - 5) more" : ""
            return "\(path)\(Self.package(origin)) is an \(architecture) library with SONAME \(soname), "
                + "which \(shown)\(more) need; no x86-64 object in the tree provides \(soname), so pruning it "
                + "would leave them unable to load. Add the amd64 package that ships \(soname)"
        case let .several(errors):
            return "\(errors.count) problems:\n" + errors.map { "  - \($0.description)" }.joined(separator: "\n")
        }
    }

    private static func package(_ origin: String?) -> String {
        origin.map { " (from \($0))" } ?? ""
    }
}
