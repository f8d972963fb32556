import Foundation

/// A manifest with everything it names loaded: its bases (`extends:`), kernel file and
/// hardware profile, plus every diagnostic found on the way.
public struct LoadedManifest: Sendable {
    public var manifest: Manifest?
    public var kernel: KernelFile?
    public var hardware: HardwareProfile?
    public var diagnostics: [Diagnostic]
    /// Every file read: the manifest, its bases, kernel file and hardware profile.
    public var files: [String]
}

/// Loads manifests and resolves `extends:`.
///
/// Merge rules (docs/manifest.md): bases are merged in the order listed, each base's own
/// bases first, then the manifest itself on top. Mappings merge key by key, except one-of
/// values (`oneOfGroups`), which the later file replaces; the set-like lists in `unionPaths`
/// are concatenated, dropping the later file's items the base already has; every other
/// value — scalars and other lists — is replaced by the later file's. `extends` and `partial`
/// are never inherited. Every merged value keeps the file and position it was written at.
///
/// Every path a manifest names must stay inside its project (`ProjectRoot`); a path that
/// does not is reported (`path.absolute`, `path.outside-project`) and never read.
public enum ManifestLoader {
    public static func load(path: String, hardwareOverride: String? = nil, root: ProjectRoot? = nil) -> LoadedManifest {
        var session = ManifestSession()
        return load(path: path, hardwareOverride: hardwareOverride, root: root, session: &session)
    }

    /// Loads `path` within `session`, which reads each file once however many loads need it.
    /// `root` defaults to `ProjectRoot.enclosing(path)`.
    public static func load(path: String, hardwareOverride: String? = nil, root: ProjectRoot? = nil,
                            session: inout ManifestSession) -> LoadedManifest {
        let projectRoot = root ?? ProjectRoot.enclosing(path)
        if let refusal = outsideProject(path, root: projectRoot) {
            return LoadedManifest(manifest: nil, kernel: nil, hardware: nil, diagnostics: [refusal], files: [path])
        }
        let document = session.document(path)
        let node: YNode
        switch document.outcome {
        case let .failed(diagnostic):
            return LoadedManifest(manifest: nil, kernel: nil, hardware: nil, diagnostics: [diagnostic], files: [document.path])
        case let .document(parsed):
            node = parsed
        }
        var walker = ExtendsWalker(root: projectRoot)
        let merged = walker.merged(node, path: document.path, identity: identity(path), chain: [], session: &session).tree
        var reader = SchemaReader()
        reader.sink.append(contentsOf: walker.sink.diagnostics)
        guard var manifest = Manifest.decode(merged, file: document.path, reader: &reader) else {
            return LoadedManifest(manifest: nil, kernel: nil, hardware: nil, diagnostics: reader.sink.diagnostics, files: walker.files)
        }
        manifest.projectRoot = projectRoot.path
        var result = LoadedManifest(manifest: manifest, kernel: nil, hardware: nil, diagnostics: [], files: walker.files)
        var references = References(root: projectRoot, sink: reader.sink)
        result.kernel = references.kernel(manifest.kernel, session: &session, files: &result.files)
        result.hardware = references.hardware(manifest.hardware, override: hardwareOverride, session: &session, files: &result.files)
        references.checkPaths(of: manifest)
        result.diagnostics = references.sink.diagnostics
        return result
    }

    /// A diagnostic refusing `file` when its real path lies outside `root` (it is, or goes
    /// through, a symbolic link out of the project, or `--root` does not hold it).
    static func outsideProject(_ file: String, root: ProjectRoot) -> Diagnostic? {
        guard let real = root.escape(of: file) else { return nil }
        return Diagnostic(.error, .file(file), rule: "path.outside-project",
                          "\(file) is \(real), outside the project tree \(root); lint and build read nothing outside it",
                          hint: "lint the file inside the project, or name the folder that holds it with --root DIR")
    }

    /// Loads and checks what a decoded manifest names, reporting into one sink.
    private struct References {
        let root: ProjectRoot
        var sink: DiagnosticSink

