import Foundation
import Testing
@testable import Manifests

@Suite("Documentation matches the code")
struct DocumentationTests {
    @Test("docs/lint-rules.md lists every rule of the catalogue with its severity")
    func rulesDocumented() throws {
        let text = try String(contentsOfFile: repositoryRoot + "/docs/lint-rules.md", encoding: .utf8)
        for rule in LintRule.catalog {
            let severity = rule.severity == .error ? "E" : "W"
            let hardware = rule.needsHardware ? "H" : ""
            #expect(text.contains("| `\(rule.id)` | \(severity) | \(hardware) |"), "\(rule.id) is missing or differs in docs/lint-rules.md")
        }
    }

    @Test("the catalogue has unique ids")
    func uniqueIDs() {
        #expect(Set(LintRule.catalog.map(\.id)).count == LintRule.catalog.count)
    }

    @Test("docs/manifest.md documents every top-level key")
    func topLevelKeysDocumented() throws {
        let text = try String(contentsOfFile: repositoryRoot + "/docs/manifest.md", encoding: .utf8)
        for key in Manifest.topLevelKeys {
            #expect(text.contains("`\(key)"), "\(key) is not documented")
        }
    }

    @Test("every rule id used in the sources is in the catalogue")
    func emittedRulesCatalogued() throws {
        let sources = repositoryRoot + "/Sources/Manifests"
        let enumerator = try #require(FileManager.default.enumerator(atPath: sources))
        let pattern = try Regex(#"rule: "([a-z0-9.-]+)"|(?:error|warning)\([^,]+, "([a-z0-9.-]+)""#)
        var used = Set<String>()
        while let file = enumerator.nextObject() as? String {
            guard file.hasSuffix(".swift") else { continue }
            let text = try String(contentsOfFile: sources + "/" + file, encoding: .utf8)
            for match in text.matches(of: pattern) {
                if let id = match.output[1].substring ?? match.output[2].substring { used.insert(String(id)) }
            }
        }
        #expect(used.count > 40)
        for id in used.sorted() {
            #expect(LintRule.named(id) != nil, "rule \(id) is emitted but not in LintRule.catalog")
        }
    }
}
