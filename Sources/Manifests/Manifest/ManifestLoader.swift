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
/// bases first, then the manifest itself on top. Mappings merge key by key; the set-like
/// lists in `unionPaths` are concatenated, dropping the later file's items the base already has; every other
/// value — scalars and other lists — is replaced by the later file's. `extends` and `partial`
/// are never inherited. Every merged value keeps the file and position it was written at.
public enum ManifestLoader {
    static let unionPaths: Set<String> = [
        "packages.include", "packages.exclude", "drivers.keep", "drivers.deny", "drivers.hardware",
        "locales.keep", "overlays", "services.enable",
    ]

    public static func load(path: String, hardwareOverride: String? = nil) -> LoadedManifest {
        var state = State()
        let merged = state.loadMerged(path: path, chain: [])
        var reader = SchemaReader()
        reader.sink.append(contentsOf: state.sink.diagnostics)
        guard let merged else {
            return LoadedManifest(manifest: nil, kernel: nil, hardware: nil, diagnostics: reader.sink.diagnostics, files: state.files)
        }
        guard let manifest = Manifest.decode(merged, file: path, reader: &reader) else {
            return LoadedManifest(manifest: nil, kernel: nil, hardware: nil, diagnostics: reader.sink.diagnostics, files: state.files)
        }
        var result = LoadedManifest(manifest: manifest, kernel: nil, hardware: nil, diagnostics: [], files: state.files)

        if let kernel = manifest.kernel {
            let kernelPath = resolve(kernel.value, relativeTo: kernel.location.file)
            if let root = load(kernelPath, at: kernel, rule: "ref.kernel", what: "kernel file", reader: &reader, files: &result.files) {
                result.kernel = KernelFile.decode(root, file: kernelPath, reader: &reader)
            }
        }
        let hardwareRef = hardwareOverride.map { Located($0, at: .file($0)) } ?? manifest.hardware
        if let hardware = hardwareRef {
            let hardwarePath = hardwareOverride ?? resolve(hardware.value, relativeTo: hardware.location.file)
            if let root = load(hardwarePath, at: hardware, rule: "ref.hardware", what: "hardware profile", reader: &reader, files: &result.files) {
                result.hardware = HardwareProfile.decode(root, file: hardwarePath, reader: &reader)
            }
        }
        for overlay in manifest.overlays {
            let overlayPath = resolve(overlay.value, relativeTo: overlay.location.file)
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: overlayPath, isDirectory: &isDirectory) {
                reader.sink.error(overlay.location, "ref.overlay", "overlay directory '\(overlay.value)' does not exist (looked for \(overlayPath))",
                                  hint: "overlay paths are relative to the file that names them")
            } else if !isDirectory.boolValue {
                reader.sink.error(overlay.location, "ref.overlay", "overlay '\(overlay.value)' is a file; an overlay is a directory copied over the tree",
                                  hint: "name the directory that holds the files, laid out as in the image (etc/..., usr/...)")
            }
        }
        if let tarball = manifest.base?.tarball {
            let tarballPath = resolve(tarball.value, relativeTo: tarball.location.file)
            if !FileManager.default.fileExists(atPath: tarballPath) {
                reader.sink.error(tarball.location, "ref.file", "base tarball '\(tarball.value)' does not exist (looked for \(tarballPath))",
                                  hint: "paths are relative to the file that names them")
            }
        }
        result.diagnostics = reader.sink.diagnostics
        return result
    }

    private static func load(_ path: String, at reference: Located<String>, rule: String, what: String,
                             reader: inout SchemaReader, files: inout [String]) -> YNode? {
        if let problem = ManifestLoader.fileProblem(path) {
            reader.sink.error(reference.location, rule, "\(what) '\(reference.value)' \(problem) (looked for \(path))",
                              hint: "paths are relative to the file that names them")
            return nil
        }
        files.append(path)
        switch YAMLLoader.load(path: path) {
        case let .document(node): return node
        case let .failed(diagnostic):
            reader.sink.append(diagnostic)
            return nil
        }
    }

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

    // MARK: - extends

    private struct State {
        var sink = DiagnosticSink()
        var files: [String] = []

        mutating func loadMerged(path: String, chain: [(path: String, reference: Located<String>?)]) -> YNode? {
            files.append(path)
            let root: YNode
            switch YAMLLoader.load(path: path) {
            case let .document(node): root = node
            case let .failed(diagnostic):
                sink.append(diagnostic)
                return nil
            }
            guard let pairs = root.pairs else { return root }
            var merged: YNode?
            if let extends = root["extends"], !extends.isNull {
                var reader = SchemaReader()
                let bases = reader.strings(extends, path: "extends")
                sink.append(contentsOf: reader.sink.diagnostics)
                let identity = ManifestLoader.identity(path)
                for base in bases {
                    let basePath = ManifestLoader.resolve(base.value, relativeTo: path)
                    let baseIdentity = ManifestLoader.identity(basePath)
                    if let start = chain.firstIndex(where: { $0.path == baseIdentity }) ?? (baseIdentity == identity ? chain.count : nil) {
                        let cycle = (chain[start...].map(\.path) + [identity, baseIdentity]).map(ManifestLoader.displayName)
                        sink.error(base.location, "extends.cycle", "`extends` forms a cycle: \(cycle.joined(separator: " → "))",
                                   hint: "remove one of the `extends` entries in the cycle")
                        continue
                    }
                    if let problem = ManifestLoader.fileProblem(basePath) {
                        sink.error(base.location, "ref.extends", "base manifest '\(base.value)' \(problem) (looked for \(basePath))",
                                   hint: "`extends` paths are relative to the file that names them")
                        continue
                    }
                    guard let baseTree = loadMerged(path: basePath, chain: chain + [(identity, base)]) else { continue }
                    merged = merged.map { ManifestLoader.merge($0, baseTree, path: "") } ?? baseTree
                }
            }
            let own = YNode(.mapping(pairs.filter { $0.name != "extends" && $0.name != "partial" }), at: root.location)
            let partial = pairs.filter { $0.name == "partial" }
            guard let base = merged else { return root }
            let combined = ManifestLoader.merge(base, own, path: "")
            // `partial` belongs to the file that says it, never to what extends it.
            guard var combinedPairs = combined.pairs else { return combined }
            combinedPairs.append(contentsOf: partial)
            return YNode(.mapping(combinedPairs), at: root.location)
        }
    }

    /// Why `path` cannot be read as a YAML file, or nil.
    static func fileProblem(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return "does not exist" }
        return isDirectory.boolValue ? "is a directory, not a file" : nil
    }

    static func identity(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    static func displayName(_ absolute: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        return absolute.hasPrefix(cwd + "/") ? String(absolute.dropFirst(cwd.count + 1)) : absolute
    }

    /// `top` over `base`, following the merge rules above.
    static func merge(_ base: YNode, _ top: YNode, path: String) -> YNode {
        switch (base.kind, top.kind) {
        case let (.mapping(basePairs), .mapping(topPairs)):
            var result = path.isEmpty ? basePairs.filter { $0.name != "extends" && $0.name != "partial" } : basePairs
            for pair in topPairs {
                let childPath = path.isEmpty ? pair.name : "\(path).\(pair.name)"
                if let index = result.firstIndex(where: { $0.name == pair.name }) {
                    result[index] = YNode.Pair(key: pair.key, value: merge(result[index].value, pair.value, path: childPath))
                } else {
                    result.append(pair)
                }
            }
            return YNode(.mapping(result), at: top.location)
        case let (.sequence(baseItems), .sequence(topItems)) where unionPaths.contains(path):
            // Items the base already has are dropped; the later file's own repeats stay, so
            // lint still reports them as it would in that file alone.
            let inherited = Set(baseItems.compactMap(\.scalarText))
            let added = topItems.filter { item in item.scalarText.map { !inherited.contains($0) } ?? true }
            return YNode(.sequence(baseItems + added), at: top.location)
        default:
            return top
        }
    }
}
