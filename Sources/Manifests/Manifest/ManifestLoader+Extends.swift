/// `extends`: a manifest's bases, loaded depth first and merged in the order listed.
extension ManifestLoader {
    /// Walks one manifest's `extends` graph. Each base is read once per session and, when its
    /// own graph has no cycle, merged once; every diagnostic is what loading it afresh along
    /// each path would report (cycles, missing bases and bad entries alike), each file's
    /// reported once per load.
    struct ExtendsWalker {
        let root: ProjectRoot
        var sink = DiagnosticSink()
        /// Every file read, in the order first read.
        var files: [String] = []
        /// Files whose diagnostics this load already holds.
        private var reported: Set<String> = []

        init(root: ProjectRoot) { self.root = root }

        struct Merged {
            var tree: YNode
            /// A cycle was cut somewhere in this file's graph: the tree depends on the path.
            var cyclic: Bool
        }

        /// `node` (the file at `path`) with its bases merged under it. `chain` holds the
        /// identities of the manifests that extend it, outermost first.
        mutating func merged(_ node: YNode, path: String, identity: String, chain: [String],
                             session: inout ManifestSession) -> Merged {
            if let known = session.merged[identity] {
                report(identity, session: session)
                return Merged(tree: known.tree, cyclic: false)
            }
            if reported.insert(identity).inserted { files.append(path) }
            var own = DiagnosticSink()
            var bases: [String] = []
            let result = build(node, path: path, identity: identity, chain: chain, own: &own, bases: &bases, session: &session)
            sink.append(contentsOf: own.diagnostics)
            if !result.cyclic {
                session.merged[identity] = ManifestSession.MergedFile(path: path, tree: result.tree,
                                                                      diagnostics: own.diagnostics, bases: bases)
            }
            return result
        }

        /// Adds a kept file's diagnostics and those of its bases, unless this load has them.
        private mutating func report(_ identity: String, session: ManifestSession) {
            guard reported.insert(identity).inserted, let known = session.merged[identity] else { return }
            files.append(known.path)
            sink.append(contentsOf: known.diagnostics)
            for base in known.bases { report(base, session: session) }
        }

        private mutating func build(_ node: YNode, path: String, identity: String, chain: [String], own: inout DiagnosticSink,
                                    bases: inout [String], session: inout ManifestSession) -> Merged {
            guard let pairs = node.pairs else { return Merged(tree: node, cyclic: false) }
            var merged: YNode?
            var cyclic = false
            if let extends = node["extends"], !extends.isNull {
                var reader = SchemaReader()
                let entries = reader.strings(extends, path: "extends")
                own.append(contentsOf: reader.sink.diagnostics)
                for entry in entries {
                    guard let basePath = ManifestLoader.placed(entry, field: "extends", root: root, sink: &own) else { continue }
                    let baseIdentity = ManifestLoader.identity(basePath)
                    if let start = chain.firstIndex(of: baseIdentity) ?? (baseIdentity == identity ? chain.count : nil) {
                        let cycle = (chain[start...] + [identity, baseIdentity]).map(ManifestLoader.displayName)
                        own.error(entry.location, "extends.cycle", "`extends` forms a cycle: \(cycle.joined(separator: " → "))",
                                  hint: "remove one of the `extends` entries in the cycle")
                        cyclic = true
                        continue
                    }
                    if let problem = ManifestLoader.regularFileProblem(basePath) {
                        own.error(entry.location, "ref.extends", "base manifest '\(entry.value)' \(problem) (looked for \(basePath))",
                                  hint: "`extends` paths are relative to the file that names them")
                        continue
                    }
                    let document = session.referenced(basePath, at: entry, kind: .manifest, sink: &own)
                    guard let baseNode = document.node else {
                        if reported.insert(baseIdentity).inserted { files.append(document.path) }
                        continue
                    }
                    let base = self.merged(baseNode, path: document.path, identity: baseIdentity, chain: chain + [identity],
                                           session: &session)
                    cyclic = cyclic || base.cyclic
                    bases.append(baseIdentity)
                    merged = merged.map { ManifestLoader.merge($0, base.tree, path: "") } ?? base.tree
                }
            }
            guard let base = merged else { return Merged(tree: node, cyclic: cyclic) }
            let written = YNode(.mapping(pairs.filter { $0.name != "extends" && $0.name != "partial" }), at: node.location)
            let combined = ManifestLoader.merge(base, written, path: "")
            // `partial` belongs to the file that says it, never to what extends it.
            guard var combinedPairs = combined.pairs else { return Merged(tree: combined, cyclic: cyclic) }
            combinedPairs.append(contentsOf: pairs.filter { $0.name == "partial" })
            return Merged(tree: YNode(.mapping(combinedPairs), at: node.location), cyclic: cyclic)
        }
    }
}

