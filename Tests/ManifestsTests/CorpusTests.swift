import Foundation
import Testing
@testable import Manifests

/// The lint corpus: `Fixtures/corpus` holds one broken file per mistake. Each starts with
/// `# expect:` lines naming every diagnostic lint must report for it — no more, no fewer:
///
///     # expect: <severity> <rule> <line>:<column>[ in <path>][ message~ <text>][ hint~ <text>]
///
/// `in <path>` (relative to the corpus folder) is for a diagnostic that belongs to another file
/// the fixture reads (a kernel file, a base, the other half of an `extends` cycle);
/// `message~` and `hint~` require the message or hint to contain the text.
///
/// Manifests sit directly in the corpus folder, kernel files in `kernels/`, hardware profiles in
/// `hardware/` (lint decides a file's kind by its folder). `support/` holds the valid files the
/// fixtures point at; it is not part of the corpus and must itself lint clean.
enum Corpus {
    /// Repository-relative, so diagnostics carry stable paths (lint runs from the repository root).
    static let directory = "Tests/ManifestsTests/Fixtures/corpus"
    static let absoluteDirectory = repositoryRoot + "/" + directory
    static let supportFolder = "support"
    /// Folders whose files are fixtures, and the kind lint reads them as.
    static let fixtureFolders: [(folder: String, kind: Linter.FileKind)] = [("", .manifest), ("kernels", .kernel), ("hardware", .hardware)]

    /// Every fixture, as a path relative to the corpus folder (`cpus-overlap.yaml`,
    /// `kernels/unknown-key.yaml`), sorted.
    static let fixtures: [String] = {
        var found: [String] = []
        for (folder, _) in fixtureFolders {
            let path = folder.isEmpty ? absoluteDirectory : absoluteDirectory + "/" + folder
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            for name in names where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
                found.append(folder.isEmpty ? name : folder + "/" + name)
            }
        }
        return found.sorted()
    }()

    static func path(_ fixture: String) -> String { directory + "/" + fixture }

    static func expectations(of fixture: String) throws -> [ExpectedDiagnostic] {
        let data = try Data(contentsOf: URL(fileURLWithPath: absoluteDirectory + "/" + fixture))
        // Lossy on purpose: one fixture is not UTF-8, and its `# expect:` line still is.
        let text = String(decoding: data, as: UTF8.self)
        var expected: [ExpectedDiagnostic] = []
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        where line.hasPrefix(ExpectedDiagnostic.prefix) {
            expected.append(try ExpectedDiagnostic(parsing: String(line), fixture: fixture))
        }
        return expected
    }
}

/// One `# expect:` line.
struct ExpectedDiagnostic: CustomStringConvertible {
    static let prefix = "# expect: "

    struct Key: Hashable, Comparable, CustomStringConvertible {
        var file: String
        var line: Int
        var column: Int
        var rule: String
        var severity: Diagnostic.Severity

        init(file: String, line: Int, column: Int, rule: String, severity: Diagnostic.Severity) {
            self.file = file
            self.line = line
            self.column = column
            self.rule = rule
            self.severity = severity
        }

        init(_ diagnostic: Diagnostic) {
            self.init(file: diagnostic.location.file, line: diagnostic.location.line, column: diagnostic.location.column,
                      rule: diagnostic.rule, severity: diagnostic.severity)
        }

        static func < (a: Key, b: Key) -> Bool {
            (a.file, a.line, a.column, a.rule, a.severity.rawValue) < (b.file, b.line, b.column, b.rule, b.severity.rawValue)
        }

        var description: String { "\(file):\(line):\(column): \(severity.rawValue) [\(rule)]" }
    }

    struct FormatError: Error, CustomStringConvertible {
        var description: String
    }

    var key: Key
    var messageContains: String?
    var hintContains: String?

    var rule: String { key.rule }
    var severity: Diagnostic.Severity { key.severity }
    var description: String {
        key.description + (messageContains.map { " message~ \($0)" } ?? "") + (hintContains.map { " hint~ \($0)" } ?? "")
    }

