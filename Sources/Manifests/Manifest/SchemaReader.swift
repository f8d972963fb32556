import EditDistance

/// Reads typed values out of `YNode`s, reporting every schema mistake as a diagnostic instead
/// of stopping at the first: unknown keys (with a "did you mean"), wrong types, malformed
/// units, missing required fields, values outside their allowed set.
struct SchemaReader {
    var sink = DiagnosticSink()
    /// Paths of values that were written but did not decode. Rules that depend on one stay
    /// silent, so a mistake is reported once, where it was made.
    var invalid = Set<String>()

    /// A mapping's fields, after its keys were checked against the schema.
    struct Fields {
        let node: YNode
        let path: String

        /// The value under `key`; nil when absent or written as null.
        subscript(key: String) -> YNode? {
            guard let value = node[key], !value.isNull else { return nil }
            return value
        }

        func path(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
    }

    /// Checks that `node` is a mapping whose keys are all in `keys` and that the `required`
    /// ones are there. Returns nil (after reporting) when it is not a mapping at all.
    mutating func mapping(_ node: YNode, path: String, keys: [String], required: [String] = []) -> Fields? {
        guard let pairs = node.pairs else {
            typeError(node, path: path, expected: "a mapping")
            return nil
        }
        // A misspelt required key is reported once, as the unknown key, not also as missing.
        var suggested = Set<String>()
        for pair in pairs where !keys.contains(pair.name) {
            let place = path.isEmpty ? "at the top level" : "in `\(path)`"
            var hint = "valid keys \(place): \(keys.joined(separator: ", "))"
            if let suggestion = Self.closest(to: pair.name, in: keys) {
                hint = "did you mean '\(suggestion)'? " + hint
                suggested.insert(suggestion)
            }
            sink.error(pair.key.location, "schema.unknown-key", "unknown key '\(pair.name)' \(place)", hint: hint)
        }
        let fields = Fields(node: node, path: path)
        for key in required where fields[key] == nil && !suggested.contains(key) {
            let at = node[key]?.location ?? node.location
            sink.error(at, "schema.required", "missing required field `\(fields.path(key))`",
                       hint: "add `\(key):`; see docs/manifest.md")
        }
        return fields
    }

    mutating func typeError(_ node: YNode, path: String, expected: String, hint: String? = nil) {
        invalid.insert(path)
        let what = path.isEmpty ? "the document" : "`\(path)`"
        sink.error(node.location, "schema.type", "\(what) must be \(expected), not \(node.kindDescription)",
                   hint: hint ?? (path.isEmpty ? "a file of this kind is a mapping of `key: value` lines; see docs/manifest.md" : nil))
    }

    // MARK: Scalars

    mutating func string(_ node: YNode?, path: String) -> Located<String>? {
        guard let node, !node.isNull else { return nil }
        guard let text = node.scalarText else {
            typeError(node, path: path, expected: "a string")
            return nil
        }
        return Located(text, at: node.location)
    }

    mutating func int(_ node: YNode?, path: String, range: ClosedRange<Int>) -> Located<Int>? {
        guard let node, !node.isNull else { return nil }
        guard case let .scalar(text, plain) = node.kind, plain, let value = Int(text) else {
            typeError(node, path: path, expected: "a whole number")
            return nil
        }
        guard range.contains(value) else {
            invalid.insert(path)
            sink.error(node.location, "schema.value", "`\(path)` is \(value); it must be between \(range.lowerBound) and \(range.upperBound)")
            return nil
        }
        return Located(value, at: node.location)
    }

    mutating func bool(_ node: YNode?, path: String) -> Located<Bool>? {
        guard let node, !node.isNull else { return nil }
        guard case let .scalar(text, plain) = node.kind, plain, text == "true" || text == "false" else {
            let yamlOne = ["yes", "no", "on", "off", "True", "False", "TRUE", "FALSE", "y", "n"]
            let hint = node.scalarText.map { yamlOne.contains($0) } == true ? "write true or false (YAML 1.1 words like '\(node.scalarText ?? "")' are ambiguous)" : "write true or false"
            typeError(node, path: path, expected: "true or false", hint: hint)
            return nil
        }
        return Located(text == "true", at: node.location)
    }

