import Foundation
import Testing

/// Keeps the shape of the package: the layers docs/architecture.md draws, checked on the real
/// target graph and, so the check itself is known to bite, on synthetic graphs that break it.
@Suite struct ArchitectureTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path

    /// `swift package dump-package` with its own scratch path: the test runs while `swift
    /// test` holds the package's build directory, which a plain call would wait for forever.
    static func realGraph() throws -> ModuleGraph {
        var graph = try declaredGraph()
        try graph.addImports(packageRoot: packageRoot)
        return graph
    }

    static func declaredGraph() throws -> ModuleGraph {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("hostimg-dump-\(getpid())").path
        process.arguments = ["swift", "package", "--package-path", packageRoot, "--scratch-path", scratch, "dump-package"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: scratch)
        guard process.terminationStatus == 0 else { throw GraphError("swift package dump-package exited \(process.terminationStatus)") }
        return try ModuleGraph(packageJSON: data)
    }

    @Test("the package's modules keep to the documented layers")
    func realGraphKeepsTheLayers() throws {
        let graph = try Self.realGraph()
        #expect(graph.edges.count > 20)
        #expect(graph.edges["BuildPipeline"]?.contains("Manifests") == true)
        let violations = LayerRules.documented.violations(in: graph)
        #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))")
    }

    @Test("every declared dependency is imported somewhere in the module's sources")
    func noUnusedDependencies() throws {
        let declared = try Self.declaredGraph()
        var imported = ModuleGraph(edges: declared.edges.mapValues { _ in [] })
        imported.paths = declared.paths
        try imported.addImports(packageRoot: Self.packageRoot)
        for (module, dependencies) in declared.edges.sorted(by: { $0.key < $1.key }) {
            let unused = dependencies.subtracting(imported.edges[module] ?? [])
            #expect(unused.isEmpty, "\(module) declares \(unused.sorted().joined(separator: ", ")) but no file of it imports them")
        }
    }

    @Test("every module of the package is in docs/architecture.md")
    func documentationNamesEveryModule() throws {
        let text = try String(contentsOfFile: Self.packageRoot + "/docs/architecture.md", encoding: .utf8)
        for module in try Self.realGraph().edges.keys.sorted() {
            #expect(text.contains("`\(module)`"), "docs/architecture.md does not name \(module)")
        }
    }

    @Test("a format module importing the build is refused")
    func formatImportingTheBuild() {
        let graph = ModuleGraph(edges: ["GPT": ["BuildPipeline", "SystemIO"], "BuildPipeline": ["GPT"], "SystemIO": []])
        let violations = LayerRules.documented.violations(in: graph)
        #expect(violations == ["GPT (formats) depends on BuildPipeline (build side), a layer above it"])
    }

    @Test("host-side code that reaches YAML, libarchive or the apt client is refused, also through another module")
    func hostReachingTheBuildSide() {
        let graph = ModuleGraph(edges: [
            "HostImgInit": ["Slots", "Bundle"], "Slots": ["GPT"], "GPT": [], "Bundle": ["Archive"], "Archive": ["CArchive"],
            "CArchive": [],
        ])
        let violations = LayerRules.documented.violations(in: graph)
        #expect(violations.contains("host-side HostImgInit reaches Archive (through HostImgInit → Bundle → Archive); host code must not link the build side"))
        #expect(violations.contains { $0.contains("reaches CArchive") })
        let yams = ModuleGraph(edges: ["Slots": ["Yams"]])
        #expect(LayerRules.documented.violations(in: yams).contains("Slots uses Yams, which only Manifests, hostimg-bench may use"))
    }

    @Test("the init reaching TLS (libssl) is refused, also through another module")
    func initReachingTLS() {
        let graph = ModuleGraph(edges: [
            "hostimg-init": ["HostImgInit"], "HostImgInit": ["Slots"], "Slots": ["TLS"], "TLS": ["CSSL", "SystemIO"], "CSSL": [],
            "SystemIO": [],
        ])
        let violations = LayerRules.documented.violations(in: graph)
        #expect(violations.contains("HostImgInit reaches TLS (through HostImgInit → Slots → TLS); the statically linked init must not link libssl"))
        #expect(violations.contains { $0.hasPrefix("hostimg-init reaches CSSL") })
        #expect(LayerRules.documented.violations(in: ModuleGraph(edges: ["HTTPSource": ["TLS"], "TLS": ["CSSL"], "CSSL": []])).isEmpty)
    }

    @Test("a module in no layer, or an import the manifest does not declare, is caught")
    func unknownModulesAndUndeclaredImports() throws {
        let stray = ModuleGraph(edges: ["Stray": ["Slots"], "Slots": []])
        #expect(LayerRules.documented.violations(in: stray) == ["Stray is in no layer of docs/architecture.md; add it to one"])
        var graph = ModuleGraph(edges: ["EROFS": []])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hostimg-graph-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory + "/Sources/EROFS", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "import Foundation\n@testable import Manifests\nimport struct Repository.AptSource\n"
            .write(toFile: directory + "/Sources/EROFS/X.swift", atomically: true, encoding: .utf8)
        try graph.addImports(packageRoot: directory)
        #expect(graph.edges["EROFS"] == ["Manifests", "Repository"])
        #expect(graph.systemImports["EROFS"] == ["Foundation"])
        #expect(LayerRules.documented.violations(in: graph).count == 2)
    }

    @Test("a Foundation import anywhere in the closure of the init, the agent, Bundle or SlotInstall is refused")
    func foundationInAFoundationFreeClosure() {
        var graph = ModuleGraph(edges: [
            "hostimg-agent": ["Agent"], "Agent": ["SystemIO"], "HostImgCLI": ["Agent", "Bundle"], "Bundle": ["ByteCodec"],
            "SystemIO": [], "ByteCodec": [],
        ])
        graph.systemImports = ["SystemIO": ["Glibc"], "HostImgCLI": ["Foundation"]]
        #expect(LayerRules.documented.violations(in: graph).isEmpty)
        graph.systemImports["ByteCodec"] = ["FoundationEssentials"]
        graph.systemImports["Agent"] = ["Foundation", "Glibc"]
        #expect(LayerRules.documented.violations(in: graph) == [
            "Agent must not link Foundation, but Agent imports Foundation",
            "Bundle must not link Foundation, but ByteCodec imports FoundationEssentials (through Bundle → ByteCodec)",
            "hostimg-agent must not link Foundation, but Agent imports Foundation (through hostimg-agent → Agent)",
        ])
    }
}
