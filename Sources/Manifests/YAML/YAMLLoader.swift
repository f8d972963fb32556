import Foundation
import Yams

/// Reads one YAML file into a `YNode`, turning every way a file can be broken into a
/// diagnostic with a position: too large, not UTF-8, control characters, tabs, syntax,
/// duplicate keys, several documents, nesting too deep, aliases that expand too far.
///
/// Hostile input is bounded before Yams sees it: the size limit and the nesting pre-scan
/// keep Yams' recursive composer within its stack, and alias expansion is counted while
/// converting, so an alias bomb costs at most `maxNodes` nodes.
public enum YAMLLoader {
    public static let maxBytes = 1 << 20
    public static let maxDepth = 64
    public static let maxNodes = 100_000

    public enum Outcome: Sendable {
        case document(YNode)
        case failed(Diagnostic)
    }

    /// Loads a file from disk. The path is kept as given: it is what diagnostics print. Only a
    /// regular file is read: a named pipe, device, socket or directory is refused unopened.
    public static func load(path: String) -> Outcome {
        // Read one byte past the limit: enough to know the file is too large, never more.
        switch FileProbe.read(path, limit: maxBytes + 1) {
        case .missing:
            return .failed(Diagnostic(.error, .file(path), rule: "io.unreadable", "cannot read \(path): no such file",
                                      hint: "check the path"))
        case .notRegular(.directory):
            return .failed(Diagnostic(.error, .file(path), rule: "io.unreadable", "cannot read \(path): it is a directory",
                                      hint: "name a YAML file"))
        case let .notRegular(kind):
            return .failed(Diagnostic(.error, .file(path), rule: "io.unreadable",
                                      "cannot read \(path): it is \(kind.description), not a regular file",
                                      hint: "name a YAML file; lint never opens pipes, devices or sockets"))
        case .permissionDenied:
            return .failed(Diagnostic(.error, .file(path), rule: "io.unreadable", "cannot read \(path): permission denied",
                                      hint: "check the file's permissions"))
        case let .failed(reason):
            return .failed(Diagnostic(.error, .file(path), rule: "io.unreadable", "cannot read \(path): \(reason)"))
        case let .bytes(bytes, size):
            if bytes.count > maxBytes {
                return .failed(tooLarge(file: path, size: size > UInt64(maxBytes) ? size : nil))
            }
            return parse(bytes: bytes, file: path)
        }
    }

    /// `size` is nil when it cannot be known (a file in /proc says 0): the file is only known
    /// to be over the limit.
    private static func tooLarge(file: String, size: UInt64?) -> Diagnostic {
        let what = size.map { "file is \($0) bytes (\(Size.describe($0)))" } ?? "file is larger than 1 MiB"
        return Diagnostic(.error, .file(file), rule: "yaml.too-large", "\(what); a manifest may be at most 1 MiB (\(maxBytes) bytes)",
                          hint: "split it with `extends:` or check that this is the file you meant")
    }

    /// Parses bytes that claim to be one YAML document.
    public static func parse(bytes: [UInt8], file: String) -> Outcome {
        if bytes.count > maxBytes {
            return .failed(tooLarge(file: file, size: UInt64(bytes.count)))
        }
        let text: String
        switch YAMLPrescan.decode(bytes, file: file) {
        case let .failure(diagnostic): return .failed(diagnostic)
        case let .success(decoded): text = decoded
        }
        if let problem = YAMLPrescan.complexKey(text, file: file) {
            return .failed(problem)
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            return .failed(diagnostic(for: error, text: text, file: file))
        } catch {
            return .failed(Diagnostic(.error, .file(file), rule: "yaml.syntax", "\(error)"))
        }
        guard let root else {
            return .failed(Diagnostic(.error, .file(file), rule: "yaml.empty",
                                      "file holds no YAML document (it is empty or only comments)",
                                      hint: "a manifest starts with `image:`; see docs/manifest.md"))
        }
        var converter = Converter(file: file)
        let document: YNode
        do {
            document = try converter.convert(root, depth: 0)
        } catch let failure {
            return .failed(failure.diagnostic)
        }
        if document.isNull {
            return .failed(Diagnostic(.error, .file(file), rule: "yaml.empty",
                                      "file holds an empty YAML document",
                                      hint: "a manifest starts with `image:`; see docs/manifest.md"))
        }
        return .document(document)
    }

    // MARK: - Yams errors

