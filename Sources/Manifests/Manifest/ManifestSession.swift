/// What one lint run (or one build) has read: every file is read and parsed once, by real path,
/// and a base manifest's merged tree is built once, however many manifests and paths reach it.
/// Without this, an `extends` diamond re-reads each base once per path to it: 33 levels of
/// two-line files took 46 seconds, each level doubling it.
///
/// A file keeps the spelling it was first read by (`manifests/common/base.yaml` rather than
/// `./manifests/common/base.yaml`), so its diagnostics and its entry in the file list are the
/// same however it is reached.
public struct ManifestSession: Sendable {
    /// How many files were read from disk; each real path counts once.
    public private(set) var reads = 0
    private var documents: [String: Document] = [:]
    /// Merged trees of manifests whose `extends` graph has no cycle, by identity. A tree built
    /// where a cycle was cut depends on the path that reached it, so it is never kept.
    var merged: [String: MergedFile] = [:]

    struct Document: Sendable {
        var path: String
        var outcome: YAMLLoader.Outcome
    }

    /// A manifest merged with its bases, and what it reported itself; its bases' reports are
    /// theirs, found through `bases`.
    struct MergedFile: Sendable {
        var path: String
        var tree: YNode
        var diagnostics: [Diagnostic]
        var bases: [String]
    }

    public init() {}

    /// The file at `path` parsed, read on first use; `path` in the answer is the spelling
    /// diagnostics use for it.
    mutating func document(_ path: String) -> Document {
        let key = ManifestLoader.identity(path)
        if let known = documents[key] { return known }
        reads += 1
        let document = Document(path: path, outcome: YAMLLoader.load(path: path))
        documents[key] = document
        return document
    }
}
