import Foundation
import BuildPipeline
import Manifests
import Testing

@testable import HostImgCLI

@Suite("sarif format")
struct SARIFRendererTests {
    /// Renders, parses back, and returns the log and its single run.
    private func render(
        _ diagnostics: [Diagnostic],
        files: [String] = Sample.files,
        paths: SourcePaths? = SourcePaths(root: "/work/repo")
    ) throws -> (log: [String: Any], run: [String: Any]) {
        let text = SARIFRenderer(paths: paths).render(diagnostics, files: files)
        let log = try parseJSON(text)
        let runs = try #require(log["runs"] as? [[String: Any]])
        try #require(runs.count == 1)
        return (log, runs[0])
    }

    private func driver(_ run: [String: Any]) throws -> [String: Any] {
        let tool = try #require(run["tool"] as? [String: Any])
        return try #require(tool["driver"] as? [String: Any])
    }

    private func rules(_ run: [String: Any]) throws -> [[String: Any]] {
        try #require(try driver(run)["rules"] as? [[String: Any]])
    }

    private func results(_ run: [String: Any]) throws -> [[String: Any]] {
        try #require(run["results"] as? [[String: Any]])
    }

    @Test func logHeader() throws {
        let (log, run) = try render(Sample.all)
        #expect(log["version"] as? String == "2.1.0")
        #expect(log["$schema"] as? String == "https://json.schemastore.org/sarif-2.1.0.json")
        let driver = try driver(run)
        #expect(driver["name"] as? String == "hostimg")
        #expect(driver["version"] as? String == HostImgVersion.current)
        #expect(run["columnKind"] as? String == "unicodeCodePoints")
    }

    @Test func rulesAreTheWholeCatalogueWithUniqueIDs() throws {
        let (_, run) = try render([])
        let rules = try rules(run)
        let ids = rules.compactMap { $0["id"] as? String }
        #expect(ids.count == rules.count)
        #expect(Set(ids).count == ids.count, "rule ids are unique")
        #expect(ids == LintRule.catalog.map(\.id))
        for (rule, entry) in zip(LintRule.catalog, rules) {
            #expect(entry["name"] as? String == SARIFRenderer.ruleName(rule.id))
            #expect((entry["shortDescription"] as? [String: Any])?["text"] as? String == rule.summary)
            let level = (entry["defaultConfiguration"] as? [String: Any])?["level"] as? String
            #expect(level == rule.severity.rawValue)
            #expect(["error", "warning", "note"].contains(level ?? ""))
            let tags = (entry["properties"] as? [String: Any])?["tags"] as? [String]
            #expect(tags?.contains("needs-hardware") == rule.needsHardware)
        }
        #expect(try results(run).isEmpty)
    }

    @Test func ruleNamesAreCamelCase() {
        #expect(SARIFRenderer.ruleName("hugepages.duplicate-size") == "HugepagesDuplicateSize")
        #expect(SARIFRenderer.ruleName("hugepages.1g-runtime") == "Hugepages1gRuntime")
        #expect(SARIFRenderer.ruleName("io.unreadable") == "IoUnreadable")
    }

    @Test func eachResultPointsAtItsRule() throws {
        let diagnostics = Sample.all + [Sample.unknownRule]
        let (_, run) = try render(diagnostics)
        let rules = try rules(run)
        let results = try results(run)
        #expect(results.count == diagnostics.count)
        for (result, diagnostic) in zip(results, diagnostics) {
            let ruleID = try #require(result["ruleId"] as? String)
            #expect(ruleID == diagnostic.rule)
            let index = try #require(result["ruleIndex"] as? Int)
            try #require(rules.indices.contains(index))
            #expect(rules[index]["id"] as? String == ruleID)
            let level = try #require(result["level"] as? String)
            #expect(["error", "warning", "note"].contains(level))
            #expect(level == diagnostic.severity.rawValue)
            let message = (result["message"] as? [String: Any])?["text"] as? String
            #expect(message == diagnostic.messageWithHint)
        }
    }

    @Test func unknownRuleIsAppendedAfterTheCatalogue() throws {
        let (_, run) = try render([Sample.unknownRule, Sample.unknownRule])
        let rules = try rules(run)
        #expect(rules.count == LintRule.catalog.count + 1)
        let added = try #require(rules.last)
        #expect(added["id"] as? String == "experimental.thing")
        #expect((added["defaultConfiguration"] as? [String: Any])?["level"] as? String == "warning")
        let indices = try results(run).compactMap { $0["ruleIndex"] as? Int }
        #expect(indices == [LintRule.catalog.count, LintRule.catalog.count])
    }