    private static func diagnostic(for error: YamlError, text: String, file: String) -> Diagnostic {
        switch error {
        case let .scanner(context, problem, mark, _),
             let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let at = SourceLocation(file: file, line: mark.line, column: mark.column)
            if problem.contains("found another document") {
                return Diagnostic(.error, at, rule: "yaml.multiple-documents",
                                  "file holds more than one YAML document",
                                  hint: "remove the `---` separator; use one file per manifest")
            }
            if problem.contains("Maximum nesting level") {
                return Diagnostic(.error, at, rule: "yaml.too-deep", "document nests more than 1000 levels deep (libyaml's limit)",
                                  hint: "a manifest needs a handful of levels; check for runaway nesting")
            }
            if character(in: text, at: mark) == "\t" {
                return Diagnostic(.error, at, rule: "yaml.tab",
                                  "tab character where YAML expects indentation or a token",
                                  hint: "indent with spaces; YAML does not allow tabs for indentation")
            }
            var message = problem
            if let context, !context.text.isEmpty {
                message += " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
            }
            return Diagnostic(.error, at, rule: "yaml.syntax", message,
                              hint: "fix the YAML syntax at this position")
        case let .duplicatedKeysInMapping(duplicates, context):
            let name = duplicates.first ?? "?"
            let first = SourceLocation(file: file, line: context.mark.line, column: context.mark.column)
            let second = YAMLPrescan.repeatedKey(name, after: first, in: text) ?? first
            return Diagnostic(.error, second, rule: "yaml.duplicate-key",
                              "key '\(name)' appears more than once in this mapping (first at line \(first.line), column \(first.column))",
                              hint: "keep one '\(name)' and merge the values")
        case let .reader(problem, _, _, _):
            return Diagnostic(.error, .file(file), rule: "yaml.encoding", problem)
        default:
            return Diagnostic(.error, .file(file), rule: "yaml.syntax", "\(error)")
        }
    }

    private static func character(in text: String, at mark: Mark) -> Unicode.Scalar? {
        let lines = YAMLPrescan.lines(of: text)
        guard mark.line >= 1, mark.line <= lines.count, mark.column >= 1, mark.column <= lines[mark.line - 1].count else { return nil }
        return lines[mark.line - 1][mark.column - 1]
    }

    // MARK: - Conversion with an alias budget

    private struct Failure: Error { var diagnostic: Diagnostic }

    private struct Converter {
        let file: String
        var budget = YAMLLoader.maxNodes

        init(file: String) { self.file = file }

        func location(_ mark: Mark?) -> SourceLocation {
            SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
        }

        mutating func convert(_ node: Node, depth: Int) throws(Failure) -> YNode {
            budget -= 1
            if budget < 0 {
                throw Failure(diagnostic: Diagnostic(
                    .error, location(node.mark), rule: "yaml.too-large-expanded",
                    "document expands to more than \(YAMLLoader.maxNodes) nodes through aliases (an alias bomb?)",
                    hint: "write the values out, or use `extends:` to share them"))
            }
            if depth > YAMLLoader.maxDepth {
                throw Failure(diagnostic: Diagnostic(
                    .error, location(node.mark), rule: "yaml.too-deep",
                    "document nests more than \(YAMLLoader.maxDepth) levels deep",
                    hint: "a manifest needs a handful of levels; check for runaway nesting or aliases"))
            }
            switch node {
            case let .scalar(scalar):
                return YNode(.scalar(scalar.string, plain: scalar.style == .plain || scalar.style == .any),
                             at: location(scalar.mark))
            case let .sequence(sequence):
                var items: [YNode] = []
                items.reserveCapacity(sequence.count)
                for item in sequence {
                    items.append(try convert(item, depth: depth + 1))
                }
                return YNode(.sequence(items), at: location(sequence.mark))
            case let .mapping(mapping):
                var pairs: [YNode.Pair] = []
                for (key, value) in mapping {
                    guard case .scalar = key else {
                        throw Failure(diagnostic: Diagnostic(
                            .error, location(key.mark), rule: "yaml.alias-key",
                            "mapping key is not a plain word; manifest keys are plain names",
                            hint: "write the key as a plain word"))
                    }
                    pairs.append(YNode.Pair(key: try convert(key, depth: depth + 1),
                                            value: try convert(value, depth: depth + 1)))
                }
                return YNode(.mapping(pairs), at: location(mapping.mark))
            case let .alias(alias):
                throw Failure(diagnostic: Diagnostic(.error, location(alias.mark), rule: "yaml.syntax",
                                                     "unresolved alias"))
            }
        }
    }
}