/// The kinds of file a manifest names by path and lint reads.
enum ReferenceKind {
    case manifest, kernel, hardware

    /// How a reference of this kind is named in messages.
    var noun: String {
        switch self {
        case .manifest: return "base manifest"
        case .kernel: return "kernel file"
        case .hardware: return "hardware profile"
        }
    }

    var what: String {
        switch self {
        case .manifest: return "manifest"
        case .kernel: return "kernel file"
        case .hardware: return "hardware profile"
        }
    }

    var rule: String {
        switch self {
        case .manifest: return "ref.extends"
        case .kernel: return "ref.kernel"
        case .hardware: return "ref.hardware"
        }
    }

    var keys: [String] {
        switch self {
        case .manifest: return Manifest.topLevelKeys
        case .kernel: return KernelFile.keys
        case .hardware: return HardwareProfile.keys
        }
    }
}

extension ManifestSession {
    /// Reads a file a manifest names. When it is not YAML, or not a mapping that has at least
    /// one key of its kind, one diagnostic at the reference says so — without quoting the
    /// file: a path can name anything in the project, and what is not a manifest, kernel file
    /// or hardware profile must not be printed. `node` is nil then.
    mutating func referenced(_ path: String, at reference: Located<String>, kind: ReferenceKind,
                             sink: inout DiagnosticSink) -> (path: String, node: YNode?) {
        let document = document(path)
        let shown = "'\(reference.value)' (\(document.path))"
        switch document.outcome {
        case let .failed(problem) where problem.rule.hasPrefix("io."):
            sink.error(reference.location, kind.rule, "\(kind.noun) \(shown) cannot be read",
                       hint: "check the file's type and permissions")
        case let .failed(problem):
            sink.error(reference.location, kind.rule,
                       "\(kind.noun) \(shown) is not valid YAML ([\(problem.rule)] at line \(problem.location.line), column \(problem.location.column))",
                       hint: "lint that file on its own to see the problem; findings about a manifest never quote the files it names")
        case let .document(node):
            guard let why = Self.kindProblem(node, kind: kind) else { return (document.path, node) }
            sink.error(reference.location, kind.rule, "\(kind.noun) \(shown) is not a \(kind.what): \(why)",
                       hint: "name a \(kind.what) (docs/manifest.md); findings about a manifest never quote the files it names")
        }
        return (document.path, nil)
    }

    /// Why `node` is not a document of `kind`, in words that quote nothing from it; nil when it is.
    static func kindProblem(_ node: YNode, kind: ReferenceKind) -> String? {
        switch node.kind {
        case .scalar: return "its top level is a single value, not a mapping"
        case .sequence: return "its top level is a list, not a mapping"
        case let .mapping(pairs):
            if pairs.isEmpty || pairs.contains(where: { kind.keys.contains($0.name) }) { return nil }
            let count = pairs.count == 1 ? "its one top-level key is" : "none of its \(pairs.count) top-level keys is"
            return "\(count) not a key of a \(kind.what) (\(kind.keys.filter { $0 != "partial" && $0 != "extends" }.joined(separator: ", ")))"
        }
    }
}
