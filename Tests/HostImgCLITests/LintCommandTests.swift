import ArgumentParser
import Foundation
import BuildPipeline
import Manifests
import Testing

@testable import HostImgCLI

@Suite("lint exit codes and summary")
struct LintReportTests {
    @Test(arguments: [
        // (diagnostics, strict, expected exit code)
        ([Diagnostic](), false, Int32(0)),
        ([Sample.note], false, 0),
        ([Sample.note], true, 0),
        ([Sample.warning], false, 0),
        ([Sample.warning], true, 1),
        ([Sample.error], false, 1),
        ([Sample.warning, Sample.note], true, 1),
        (Sample.all, false, 1),
    ])
    func exitCode(diagnostics: [Diagnostic], strict: Bool, expected: Int32) {
        #expect(LintReport.exitCode(for: diagnostics, strict: strict).rawValue == expected)
        #expect(LintReport(diagnostics: diagnostics, files: [], strict: strict).exitCode.rawValue == expected)
    }

    @Test func strictPromotesWarningsOnly() {
        let report = LintReport(LintResult(diagnostics: Sample.all, files: Sample.files), strict: true)
        #expect(report.diagnostics.map(\.severity) == [.error, .error, .note])
        #expect(report.counts == SeverityCounts(errors: 2, warnings: 0, notes: 1))
    }

    @Test func summaryLine() {
        func summary(_ diagnostics: [Diagnostic], files: Int) -> String {
            LintReport(diagnostics: diagnostics, files: Array(repeating: "f.yaml", count: files), strict: false).summary
        }
        #expect(summary([], files: 3) == "no problems in 3 files")
        #expect(summary([], files: 1) == "no problems in 1 file")
        #expect(summary([Sample.error, Sample.error, Sample.warning], files: 3) == "2 errors, 1 warning in 3 files")
        #expect(summary([Sample.warning, Sample.warning], files: 2) == "2 warnings in 2 files")
        #expect(summary(Sample.all, files: 3) == "1 error, 1 warning, 1 note in 3 files")
        #expect(summary([Sample.note], files: 0) == "1 note in 0 files")
    }

    @Test func exitCodesAreDistinct() {
        let codes = [ExitCode.success, .findings, .usage, .notImplemented].map(\.rawValue)
        #expect(codes == [0, 1, 2, 3])
    }
}

@Suite("hostimg lint")
struct LintCommandTests {
    @Test func cleanRunExitsZeroWithSummaryOnStderr() async {
        let run = await hostimg(["lint", "/"], engine: Sample.result([]))
        #expect(run.status == 0)
        #expect(run.standardOutput == "")
        #expect(run.standardError == "no problems in 3 files\n")
    }

    @Test func findingsGoToStdoutAndExitOne() async {
        let run = await hostimg(["lint", "/"], engine: Sample.result(Sample.all))
        #expect(run.status == 1)
        #expect(run.standardOutput == TextRenderer(color: false).render(Sample.all, files: Sample.files))
        #expect(run.standardError == "1 error, 1 warning, 1 note in 3 files\n")
    }

    @Test func warningsFailOnlyWithStrict() async {
        let engine = Sample.result([Sample.warning, Sample.note])
        let lenient = await hostimg(["lint", "/"], engine: engine)
        #expect(lenient.status == 0)
        #expect(lenient.standardOutput.contains(": warning: [schema.duplicate-item]"))
        let strict = await hostimg(["lint", "/", "--strict"], engine: engine)
        #expect(strict.status == 1)
        #expect(strict.standardOutput.contains(": error: [schema.duplicate-item]"))
        #expect(strict.standardError == "1 error, 1 note in 3 files\n")
    }

    @Test func quietDropsTheSummary() async {
        let run = await hostimg(["lint", "--quiet", "/"], engine: Sample.result([Sample.error]))
        #expect(run.status == 1)
        #expect(run.standardError == "")
        #expect(!run.standardOutput.isEmpty)
    }

    @Test(arguments: ["json", "sarif", "github"])
    func machineFormatsPrintNoSummary(format: String) async {
        let run = await hostimg(["lint", "/", "--format", format], engine: Sample.result(Sample.all))
        #expect(run.status == 1)
        #expect(run.standardError == "")
        #expect(!run.standardOutput.isEmpty)
    }

    @Test func jsonFormatReportsStrictSeverities() async throws {
        let run = await hostimg(["lint", "/", "--format", "json", "--strict"], engine: Sample.result(Sample.all))
        let json = try parseJSON(run.standardOutput)
        #expect(json["summary"] as? [String: Int] == ["errors": 2, "warnings": 0, "notes": 1])
    }

