import Foundation

/// Paths a manifest names: resolving them, and checking them against the project root before
/// anything is read (`path.absolute`, `path.outside-project`, and files that are not regular).
extension ManifestLoader {
    /// `relative` as seen from the folder of `file`, normalised lexically (`a/../b` → `b`).
    public static func resolve(_ relative: String, relativeTo file: String) -> String {
        if relative.hasPrefix("/") { return normalize(relative) }
        let directory = (file as NSString).deletingLastPathComponent
        return normalize(directory.isEmpty ? relative : directory + "/" + relative)
    }

    static func normalize(_ path: String) -> String {
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
            } else if part == ".." && path.hasPrefix("/") && parts.isEmpty {
                continue
            } else {
                parts.append(part)
            }
        }
        let joined = parts.joined(separator: "/")
        return path.hasPrefix("/") ? "/" + joined : (joined.isEmpty ? "." : joined)
    }

    /// `path` made absolute from the working directory and normalised.
    static func absolute(_ path: String) -> String {
        normalize(path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path)
    }

    /// One name per file whatever the spelling: the real path, or the absolute normalised path
    /// of a file that does not exist.
    static func identity(_ path: String) -> String {
        FileProbe.realPath(path) ?? absolute(path)
    }

    static func displayName(_ absolute: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        return absolute.hasPrefix(cwd + "/") ? String(absolute.dropFirst(cwd.count + 1)) : absolute
    }

    /// Checks a path value against the project root and returns the path to read, or reports
    /// why it may not be read and returns nil. `field` names the key in messages
    /// (`kernel`, `overlays`, `signing.key.file`).
    static func placed(_ reference: Located<String>, field: String, root: ProjectRoot,
                       sink: inout DiagnosticSink) -> String? {
        let value = reference.value
        switch root.place(value, writtenIn: reference.location.file) {
        case .inside:
            return resolve(value, relativeTo: reference.location.file)
        case .absolute:
            sink.error(reference.location, "path.absolute",
                       "`\(field)` names the absolute path '\(value)'; a manifest names files inside its project (\(root)) only",
                       hint: "copy the file into the project and write its path relative to this file (or name another project folder with --root)")
        case let .climbsOut(lexical):
            sink.error(reference.location, "path.outside-project",
                       "`\(field)` '\(value)' leads to \(lexical), outside the project tree \(root)",
                       hint: "keep `..` within the project; if the project folder is higher up, name it with --root DIR")
        case let .linksOut(real):
            sink.error(reference.location, "path.outside-project",
                       "`\(field)` '\(value)' goes through a symbolic link to \(real), outside the project tree \(root)",
                       hint: "replace the link with the files themselves, or point it inside the project")
        }
        return nil
    }

    /// Why a path that must be a regular file is not one (nil when it is, or when it is
    /// missing and `missingIsFine`): "does not exist", "is a named pipe (FIFO), not a regular file".
    static func regularFileProblem(_ path: String, missingIsFine: Bool = false) -> String? {
        switch FileProbe.kind(of: path) {
        case .regular: return nil
        case .missing: return missingIsFine ? nil : "does not exist"
        case .directory: return "is a directory, not a file"
        case let .unreadable(reason): return "cannot be read (\(reason))"
        case let other: return "is \(other.description), not a regular file"
        }
    }

    /// Checks a file a manifest names but lint does not read (the base tarball, key files,
    /// the repository keyring): inside the project, and a regular file when it is there.
    /// A missing file is reported only when `required` (the build reads the others later and
    /// says so itself).
    static func checkNamedFile(_ reference: Located<String>?, field: String, what: String, required: Bool,
                               root: ProjectRoot, sink: inout DiagnosticSink) {
        guard let reference, let path = placed(reference, field: field, root: root, sink: &sink) else { return }
        guard let problem = regularFileProblem(path, missingIsFine: !required) else { return }
        sink.error(reference.location, "ref.file", "\(what) '\(reference.value)' \(problem) (looked for \(path))",
                   hint: "paths are relative to the file that names them")
    }
}
