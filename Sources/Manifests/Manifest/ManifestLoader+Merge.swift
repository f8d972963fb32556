/// The merge rules of `extends` (docs/manifest.md, "Merging").
extension ManifestLoader {
    static let unionPaths: Set<String> = [
        "packages.include", "packages.exclude", "drivers.keep", "drivers.deny", "drivers.hardware",
        "locales.keep", "overlays", "services.enable",
    ]

    /// One-of values: in the mapping at the path, the keys of each group are alternatives, so
    /// a later file that writes one of them drops the others the base wrote. Merging them key
    /// by key would give both (`signing.key: {env: X}` under `{file: k.pem}`), which is refused.
    ///
    /// - `signing.key`, `signing.certificate`: `{file: PATH}` or `{env: VARIABLE}`.
    /// - the top level: the root tree comes from `packages` or from `base` (a tarball).
    ///
    /// Every other choice in the schema is a list item (`tuning.vfio.devices[]`, `tuning.vfio.ids[]`:
    /// a string or a mapping), and lists other than `unionPaths` are replaced whole anyway.
    static let oneOfGroups: [String: [Set<String>]] = [
        "": [["packages", "base"]],
        "signing.key": [["file", "env"]],
        "signing.certificate": [["file", "env"]],
    ]

    /// `top` over `base`, following the merge rules.
    static func merge(_ base: YNode, _ top: YNode, path: String) -> YNode {
        switch (base.kind, top.kind) {
        case let (.mapping(basePairs), .mapping(topPairs)):
            var result = path.isEmpty ? basePairs.filter { $0.name != "extends" && $0.name != "partial" } : basePairs
            let written = Set(topPairs.map(\.name))
            for group in oneOfGroups[path] ?? [] where !group.isDisjoint(with: written) {
                result.removeAll { group.contains($0.name) && !written.contains($0.name) }
            }
            for pair in topPairs {
                let childPath = path.isEmpty ? pair.name : "\(path).\(pair.name)"
                if let index = result.firstIndex(where: { $0.name == pair.name }) {
                    result[index] = YNode.Pair(key: pair.key, value: merge(result[index].value, pair.value, path: childPath))
                } else {
                    result.append(pair)
                }
            }
            return YNode(.mapping(result), at: top.location)
        case let (.sequence(baseItems), .sequence(topItems)) where unionPaths.contains(path):
            // Items the base already has are dropped; the later file's own repeats stay, so
            // lint still reports them as it would in that file alone.
            let inherited = Set(baseItems.compactMap(\.scalarText))
            let added = topItems.filter { item in item.scalarText.map { !inherited.contains($0) } ?? true }
            return YNode(.sequence(baseItems + added), at: top.location)
        default:
            return top
        }
    }
}