    @Test func messageCarriesTheHint() throws {
        let (_, run) = try render([Sample.error])
        let result = try #require(try results(run).first)
        let text = (result["message"] as? [String: Any])?["text"] as? String
        #expect(text == "two 1G pools on node 0\nhint: merge them into one pool of 16 pages")
    }

    @Test func locationHasRelativeURIAndRegion() throws {
        let (_, run) = try render([Sample.error])
        let result = try #require(try results(run).first)
        let locations = try #require(result["locations"] as? [[String: Any]])
        try #require(locations.count == 1)
        let physical = try #require(locations[0]["physicalLocation"] as? [String: Any])
        let artifact = try #require(physical["artifactLocation"] as? [String: Any])
        #expect(artifact["uri"] as? String == "manifests/hv.yaml")
        #expect(artifact["uriBaseId"] as? String == "%SRCROOT%")
        let region = try #require(physical["region"] as? [String: Any])
        #expect(region["startLine"] as? Int == 12)
        #expect(region["startColumn"] as? Int == 5)
    }

    @Test func sourceRootAndArtifacts() throws {
        let (_, run) = try render([], files: ["manifests/hv.yaml", "./manifests/hv.yaml", "kernels/6.1.yaml"])
        let bases = try #require(run["originalUriBaseIds"] as? [String: Any])
        let root = (bases["%SRCROOT%"] as? [String: Any])?["uri"] as? String
        #expect(root == "file:///work/repo/")
        let artifacts = try #require(run["artifacts"] as? [[String: Any]])
        let uris = artifacts.compactMap { ($0["location"] as? [String: Any])?["uri"] as? String }
        // Two spellings of one file are one artifact: SARIF wants the items unique.
        #expect(uris == ["manifests/hv.yaml", "kernels/6.1.yaml"])
        #expect(try render([], paths: nil).run["originalUriBaseIds"] == nil)
    }

    @Test func pathsArePercentEncodedURIs() {
        let renderer = SARIFRenderer(paths: SourcePaths(root: "/work/repo"))
        func uri(_ path: String) -> JSONValue? {
            guard case .object(let location) = renderer.artifactLocation(path) else { return nil }
            return location["uri"]
        }
        #expect(uri("./manifests/a b.yaml") == .string("manifests/a%20b.yaml"))
        #expect(uri("m/100%#?.yaml") == .string("m/100%25%23%3F.yaml"))
        #expect(uri("a:b.yaml") == .string("a%3Ab.yaml"))
        #expect(uri("über.yaml") == .string("%C3%BCber.yaml"))
        #expect(uri("/work/repo/manifests/hv.yaml") == .string("manifests/hv.yaml"))
        #expect(renderer.artifactLocation("/elsewhere/x y.yaml") == .object(["uri": .string("file:///elsewhere/x%20y.yaml")]))
        #expect(uri("/work/repository/x.yaml") == .string("file:///work/repository/x.yaml"))
        #expect(uri("../other/x.yaml") == .string("file:///work/other/x.yaml"))
    }

    @Test func pathsFromASubdirectoryAreMadeRelativeToTheRoot() {
        let renderer = SARIFRenderer(paths: SourcePaths(root: "/work/repo", workingDirectory: "/work/repo/manifests"))
        #expect(renderer.artifactLocation("hv.yaml") == .object([
            "uri": .string("manifests/hv.yaml"), "uriBaseId": .string("%SRCROOT%"),
        ]))
    }

    @Test func withoutPathsRelativePathsAreKept() {
        let renderer = SARIFRenderer(paths: nil)
        #expect(renderer.artifactLocation("./manifests/hv.yaml") == .object([
            "uri": .string("manifests/hv.yaml"), "uriBaseId": .string("%SRCROOT%"),
        ]))
        #expect(renderer.artifactLocation("/abs/hv.yaml") == .object(["uri": .string("file:///abs/hv.yaml")]))
    }

    @Test func regionIsNeverBelowOne() throws {
        let odd = Diagnostic(.error, SourceLocation(file: "x.yaml", line: 0, column: 0), rule: "yaml.empty", "empty")
        let (_, run) = try render([odd])
        let result = try #require(try results(run).first)
        let physical = (result["locations"] as? [[String: Any]])?.first?["physicalLocation"] as? [String: Any]
        let region = try #require(physical?["region"] as? [String: Any])
        #expect(region["startLine"] as? Int == 1)
        #expect(region["startColumn"] as? Int == 1)
    }
}
