import BuildPipeline
import Manifests

/// `--format json`: one document for scripts, stable across releases (a change that is not an
/// addition bumps `version`).
///
///     {
///       "diagnostics": [
///         {
///           "column": 5,
///           "file": "manifests/hv.yaml",
///           "hint": "merge them into one pool",
///           "line": 12,
///           "message": "two 1G pools on node 0",
///           "rule": "hugepages.duplicate-size",
///           "severity": "error"
///         }
///       ],
///       "files": ["manifests/hv.yaml"],
///       "summary": {"errors": 1, "notes": 0, "warnings": 0},
///       "tool": "hostimg",
///       "version": 1
///     }
///
/// (shown compacted here; the output is pretty-printed with sorted keys, see ``JSONValue``).
/// Every diagnostic has all seven fields; `hint` is `null` when there is none. `severity` is
/// `error`, `warning` or `note`, after `--strict`. `files` lists every file read, in the order
/// read; `summary` counts the diagnostics in this document.
public struct JSONRenderer: DiagnosticRenderer {
    /// The `version` field: the shape of the document.
    public static let documentVersion = 1

    public init() {}

    public func render(_ diagnostics: [Diagnostic], files: [String]) -> String {
        document(diagnostics, files: files).serialized
    }

    /// The document as a value, before serialisation.
    public func document(_ diagnostics: [Diagnostic], files: [String]) -> JSONValue {
        let counts = SeverityCounts(diagnostics)
        return .object([
            "version": .int(Self.documentVersion),
            "tool": .string("hostimg"),
            "files": .array(files.map { .string($0) }),
            "summary": .object([
                "errors": .int(counts.errors),
                "warnings": .int(counts.warnings),
                "notes": .int(counts.notes),
            ]),
            "diagnostics": .array(diagnostics.map(Self.entry)),
        ])
    }

    private static func entry(_ diagnostic: Diagnostic) -> JSONValue {
        .object([
            "file": .string(diagnostic.location.file),
            "line": .int(diagnostic.location.line),
            "column": .int(diagnostic.location.column),
            "severity": .string(diagnostic.severity.rawValue),
            "rule": .string(diagnostic.rule),
            "message": .string(diagnostic.message),
            "hint": .string(diagnostic.hint),
        ])
    }
}
