import Foundation
import BuildPipeline
import Manifests
import Testing

@testable import HostImgCLI

/// Collects what a command writes to stdout and stderr.
final class CapturedOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var out = ""
    private var err = ""

    var standardOutput: String { lock.withLock { out } }
    var standardError: String { lock.withLock { err } }

    func console(
        isTerminal: Bool = false,
        environment: [String: String] = [:],
        currentDirectory: String = "/work/repo"
    ) -> Console {
        Console(
            standardOutput: { text in self.lock.withLock { self.out += text } },
            standardError: { text in self.lock.withLock { self.err += text } },
            isStandardOutputTerminal: isTerminal,
            environment: environment,
            currentDirectory: currentDirectory
        )
    }
}

/// One in-process run of `hostimg`.
struct Invocation {
    var status: Int32
    var standardOutput: String
    var standardError: String
}

/// Runs `hostimg arguments...` in this process with a captured console. `engine` replaces the
/// linter, so exit codes and output can be tested whatever state `Linter` is in.
func hostimg(
    _ arguments: [String],
    isTerminal: Bool = false,
    environment: [String: String] = [:],
    currentDirectory: String = "/work/repo",
    engine: @escaping HostImg.Lint.Engine = { _, _ in LintResult(diagnostics: [], files: []) }
) async -> Invocation {
    let capture = CapturedOutput()
    let console = capture.console(isTerminal: isTerminal, environment: environment, currentDirectory: currentDirectory)
    let status = await Console.$current.withValue(console) {
        await HostImg.Lint.$engine.withValue(engine) {
            await HostImg.run(arguments: arguments)
        }
    }
    return Invocation(status: status.rawValue, standardOutput: capture.standardOutput, standardError: capture.standardError)
}

/// A temporary directory holding the named (empty) files, removed when the body returns.
func withTemporaryDirectory<R>(files: [String] = [], _ body: (String) async throws -> R) async throws -> R {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("hostimg-cli-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    for file in files {
        let url = directory.appendingPathComponent(file)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("image: {}\n".utf8).write(to: url)
    }
    return try await body(directory.path)
}

/// Hand-made diagnostics covering each severity, a hint, no hint, and a rule outside the
/// catalogue.
enum Sample {
    static let error = Diagnostic(
        .error, SourceLocation(file: "manifests/hv.yaml", line: 12, column: 5),
        rule: "hugepages.duplicate-size", "two 1G pools on node 0",
        hint: "merge them into one pool of 16 pages"
    )
    static let warning = Diagnostic(
        .warning, SourceLocation(file: "manifests/hv.yaml", line: 20, column: 3),
        rule: "schema.duplicate-item", "`vfio-pci` is listed twice"
    )
    static let note = Diagnostic(
        .note, SourceLocation(file: "hardware/r650.yaml", line: 1, column: 1),
        rule: "cpus.coverage", "CPU 63 is in no set"
    )
    static let unknownRule = Diagnostic(
        .warning, SourceLocation(file: "manifests/base.yaml", line: 4, column: 9),
        rule: "experimental.thing", "an experimental check"
    )

    static let all = [error, warning, note]
    static let files = ["hardware/r650.yaml", "manifests/base.yaml", "manifests/hv.yaml"]

    static func result(_ diagnostics: [Diagnostic], files: [String] = files) -> HostImg.Lint.Engine {
        { _, _ in LintResult(diagnostics: diagnostics, files: files) }
    }
}

/// Parses a rendered JSON document back with Foundation's parser.
func parseJSON(_ text: String) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
    return try #require(object as? [String: Any])
}
