import Foundation

/// Entry point for `hostimg lint`: files or directories in, diagnostics out.
public struct LintOptions: Sendable {
    /// A hardware profile given on the command line; it overrides a manifest's `hardware:`.
    public var hardwareProfile: String?
    /// A manifest for the slot being switched away from (kexec rules compare the two).
    public var previousManifest: String?

    public init(hardwareProfile: String? = nil, previousManifest: String? = nil) {
        self.hardwareProfile = hardwareProfile
        self.previousManifest = previousManifest
    }
}

public struct LintResult: Sendable {
    /// Sorted, de-duplicated.
    public var diagnostics: [Diagnostic]
    /// Every file that was read, in the order read.
    public var files: [String]

    public init(diagnostics: [Diagnostic], files: [String]) {
        self.diagnostics = diagnostics
        self.files = files
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
        if let hardware = options.hardwareProfile, !FileManager.default.fileExists(atPath: hardware) {
            throw LintUsageError("hardware profile \(hardware) does not exist")
        }
        var previous: Manifest?
        var diagnostics: [Diagnostic] = []
        var files: [String] = []
        if let path = options.previousManifest {
            guard FileManager.default.fileExists(atPath: path) else { throw LintUsageError("previous manifest \(path) does not exist") }
            let loaded = ManifestLoader.load(path: path)
            previous = loaded.manifest
            diagnostics += loaded.diagnostics
            files += loaded.files
        }
        for target in targets {
            let result = lintFile(target, options: options, previous: previous)
            diagnostics += result.diagnostics
            files += result.files
        }
        var seenFiles = Set<String>()
        return LintResult(diagnostics: Array(Set(diagnostics)).sorted(),
                          files: files.filter { seenFiles.insert($0).inserted })
    }

    /// One file, by its kind.
    public static func lintFile(_ path: String, options: LintOptions = LintOptions(), previous: Manifest? = nil) -> LintResult {
        switch FileKind(path: path) {
        case .manifest:
            let loaded = ManifestLoader.load(path: path, hardwareOverride: options.hardwareProfile)
            return LintResult(diagnostics: loaded.diagnostics + ManifestRules.check(loaded, previous: previous), files: loaded.files)
        case .kernel, .hardware:
            var reader = SchemaReader()
            switch YAMLLoader.load(path: path) {
            case let .failed(diagnostic):
                reader.sink.append(diagnostic)
            case let .document(root):
                if FileKind(path: path) == .kernel {
                    _ = KernelFile.decode(root, file: path, reader: &reader)
                } else {
                    _ = HardwareProfile.decode(root, file: path, reader: &reader)
                }
            }
            return LintResult(diagnostics: reader.sink.diagnostics, files: [path])
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