    mutating func size(_ node: YNode?, path: String) -> Located<UInt64>? {
        guard let located = string(node, path: path) else { return nil }
        do {
            return Located(try Size.parse(located.value), at: located.location)
        } catch {
            invalid.insert(path)
            sink.error(located.location, "schema.size", "`\(path)`: \(error)",
                       hint: "write a number with a binary unit, e.g. 2M, 1G or 512MiB")
            return nil
        }
    }

    mutating func cpuSet(_ node: YNode?, path: String) -> Located<CPUSet>? {
        guard let located = string(node, path: path) else { return nil }
        do {
            return Located(try CPUSet.parse(located.value), at: located.location)
        } catch {
            invalid.insert(path)
            sink.error(located.location, "cpus.syntax", "`\(path)`: \(error)",
                       hint: "write CPUs the kernel's way, e.g. \"0-3,8,10-11\"")
            return nil
        }
    }

    mutating func oneOf<T: RawRepresentable>(_ node: YNode?, path: String, _: T.Type) -> Located<T>?
    where T: CaseIterable, T.RawValue == String {
        guard let located = string(node, path: path) else { return nil }
        guard let value = T(rawValue: located.value) else {
            let allowed = T.allCases.map(\.rawValue)
            var hint = "use one of: \(allowed.joined(separator: ", "))"
            if let suggestion = Self.closest(to: located.value, in: allowed) { hint = "did you mean '\(suggestion)'? " + hint }
            invalid.insert(path)
            sink.error(located.location, "schema.value", "`\(path)` is '\(located.value)'; it must be one of \(allowed.joined(separator: ", "))", hint: hint)
            return nil
        }
        return Located(value, at: located.location)
    }

    mutating func pciAddress(_ node: YNode?, path: String) -> Located<String>? {
        guard let located = string(node, path: path) else { return nil }
        guard let address = PCI.address(located.value) else {
            invalid.insert(path)
            sink.error(located.location, "pci.address", "`\(path)`: '\(located.value)' is not a PCI address",
                       hint: "write domain:bus:device.function in hex, e.g. \"0000:3b:00.0\" (quote it)")
            return nil
        }
        return Located(address, at: located.location)
    }

    mutating func pciID(_ node: YNode?, path: String) -> Located<String>? {
        guard let located = string(node, path: path) else { return nil }
        guard let id = PCI.id(located.value) else {
            invalid.insert(path)
            sink.error(located.location, "pci.id", "`\(path)`: '\(located.value)' is not a PCI id",
                       hint: "write vendor:device as 4 hex digits each, e.g. \"8086:1572\" (quote it)")
            return nil
        }
        return Located(id, at: located.location)
    }

    // MARK: Lists

    /// Each element of a list, read by `element`; a lone scalar where a list belongs is a type error.
    mutating func list<T>(_ node: YNode?, path: String, element: (inout SchemaReader, YNode, String) -> T?) -> [T] {
        guard let node, !node.isNull else { return [] }
        guard let items = node.items else {
            typeError(node, path: path, expected: "a list", hint: node.scalarText.map { "write it as a list: [\($0)]" })
            return []
        }
        var values: [T] = []
        for (index, item) in items.enumerated() {
            if let value = element(&self, item, "\(path)[\(index)]") { values.append(value) }
        }
        return values
    }

    /// A list of strings; repeated entries are reported once each.
    mutating func strings(_ node: YNode?, path: String) -> [Located<String>] {
        let values = list(node, path: path) { reader, item, itemPath in reader.string(item, path: itemPath) }
        var seen = Set<String>()
        for value in values where !seen.insert(value.value).inserted {
            sink.warning(value.location, "schema.duplicate-item", "`\(path)` lists '\(value.value)' more than once",
                         hint: "remove the repeated entry")
        }
        return values
    }

    // MARK: Did you mean

    /// The allowed word nearest to `word`: same letters ignoring case and `-`/`_`, or within a
    /// small edit distance.
    static func closest(to word: String, in candidates: [String]) -> String? {
        func normalize(_ s: String) -> [Character] { Array(s.lowercased().filter { $0 != "-" && $0 != "_" }) }
        let target = normalize(word)
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(target, normalize(candidate))
            if distance == 0 { return candidate }
            if best.map({ distance < $0.1 }) ?? true { best = (candidate, distance) }
        }
        guard let (candidate, distance) = best else { return nil }
        return distance <= max(1, min(target.count, candidate.count) / 3) ? candidate : nil
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int { Levenshtein.distance(a, b) }
}
