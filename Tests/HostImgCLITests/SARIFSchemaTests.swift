import BuildPipeline
import Foundation
import Manifests
import Testing

@testable import HostImgCLI

/// Python with `jsonschema`, the validator the SARIF output is checked with.
enum Python {
    static let executable: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return (path.split(separator: ":").map(String.init) + ["/usr/bin"]).map { $0 + "/python3" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static let hasJSONSchema: Bool = {
        guard let executable else { return false }
        return (try? run(executable, ["-c", "import jsonschema"]).status) == 0
    }()

    /// The official SARIF 2.1.0 schema, vendored (Tests/Schemas/README.md says where from).
    static let sarifSchema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Schemas/sarif-schema-2.1.0.json").path

    static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("python-\(UUID().uuidString).txt")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, String(decoding: try Data(contentsOf: output), as: UTF8.self))
    }

    /// Validates the JSON document at `path` against the SARIF schema; the validator's complaint, or nil.
    static func sarifProblem(_ path: String) throws -> String? {
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.validators.validator_for(schema)(schema).validate(json.load(open(sys.argv[2])))
            """
        let result = try run(try #require(executable), ["-c", script, sarifSchema, path])
        return result.status == 0 ? nil : result.output
    }
}

/// Issue 12 E: `hostimg lint --format sarif` is valid SARIF 2.1.0, each file listed once.
@Suite("lint output against the SARIF 2.1.0 schema")
struct SARIFSchemaTests {
    static let linter: HostImg.Lint.Engine = { paths, options in try Linter.lint(paths: paths, options: options) }

    /// A project whose base manifest is linted both directly and through `extends`, reached by
    /// two spellings (`DIR/./proj/...` by the walk, `DIR/proj/...` through the reference).
    static func project(in directory: String) throws {
        let files = [
            "proj/manifests/hv.yaml": "extends: [common/base.yaml]\nimage: {name: hv, version: 1.0.0}\nkernel: ../kernels/k.yaml\n",
            "proj/manifests/common/base.yaml": "partial: true\npackages: {include: [systemd]}\n",
            "proj/manifests/bad.yaml": "extends: [common/base.yaml]\nimage: {name: bad, version: 1.0.0}\nkernel: /etc/shadow\n",
            "proj/kernels/k.yaml": "package: linux-image-cloud-amd64\n",
        ]
        for (path, text) in files {
            let url = URL(fileURLWithPath: directory + "/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
    }

    @Test("each file is one artifact, and the text summary counts it once")
    func filesOnce() async throws {
        try await withTemporaryDirectory { dir in
            try Self.project(in: dir)
            let sarif = await hostimg(["lint", "--format", "sarif", "\(dir)/./proj"], engine: Self.linter)
            #expect(sarif.status == 1)
            let log = try parseJSON(sarif.standardOutput)
            let run = try #require((log["runs"] as? [[String: Any]])?.first)
            let artifacts = try #require(run["artifacts"] as? [[String: Any]])
            let uris = artifacts.compactMap { ($0["location"] as? [String: Any])?["uri"] as? String }
            #expect(uris.count == Set(uris).count, "\(uris)")
            #expect(uris.count == 4, "\(uris)")
            let text = await hostimg(["lint", "\(dir)/./proj"], engine: Self.linter)
            #expect(text.standardError == "1 error in 4 files\n")
            #expect(text.standardOutput.contains("[path.absolute]"))
        }
    }

    @Test("the SARIF log validates", .enabled(if: Python.hasJSONSchema, "needs python3 with the jsonschema module"))
    func validates() async throws {
        try await withTemporaryDirectory { dir in
            try Self.project(in: dir)
            for arguments in [["\(dir)/./proj"], ["\(dir)/proj/manifests/hv.yaml"], ["--strict", "\(dir)/proj", "\(dir)/./proj"]] {
                let run = await hostimg(["lint", "--format", "sarif"] + arguments, engine: Self.linter)
                #expect(run.status != 2, "\(run.standardError)")
                let path = dir + "/out.sarif"
                try Data(run.standardOutput.utf8).write(to: URL(fileURLWithPath: path))
                let problem = try Python.sarifProblem(path)
                #expect(problem == nil, "\(arguments): \(problem ?? "")")
            }
            // The check bites: a log that lists a file twice is refused.
            let run = await hostimg(["lint", "--format", "sarif", "\(dir)/proj/manifests/hv.yaml"], engine: Self.linter)
            var log = try parseJSON(run.standardOutput)
            var runs = try #require(log["runs"] as? [[String: Any]])
            let artifacts = try #require(runs[0]["artifacts"] as? [Any])
            runs[0]["artifacts"] = artifacts + [artifacts[0]]
            log["runs"] = runs
            try JSONSerialization.data(withJSONObject: log).write(to: URL(fileURLWithPath: dir + "/bad.sarif"))
            #expect(try Python.sarifProblem(dir + "/bad.sarif")?.contains("non-unique") == true)
        }
    }
}
