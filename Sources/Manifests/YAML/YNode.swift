/// A YAML node with the file, line and column it was written at.
///
/// The loader turns Yams' nodes into these once, expanding aliases under a budget, so that
/// the rest of the core never sees Yams and every value can be traced to where it was
/// written — also after `extends:` merged nodes from several files into one tree.
public struct YNode: Sendable {
    public enum Kind: Sendable {
        /// `plain` is false for quoted and block scalars: `"1G"` is always a string.
        case scalar(String, plain: Bool)
        case mapping([Pair])
        case sequence([YNode])
    }

    public struct Pair: Sendable {
        public var key: YNode
        public var value: YNode
        public init(key: YNode, value: YNode) {
            self.key = key
            self.value = value
        }
        /// The key's text (keys are scalars; the loader rejects others).
        public var name: String { key.scalarText ?? "" }
    }

    public var kind: Kind
    public var location: SourceLocation

    public init(_ kind: Kind, at location: SourceLocation) {
        self.kind = kind
        self.location = location
    }

    public var scalarText: String? {
        if case let .scalar(text, _) = kind { return text }
        return nil
    }

    public var pairs: [Pair]? {
        if case let .mapping(pairs) = kind { return pairs }
        return nil
    }

    public var items: [YNode]? {
        if case let .sequence(items) = kind { return items }
        return nil
    }

    /// `~`, `null` or nothing at all, written plain.
    public var isNull: Bool {
        if case let .scalar(text, plain) = kind, plain {
            return text.isEmpty || text == "~" || text == "null" || text == "Null" || text == "NULL"
        }
        return false
    }

    /// The value under `key`, for mappings.
    public subscript(key: String) -> YNode? {
        pairs?.first { $0.name == key }?.value
    }

    /// What the node is, in the words an error message uses.
    public var kindDescription: String {
        switch kind {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case let .scalar(text, plain):
            if isNull { return "nothing (null)" }
            if plain, Int(text) != nil || Double(text) != nil { return "the number \(text)" }
            if plain, ["true", "false"].contains(text) { return "the boolean \(text)" }
            return "the string \"\(text.count > 40 ? String(text.prefix(40)) + "…" : text)\""
        }
    }
}