    @Test func sarifUsesTheWorkingDirectoryAsSourceRoot() async throws {
        let run = await hostimg(["lint", "/", "--format", "sarif"], currentDirectory: "/srv/hosts", engine: Sample.result([Sample.error]))
        let log = try parseJSON(run.standardOutput)
        let runObject = try #require((log["runs"] as? [[String: Any]])?.first)
        let root = ((runObject["originalUriBaseIds"] as? [String: Any])?["%SRCROOT%"] as? [String: Any])?["uri"]
        #expect(root as? String == "file:///srv/hosts/")
    }

    @Test func githubFormatUsesWorkspacePaths() async {
        let run = await hostimg(
            ["lint", "/", "--format", "github"],
            environment: ["GITHUB_WORKSPACE": "/home/runner/work/hosts"],
            currentDirectory: "/home/runner/work/hosts/manifests",
            engine: Sample.result([Diagnostic(.error, SourceLocation(file: "hv.yaml", line: 3, column: 1), rule: "yaml.tab", "tab")])
        )
        #expect(run.status == 1)
        #expect(run.standardOutput == "::error file=manifests/hv.yaml,line=3,col=1,title=yaml.tab::tab\n")
    }

    @Test func optionsReachTheLinter() async throws {
        try await withTemporaryDirectory(files: ["manifests/hv.yaml", "hardware/r650.yaml", "old.yaml"]) { dir in
            let seen = CapturedOutput()
            let engine: HostImg.Lint.Engine = { paths, options in
                seen.console().write(
                    "\(paths)|\(options.hardwareProfile ?? "-")|\(options.previousManifest ?? "-")"
                )
                return LintResult(diagnostics: [], files: paths)
            }
            let run = await hostimg(
                ["lint", "\(dir)/manifests", "\(dir)/manifests/hv.yaml",
                 "--hardware", "\(dir)/hardware/r650.yaml", "--previous", "\(dir)/old.yaml"],
                engine: engine
            )
            #expect(run.status == 0)
            #expect(seen.standardOutput
                == "[\"\(dir)/manifests\", \"\(dir)/manifests/hv.yaml\"]|\(dir)/hardware/r650.yaml|\(dir)/old.yaml")
        }
    }

    @Test func missingPathIsAUsageError() async throws {
        try await withTemporaryDirectory(files: ["hv.yaml"]) { dir in
            let run = await hostimg(["lint", "\(dir)/hv.yaml", "\(dir)/typo.yaml"], engine: Sample.result(Sample.all))
            #expect(run.status == 2)
            #expect(run.standardOutput == "")
            #expect(run.standardError == "hostimg: error: no such file or directory: \(dir)/typo.yaml\n")
        }
    }

    @Test func hardwareMustBeAnExistingFile() async throws {
        try await withTemporaryDirectory(files: ["hv.yaml"]) { dir in
            let missing = await hostimg(["lint", dir, "--hardware", "\(dir)/nope.yaml"])
            #expect(missing.status == 2)
            #expect(missing.standardError == "hostimg: error: --hardware: no such file: \(dir)/nope.yaml\n")
            let directory = await hostimg(["lint", dir, "--previous", dir])
            #expect(directory.status == 2)
            #expect(directory.standardError == "hostimg: error: --previous: \(dir) is a directory, not a file\n")
        }
    }

    @Test func relativePathsResolveAgainstTheWorkingDirectory() async throws {
        try await withTemporaryDirectory(files: ["manifests/hv.yaml"]) { dir in
            let found = await hostimg(["lint", "manifests/hv.yaml"], currentDirectory: dir)
            #expect(found.status == 0)
            let missing = await hostimg(["lint", "manifests/hv.yaml"], currentDirectory: "/nonexistent-\(UUID().uuidString)")
            #expect(missing.status == 2)
        }
    }

    @Test func linterUsageErrorExitsTwo() async {
        let run = await hostimg(["lint", "/"], engine: { _, _ in throw LintUsageError("no manifests under /") })
        #expect(run.status == 2)
        #expect(run.standardOutput == "")
        #expect(run.standardError == "hostimg: error: no manifests under /\n")
    }

    @Test func atLeastOnePathIsRequired() async {
        let run = await hostimg(["lint"])
        #expect(run.status == 2)
        #expect(run.standardError.contains("Missing expected argument '<path> ...'"))
    }

    @Test(arguments: [["--format", "xml"], ["--color", "sometimes"]])
    func badOptionValueIsAUsageError(option: [String]) async {
        let run = await hostimg(["lint", "/"] + option)
        #expect(run.status == 2)
        #expect(run.standardOutput == "")
        #expect(!run.standardError.isEmpty)
    }
}