    init(parsing line: String, fixture: String) throws(FormatError) {
        var rest = Substring(line.dropFirst(Self.prefix.count))
        var clauses: [String: String] = [:]
        // Clauses run to the next clause or the end of the line, in either order.
        for marker in [" hint~ ", " message~ "] {
            guard let range = rest.range(of: marker) else { continue }
            var text = rest[range.upperBound...]
            var tail = Substring("")
            for other in [" hint~ ", " message~ "] where other != marker {
                if let otherRange = text.range(of: other) {
                    tail = text[otherRange.lowerBound...]
                    text = text[..<otherRange.lowerBound]
                }
            }
            clauses[marker.trimmingCharacters(in: .whitespaces)] = String(text)
            rest = rest[..<range.lowerBound] + tail
        }
        let words = rest.split(separator: " ")
        guard words.count == 3 || (words.count == 5 && words[3] == "in"),
              let severity = Diagnostic.Severity(rawValue: String(words[0])) else {
            throw FormatError(description: "\(fixture): malformed expectation '\(line)'")
        }
        let position = words[2].split(separator: ":")
        guard position.count == 2, let lineNumber = Int(position[0]), let column = Int(position[1]) else {
            throw FormatError(description: "\(fixture): malformed position in '\(line)'")
        }
        let file = words.count == 5 ? Corpus.path(String(words[4])) : Corpus.path(fixture)
        key = Key(file: file, line: lineNumber, column: column, rule: String(words[1]), severity: severity)
        messageContains = clauses["message~"]
        hintContains = clauses["hint~"]
    }

    func matches(_ diagnostic: Diagnostic) -> Bool {
        Key(diagnostic) == key
            && messageContains.map { diagnostic.message.contains($0) } ?? true
            && hintContains.map { (diagnostic.hint ?? "").contains($0) } ?? true
    }
}

private func render(_ diagnostics: [Diagnostic]) -> String {
    diagnostics.map { "  \($0.location): \($0.severity.rawValue) [\($0.rule)] \($0.message)" + ($0.hint.map { "\n    hint: \($0)" } ?? "") }
        .joined(separator: "\n")
}

@Suite("Lint corpus: one broken file per mistake")
struct CorpusTests {
    @Test("the fixture yields exactly the diagnostics its `# expect:` lines name", arguments: Corpus.fixtures)
    func fixture(_ fixture: String) throws {
        let expected = try Corpus.expectations(of: fixture)
        try #require(!expected.isEmpty, "\(fixture) has no `# expect:` line")
        let path = Corpus.path(fixture)
        let result = try inRepository { try Linter.lint(paths: [path]) }
        let actual = result.diagnostics

        #expect(result.files.first == path)
        // A bad file must fail lint: with an error, or — for a mistake that is only a warning —
        // with `--strict`.
        let onlyWarnings = expected.allSatisfy { $0.severity == .warning }
        let failing = actual.map { onlyWarnings ? $0.promotingWarnings() : $0 }.contains { $0.severity == .error }
        #expect(failing, "\(fixture) lints clean\(onlyWarnings ? " even with --strict" : "")")

        // The full multiset: catches missing and spurious findings alike.
        let want = expected.map(\.key).sorted()
        let got = actual.map(ExpectedDiagnostic.Key.init).sorted()
        #expect(got == want, "\(fixture)\nexpected:\n\(want.map { "  \($0)" }.joined(separator: "\n"))\nactual:\n\(render(actual))")

        // Messages and hints: each expectation claims its own diagnostic.
        var unclaimed = actual
        for expectation in expected {
            if let index = unclaimed.firstIndex(where: expectation.matches) {
                unclaimed.remove(at: index)
            } else if got == want {
                Issue.record("\(fixture): no diagnostic matches \(expectation)\nactual:\n\(render(actual))")
            }
        }
    }

