import BuildPipeline
import ByteCodec
import Manifests

/// `--format sarif`: SARIF 2.1.0 (OASIS, https://docs.oasis-open.org/sarif/sarif/v2.1.0/), the
/// subset GitHub code scanning reads (`github/codeql-action/upload-sarif`).
///
/// One run. `tool.driver.rules` is the whole `LintRule.catalog`, in catalogue order, so a rule
/// that fires nowhere is still known to the scanner (and an alert closes when its rule stops
/// firing); a diagnostic whose rule is not in the catalogue gets a rule appended after the
/// catalogue, so every result's `ruleIndex` points at the rule with its `ruleId`.
///
/// Each result: `ruleId`, `ruleIndex`, `level` (`error`, `warning`, `note`: the diagnostic's
/// severity after `--strict`, which may differ from the rule's `defaultConfiguration`),
/// `message.text` (the message, then `hint: ...` on a second line), and one physical location.
/// A path under the source root (``SourcePaths``) becomes a relative URI reference on
/// `%SRCROOT%` (forward slashes, every byte outside RFC 3986 "unreserved" and `/`
/// percent-encoded, so `a:b.yaml` cannot read as a scheme); a path outside it becomes a
/// `file://` URI. `originalUriBaseIds` gives `%SRCROOT%` its absolute `file://` URI. `run.columnKind` is `unicodeCodePoints` because
/// `SourceLocation.column` counts Unicode scalars, not SARIF's default UTF-16 code units.
public struct SARIFRenderer: DiagnosticRenderer {
    public static let schema = "https://json.schemastore.org/sarif-2.1.0.json"
    public static let sarifVersion = "2.1.0"
    public static let sourceRootID = "%SRCROOT%"

    /// The rules listed as the tool's rules before any the diagnostics add.
    public var rules: [LintRule]
    /// The source root and working directory. Without them, relative paths are taken to be
    /// relative to the root already and `originalUriBaseIds` is left out.
    public var paths: SourcePaths?

    public init(rules: [LintRule] = LintRule.catalog, paths: SourcePaths? = nil) {
        self.rules = rules
        self.paths = paths
    }

    public func render(_ diagnostics: [Diagnostic], files: [String]) -> String {
        log(diagnostics, files: files).serialized
    }

    /// The SARIF log as a value, before serialisation.
    public func log(_ diagnostics: [Diagnostic], files: [String]) -> JSONValue {
        var ruleList = rules
        var ruleIndex: [String: Int] = [:]
        for (i, rule) in ruleList.enumerated() where ruleIndex[rule.id] == nil {
            ruleIndex[rule.id] = i
        }
        for diagnostic in diagnostics where ruleIndex[diagnostic.rule] == nil {
            ruleIndex[diagnostic.rule] = ruleList.count
            ruleList.append(LintRule(
                diagnostic.rule, diagnostic.severity,
                "\(diagnostic.rule) (a rule outside the hostimg rule catalogue)."
            ))
        }

        let results: [JSONValue] = diagnostics.map { diagnostic in
            .object([
                "ruleId": .string(diagnostic.rule),
                "ruleIndex": .int(ruleIndex[diagnostic.rule] ?? 0),
                "level": .string(diagnostic.severity.rawValue),
                "message": .object(["text": .string(diagnostic.messageWithHint)]),
                "locations": .array([
                    .object([
                        "physicalLocation": .object([
                            "artifactLocation": artifactLocation(diagnostic.location.file),
                            "region": .object([
                                "startLine": .int(max(1, diagnostic.location.line)),
                                "startColumn": .int(max(1, diagnostic.location.column)),
                            ]),
                        ])
                    ])
                ]),
            ])
        }

        // SARIF 2.1.0 requires the items of `run.artifacts` to be unique. Two spellings of one file
        // (`./a.yaml`, `a.yaml`) give one location, so that is what is compared.
        var seen: Set<String> = []
        let artifacts: [JSONValue] = files.compactMap { file in
            let location = artifactLocation(file)
            guard seen.insert(location.serialized).inserted else { return nil }
            return .object(["location": location])
        }

        var driver: [String: JSONValue] = [
            "name": .string("hostimg"),
            "version": .string(HostImgVersion.current),
            "semanticVersion": .string(HostImgVersion.current),
            "rules": .array(ruleList.map(Self.descriptor)),
        ]
        if let homepage = HostImgVersion.homepage {
            driver["informationUri"] = .string(homepage)
        }

        var run: [String: JSONValue] = [
            "tool": .object(["driver": .object(driver)]),
            "columnKind": .string("unicodeCodePoints"),
            "artifacts": .array(artifacts),
            "results": .array(results),
        ]
        if let paths {
            let directory = paths.root.hasSuffix("/") ? paths.root : paths.root + "/"
            run["originalUriBaseIds"] = .object([
                Self.sourceRootID: .object(["uri": .string("file://" + Self.percentEncoded(directory))])
            ])
        }

        return .object([
            "$schema": .string(Self.schema),
            "version": .string(Self.sarifVersion),
            "runs": .array([.object(run)]),
        ])
    }

    /// A `reportingDescriptor` for one rule.
    private static func descriptor(_ rule: LintRule) -> JSONValue {
        var tags: [JSONValue] = []
        if let category = rule.id.split(separator: ".").first {
            tags.append(.string(String(category)))
        }
        if rule.needsHardware {
            tags.append(.string("needs-hardware"))
        }
        return .object([
            "id": .string(rule.id),
            "name": .string(ruleName(rule.id)),
            "shortDescription": .object(["text": .string(rule.summary)]),
            "defaultConfiguration": .object(["level": .string(rule.severity.rawValue)]),
            "properties": .object(["tags": .array(tags)]),
        ])
    }

    /// The rule's SARIF `name`: its id in UpperCamelCase, `hugepages.duplicate-size` →
    /// `HugepagesDuplicateSize`.
    public static func ruleName(_ id: String) -> String {
        id.split(whereSeparator: { $0 == "." || $0 == "-" || $0 == "_" })
            .map { $0.prefix(1).uppercased() + $0.dropFirst() }
            .joined()
    }

    /// An `artifactLocation` for a path as the linter reported it.
    func artifactLocation(_ path: String) -> JSONValue {
        let resolved: SourcePaths.Resolved
        if let paths {
            resolved = paths.resolve(path)
        } else if path.hasPrefix("/") {
            resolved = .absolute(path)
        } else {
            var relative = Substring(path)
            while relative.hasPrefix("./") {
                relative = relative.dropFirst(2)
            }
            resolved = .relative(String(relative))
        }
        switch resolved {
        case .absolute(let absolute):
            return .object(["uri": .string("file://" + Self.percentEncoded(absolute))])
        case .relative(let relative):
            return .object([
                "uri": .string(Self.percentEncoded(relative)),
                "uriBaseId": .string(Self.sourceRootID),
            ])
        }
    }

    /// Percent-encodes every UTF-8 byte except RFC 3986 unreserved characters and `/`.
    public static func percentEncoded(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                out += "%" + Hex.encode(byte, digits: 2, uppercase: true)
            }
        }
        return out
    }
}
