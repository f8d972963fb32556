/// The documented layers (docs/architecture.md) as data: a module may depend on modules of
/// its own layer or of a layer below it, never above; host-side code never reaches the
/// build-side libraries; external packages enter only where they are named.
struct LayerRules {
    /// Top to bottom.
    var layers: [(name: String, modules: Set<String>)]
    /// Modules whose whole closure runs on every host (the initrd, later the agent).
    var hostRoots: Set<String>
    /// What no host-side closure may contain: YAML, the apt client, libarchive, libkmod and
    /// the rest of the build side.
    var hostForbidden: Set<String>
    /// Modules linked into the statically linked init, whose closure must not reach libssl.
    var initRoots: Set<String>
    /// What the init's closure may not contain: the HTTP client and TLS (libssl).
    var initForbidden: Set<String>
    /// External products and the only modules that may use them.
    var externalUsers: [String: Set<String>]
    /// Modules whose whole closure imports no Foundation: the init and the agent are linked
    /// statically with the Swift runtime alone, and the agent reads update bundles.
    var foundationFree: Set<String>
    /// What a Foundation-free closure may not import.
    static let foundationModules: Set<String> = ["Foundation", "FoundationEssentials", "FoundationNetworking"]

    static let documented = LayerRules(
        layers: [
            ("test helpers", ["TestSupport"]),
            ("fuzzing", ["ReaderFuzzing", "fuzz-gpt", "fuzz-erofs", "fuzz-verity", "fuzz-verity-sig", "fuzz-bundle", "fuzz-pe",
                         "fuzz-fat"]),
            ("executables", ["hostimg", "hostimg-init", "hostimg-agent", "hostimg-bench", "hostimg-vm-bench"]),
            ("commands", ["HostImgCLI"]),
            ("build side", ["BuildPipeline", "Manifests", "Repository", "RootFS", "Configure", "Prune", "Drivers", "Debian", "SBOM", "Provenance"]),
            ("host side", ["HostImgInit", "Agent", "SlotInstall", "HostSwitch", "HTTPSource", "VMM", "QMP", "Slots", "BootEntries"]),
            ("formats", ["EROFS", "DMVerity", "GPT", "Bundle", "ELF", "PE", "FAT", "HostTuning"]),
            ("model", ["FileTree", "ContentStore", "EditDistance"]),
            ("wrappers", ["Archive", "Zstd", "Crypto", "TLS", "KernelModules"]),
            ("system", ["SystemIO", "ByteCodec"]),
            ("C", ["CArchive", "CZstd", "COpenSSL", "CSSL", "CKmod", "CSyscalls", "CInitStartup"]),
        ],
        hostRoots: ["hostimg-init", "HostImgInit", "hostimg-agent", "Agent", "SlotInstall", "HostSwitch", "HTTPSource", "VMM", "QMP", "Slots",
                    "BootEntries"],
        hostForbidden: ["Yams", "ArgumentParser", "Archive", "CArchive", "KernelModules", "CKmod", "Repository",
                        "Debian", "Manifests", "BuildPipeline", "RootFS", "Configure", "Prune", "Drivers", "EditDistance", "SBOM", "Provenance"],
        initRoots: ["hostimg-init", "HostImgInit"],
        initForbidden: ["HTTPSource", "TLS", "CSSL"],
        externalUsers: ["Yams": ["Manifests", "hostimg-bench"], "ArgumentParser": ["HostImgCLI"]],
        foundationFree: ["hostimg-init", "HostImgInit", "hostimg-agent", "Agent", "Bundle", "SlotInstall", "HostSwitch", "HTTPSource", "VMM",
                         "QMP"]
    )

    func layer(of module: String) -> Int? {
        layers.firstIndex { $0.modules.contains(module) }
    }

    /// Every edge that breaks a rule, as a sentence naming both ends and the rule.
    func violations(in graph: ModuleGraph) -> [String] {
        var found: [String] = []
        for (module, dependencies) in graph.edges.sorted(by: { $0.key < $1.key }) {
            guard let own = layer(of: module) else {
                found.append("\(module) is in no layer of docs/architecture.md; add it to one")
                continue
            }
            for dependency in dependencies.sorted() {
                if let users = externalUsers[dependency] {
                    if !users.contains(module) {
                        found.append("\(module) uses \(dependency), which only \(users.sorted().joined(separator: ", ")) may use")
                    }
                    continue
                }
                guard let other = layer(of: dependency) else {
                    found.append("\(module) depends on \(dependency), which is in no layer of docs/architecture.md")
                    continue
                }
                if other < own {
                    found.append("\(module) (\(layers[own].name)) depends on \(dependency) (\(layers[other].name)), a layer above it")
                }
            }
        }
        for root in hostRoots.sorted() where graph.edges[root] != nil {
            let reached = graph.closure(of: root).intersection(hostForbidden)
            for module in reached.sorted() {
                found.append("host-side \(root) reaches \(module) (through \(graph.path(from: root, to: module).joined(separator: " → "))); host code must not link the build side")
            }
        }
        for root in initRoots.sorted() where graph.edges[root] != nil {
            for module in graph.closure(of: root).intersection(initForbidden).sorted() {
                found.append("\(root) reaches \(module) (through \(graph.path(from: root, to: module).joined(separator: " → "))); the statically linked init must not link libssl")
            }
        }
        return found + foundationViolations(in: graph)
    }

    /// Every module of a Foundation-free closure that imports Foundation, as a sentence
    /// naming the root, the module and the path between them.
    func foundationViolations(in graph: ModuleGraph) -> [String] {
        var found: [String] = []
        for root in foundationFree.sorted() where graph.edges[root] != nil {
            for module in graph.closure(of: root).union([root]).sorted() {
                let imported = (graph.systemImports[module] ?? []).intersection(Self.foundationModules)
                guard !imported.isEmpty else { continue }
                let through = module == root ? "" : " (through \(graph.path(from: root, to: module).joined(separator: " → ")))"
                found.append("\(root) must not link Foundation, but \(module) imports \(imported.sorted().joined(separator: ", "))\(through)")
            }
        }
        return found
    }
}
