import Foundation

/// Entry point for `hostimg lint`: files or directories in, diagnostics out.
public struct LintOptions: Sendable {
    /// A hardware profile given on the command line; it overrides a manifest's `hardware:`.
    public var hardwareProfile: String?
    /// A manifest for the slot being switched away from (kexec rules compare the two).
    public var previousManifest: String?
    /// The project folder every path must stay inside (`--root`); default: each file's
    /// `ProjectRoot.enclosing`.
    public var root: String?

    public init(hardwareProfile: String? = nil, previousManifest: String? = nil, root: String? = nil) {
        self.hardwareProfile = hardwareProfile
        self.previousManifest = previousManifest
        self.root = root
    }
}

public struct LintResult: Sendable {
    /// Sorted, de-duplicated.
    public var diagnostics: [Diagnostic]
    /// Every file that was read, in the order read, each once (by real path).
    public var files: [String]
    /// How many files were read from disk: each once per run, however many manifests name it.
    public var reads: Int

    public init(diagnostics: [Diagnostic], files: [String], reads: Int = 0) {
        self.diagnostics = diagnostics
        self.files = files
        self.reads = reads
    }
}

/// A problem with the command itself (a path that does not exist): exit code 2, not a finding.
public struct LintUsageError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public enum Linter {
    /// What a file is, decided by the folder it sits in.
    public enum FileKind: Sendable, Equatable {
        case manifest, kernel, hardware

        public init(path: String) {
            let folder = ((path as NSString).deletingLastPathComponent as NSString).lastPathComponent
            switch folder {
            case "kernels": self = .kernel
            case "hardware": self = .hardware
            default: self = .manifest
            }
        }
    }

    /// Lints files and directories. Directories are walked for `*.yaml`/`*.yml` (hidden folders
    /// and `.build*` skipped); a file under a `kernels/` folder is read as a kernel file, one
    /// under `hardware/` as a hardware profile, anything else as a manifest.
    public static func lint(paths: [String], options: LintOptions = LintOptions()) throws(LintUsageError) -> LintResult {
        if paths.isEmpty { throw LintUsageError("no files to lint; name manifests or folders") }
        var targets: [String] = []
        for path in paths { targets += try expand(path) }
        let root = try projectRoot(options.root)
        if let hardware = options.hardwareProfile {
            try checkOptionFile(hardware, what: "hardware profile")
        }
        var session = ManifestSession()
        var previous: Manifest?
        var diagnostics: [Diagnostic] = []
        var files: [String] = []
        if let path = options.previousManifest {
            try checkOptionFile(path, what: "previous manifest")
            // The previous manifest belongs to the project of the files linted with it (or
            // `--root`) when that holds it (`old/hv.yaml` beside `manifests/`), else to its own.
            let shared = root ?? targets.first.map(ProjectRoot.enclosing)
            let previousRoot = shared.flatMap { $0.escape(of: path) == nil ? $0 : nil }
            let loaded = ManifestLoader.load(path: path, root: previousRoot, session: &session)
            previous = loaded.manifest
            diagnostics += loaded.diagnostics
            files += loaded.files
        }
        for target in targets {
            let result = lintFile(target, options: options, root: root, previous: previous, session: &session)
            diagnostics += result.diagnostics
            files += result.files
        }
        var seenFiles = Set<String>()
        return LintResult(diagnostics: Array(Set(diagnostics)).sorted(),
                          files: files.filter { seenFiles.insert(ManifestLoader.identity($0)).inserted },
                          reads: session.reads)
    }

    /// One file, by its kind.
    public static func lintFile(_ path: String, options: LintOptions = LintOptions(), previous: Manifest? = nil) -> LintResult {
        var session = ManifestSession()
        let root = options.root.flatMap(ProjectRoot.init(directory:))
        var result = lintFile(path, options: options, root: root, previous: previous, session: &session)
        result.reads = session.reads
        return result
    }

    static func lintFile(_ path: String, options: LintOptions, root: ProjectRoot?, previous: Manifest?,
                         session: inout ManifestSession) -> LintResult {
        let kind = FileKind(path: path)
        if kind == .manifest {
            let loaded = ManifestLoader.load(path: path, hardwareOverride: options.hardwareProfile, root: root, session: &session)
            return LintResult(diagnostics: loaded.diagnostics + ManifestRules.check(loaded, previous: previous), files: loaded.files)
        }
        if let refusal = ManifestLoader.outsideProject(path, root: root ?? ProjectRoot.enclosing(path)) {
            return LintResult(diagnostics: [refusal], files: [path])
        }
        var reader = SchemaReader()
        let document = session.document(path)
        switch document.outcome {
        case let .failed(diagnostic):
            reader.sink.append(diagnostic)
        case let .document(node):
            if kind == .kernel {
                _ = KernelFile.decode(node, file: document.path, reader: &reader)
            } else {
                _ = HardwareProfile.decode(node, file: document.path, reader: &reader)
            }
        }
        return LintResult(diagnostics: reader.sink.diagnostics, files: [document.path])
    }

    /// What a path is when it is neither a regular file nor a directory ("a named pipe
    /// (FIFO)", "a character device"), following symbolic links; nil otherwise. Such a file
    /// is never opened: reading one can block forever or never end.
    public static func specialFileDescription(_ path: String) -> String? {
        let kind = FileProbe.kind(of: path)
        return kind.isSpecial ? kind.description : nil
    }

    private static func projectRoot(_ path: String?) throws(LintUsageError) -> ProjectRoot? {
        guard let path else { return nil }
        guard let root = ProjectRoot(directory: path) else {
            throw LintUsageError("--root \(path) is not a directory; name the project folder (the one holding manifests/)")
        }
        return root
    }

    /// A file named by an option must be a regular file: a pipe or device would block or never end.
    private static func checkOptionFile(_ path: String, what: String) throws(LintUsageError) {
        switch FileProbe.kind(of: path) {
        case .regular: return
        case .missing: throw LintUsageError("\(what) \(path) does not exist")
        case let other: throw LintUsageError("\(what) \(path) is \(other.description), not a regular file")
        }
    }

    private static func expand(_ path: String) throws(LintUsageError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LintUsageError("\(path): no such file or directory")
        }
        guard isDirectory.boolValue else { return [path] }
        guard let enumerator = FileManager.default.enumerator(atPath: path) else {
            throw LintUsageError("\(path): cannot read directory")
        }
        var found: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") {
                enumerator.skipDescendants()
                continue
            }
            if name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
                found.append(path.hasSuffix("/") ? path + relative : path + "/" + relative)
            }
        }
        return found.sorted()
    }
}