        mutating func kernel(_ reference: Located<String>?, session: inout ManifestSession, files: inout [String]) -> KernelFile? {
            guard let reference, let path = ManifestLoader.placed(reference, field: "kernel", root: root, sink: &sink),
                  case let (shown, node)? = read(path, at: reference, kind: .kernel, session: &session, files: &files) else { return nil }
            var reader = SchemaReader(sink: sink)
            defer { sink = reader.sink }
            return KernelFile.decode(node, file: shown, reader: &reader)
        }

        mutating func hardware(_ reference: Located<String>?, override: String?, session: inout ManifestSession,
                               files: inout [String]) -> HardwareProfile? {
            // The manifest's own path is checked even when `--hardware` replaces it.
            let placed = reference.flatMap { ManifestLoader.placed($0, field: "hardware", root: root, sink: &sink) }
            let chosen: (Located<String>, String)?
            if let override {
                chosen = (Located(override, at: .file(override)), override)
            } else if let reference, let placed {
                chosen = (reference, placed)
            } else {
                chosen = nil
            }
            guard case let (at, path)? = chosen,
                  case let (shown, node)? = read(path, at: at, kind: .hardware, session: &session, files: &files) else { return nil }
            var reader = SchemaReader(sink: sink)
            defer { sink = reader.sink }
            return HardwareProfile.decode(node, file: shown, reader: &reader)
        }

        private mutating func read(_ path: String, at reference: Located<String>, kind: ReferenceKind,
                                   session: inout ManifestSession, files: inout [String]) -> (String, YNode)? {
            if let problem = ManifestLoader.regularFileProblem(path) {
                sink.error(reference.location, kind.rule, "\(kind.noun) '\(reference.value)' \(problem) (looked for \(path))",
                           hint: "paths are relative to the file that names them")
                return nil
            }
            let document = session.referenced(path, at: reference, kind: kind, sink: &sink)
            files.append(document.path)
            return document.node.map { (document.path, $0) }
        }

        /// Overlays, the base tarball, key files and the repository keyring: inside the
        /// project, and of the right type where they exist.
        mutating func checkPaths(of manifest: Manifest) {
            for overlay in manifest.overlays {
                guard let path = ManifestLoader.placed(overlay, field: "overlays", root: root, sink: &sink) else { continue }
                checkOverlay(overlay, path: path)
            }
            ManifestLoader.checkNamedFile(manifest.base?.tarball, field: "base.tarball", what: "base tarball", required: true,
                                          root: root, sink: &sink)
            ManifestLoader.checkNamedFile(manifest.packages?.repository?.keyring, field: "packages.repository.keyring",
                                          what: "repository keyring", required: false, root: root, sink: &sink)
            for (field, source) in [("signing.key", manifest.signing?.key), ("signing.certificate", manifest.signing?.certificate)] {
                guard case let .file(file)? = source else { continue }
                ManifestLoader.checkNamedFile(file, field: "\(field).file", what: "`\(field)` file", required: false,
                                              root: root, sink: &sink)
            }
        }

        private mutating func checkOverlay(_ overlay: Located<String>, path: String) {
            switch FileProbe.kind(of: path) {
            case .directory:
                return
            case .missing:
                sink.error(overlay.location, "ref.overlay", "overlay directory '\(overlay.value)' does not exist (looked for \(path))",
                           hint: "overlay paths are relative to the file that names them")
            case .regular:
                sink.error(overlay.location, "ref.overlay", "overlay '\(overlay.value)' is a file; an overlay is a directory copied over the tree",
                           hint: "name the directory that holds the files, laid out as in the image (etc/..., usr/...)")
            case let other:
                sink.error(overlay.location, "ref.overlay", "overlay '\(overlay.value)' is \(other.description), not a directory (looked for \(path))",
                           hint: "name the directory that holds the files, laid out as in the image (etc/..., usr/...)")
            }
        }
    }
}