    @Test("the corpus is large and names every catalogued rule not tested on its own")
    func coverage() throws {
        #expect(Corpus.fixtures.count >= 60)
        #expect(Corpus.fixtures.filter { $0.hasPrefix("kernels/") }.count >= 3)
        #expect(Corpus.fixtures.filter { $0.hasPrefix("hardware/") }.count >= 3)

        /// Rules no single corpus file can show, each with the test that covers it instead.
        let testedSeparately: [String: String] = [
            // Needs an unreadable file: HostileInputTests reads a directory as a file.
            "io.unreadable": "HostileInputTests.directoryAsFile",
            // Needs a file over 1 MiB, generated: HostileInputTests.tenMegabytes and .sparseFile.
            "yaml.too-large": "HostileInputTests.tenMegabytes",
            // Needs `LintOptions.previousManifest` (`hostimg lint --previous`): KexecRuleTests.
            "kexec.iommu-change": "KexecRuleTests.modeChange",
            "kexec.preserved-change": "PreservedMemoryTests.kexecChange",
        ]
        let catalog = Set(LintRule.catalog.map(\.id))
        var covered = Set<String>()
        for fixture in Corpus.fixtures {
            for expectation in try Corpus.expectations(of: fixture) {
                covered.insert(expectation.rule)
                // The severity a fixture expects is the one the catalogue gives the rule.
                #expect(LintRule.named(expectation.rule)?.severity == expectation.severity,
                        "\(fixture): \(expectation.rule) is \(LintRule.named(expectation.rule)?.severity.rawValue ?? "not catalogued")")
            }
        }
        #expect(catalog.subtracting(covered).subtracting(testedSeparately.keys).sorted() == [],
                "rules with no corpus file")
        #expect(covered.subtracting(catalog).sorted() == [], "expectations name rules the catalogue does not have")
        #expect(Set(testedSeparately.keys).subtracting(catalog).sorted() == [], "stale allow-list entries")
        // Every hardware rule is reached through a manifest's `hardware:`.
        for rule in LintRule.catalog where rule.needsHardware {
            #expect(covered.contains(rule.id), "\(rule.id) (H) has no corpus file")
        }
    }

    @Test("every YAML file in the corpus folder is a fixture or a support file")
    func layout() throws {
        let enumerator = try #require(FileManager.default.enumerator(atPath: Corpus.absoluteDirectory))
        var strays: [String] = []
        while let relative = enumerator.nextObject() as? String {
            guard relative.hasSuffix(".yaml") || relative.hasSuffix(".yml") else { continue }
            if relative.hasPrefix(Corpus.supportFolder + "/") || Corpus.fixtures.contains(relative) { continue }
            strays.append(relative)
        }
        #expect(strays == [], "files no test reads")
        for fixture in Corpus.fixtures {
            let kind = Corpus.fixtureFolders.first { fixture.hasPrefix($0.folder + "/") }?.kind ?? .manifest
            #expect(Linter.FileKind(path: Corpus.path(fixture)) == kind, "\(fixture)")
            #expect(!fixture.hasPrefix(Corpus.supportFolder + "/"))
        }
    }

    @Test("the support files the fixtures point at lint clean")
    func supportIsClean() throws {
        let result = try inRepository { try Linter.lint(paths: [Corpus.directory + "/" + Corpus.supportFolder]) }
        #expect(result.diagnostics.isEmpty, "\n\(render(result.diagnostics))")
        for name in ["good-minimal.yaml", "good-tuning.yaml", "good-hardware.yaml", "good-full.yaml",
                     "kernels/ok.yaml", "hardware/two-node.yaml"] {
            #expect(result.files.contains(Corpus.directory + "/support/" + name), "\(name) was not linted")
        }
    }

    @Test("linting the whole corpus folder at once finds what the files find one by one")
    func wholeFolder() throws {
        let (together, separately) = try inRepository {
            let together = try Linter.lint(paths: [Corpus.directory])
            var separately = Set<Diagnostic>()
            for fixture in Corpus.fixtures { separately.formUnion(try Linter.lint(paths: [Corpus.path(fixture)]).diagnostics) }
            return (together, separately)
        }
        #expect(Set(together.diagnostics) == separately)
        #expect(together.diagnostics == together.diagnostics.sorted())
        #expect(Set(Corpus.fixtures.map(Corpus.path)).isSubset(of: Set(together.files)))
    }
}
