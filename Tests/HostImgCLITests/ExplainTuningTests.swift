import Foundation
import Testing

@testable import HostImgCLI

/// `hostimg explain tuning`: from the repository's qemu-dev manifest, from a build report (by
/// --report, output directory and image), and the errors around them.
@Suite struct ExplainTuningTests {
    /// The repository root, found from this file's path, so the tests run from any directory.
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static let qemuDev = repositoryRoot + "/manifests/qemu-dev.yaml"

    /// A report.json with a tuning section, as the tuning stage writes it.
    static let report = """
        {"image": "qemu-dev", "version": "0.1.0", "sourceDateEpoch": 0, "packages": [], "conflicts": [],
         "files": 0, "rootfsBytes": 0, "stages": [],
         "tuning": {
           "settings": [
             {"setting": "tuning.hugepages.default: 2M", "landsIn": ["command line: default_hugepagesz=2M"],
              "why": "mappings without an explicit size use this size",
              "source": {"file": "manifests/qemu-dev.yaml", "line": 29, "column": 14}},
             {"setting": "native drivers of the vfio devices: e1000e", "landsIn": ["/etc/modprobe.d/hostimg-vfio.conf"],
              "why": "softdep … pre: vfio-pci", "source": {"file": "manifests/qemu-dev.yaml", "line": 39, "column": 9}}],
           "files": [
             {"path": "/etc/modprobe.d/hostimg-vfio.conf", "why": "vfio-pci ids and load order",
              "source": {"file": "manifests/qemu-dev.yaml", "line": 39, "column": 9}}],
           "usersCreated": ["dpdk"], "groupsCreated": ["dpdk"]}}
        """

    static let reportWithoutTuning = """
        {"image": "old", "version": "0.0.9", "sourceDateEpoch": 0, "packages": [], "conflicts": [],
         "files": 0, "rootfsBytes": 0, "stages": []}
        """

    static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// `manifests/NAME.yaml` with a kernel file beside it in a fresh project under `dir`.
    static func manifest(in dir: String, _ body: String) throws -> String {
        try write("package: linux-image-cloud-amd64\n", to: dir + "/kernels/k.yaml")
        let path = dir + "/manifests/m.yaml"
        try write("image: {name: m, version: 1.0.0}\npackages: {include: [systemd]}\nkernel: ../kernels/k.yaml\n" + body, to: path)
        return path
    }

    @Test func explainsTheQemuDevManifest() async throws {
        let run = await hostimg(["explain", "tuning", Self.qemuDev])
        #expect(run.status == 0, "\(run.standardError)")
        let output = run.standardOutput
        for expected in ["→ command line: default_hugepagesz=2M", "/etc/systemd/system/dev-hugepages.mount",
                         "/etc/udev/rules.d/40-hostimg-vfio.rules", "60-hostimg-cpu-affinity.conf", "\nfiles\n",
                         "  why: ", TuningExplanation.softdepsNote] {
            #expect(output.contains(expected), "missing \(expected) in:\n\(output)")
        }
        // The pool's block names the manifest line it was written at.
        let text = try String(contentsOfFile: Self.qemuDev, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let index = try #require(lines.firstIndex { $0.contains("{size: 2M, count: 64, node: 0}") })
        let brace = try #require(lines[index].firstIndex(of: "{"))
        let column = lines[index].distance(from: lines[index].startIndex, to: brace) + 1
        #expect(output.contains("tuning.hugepages.pools[0]: 64 × 2M on node 0  (\(Self.qemuDev):\(index + 1):\(column))\n"
                                + "  → /usr/lib/systemd/system/hostimg-tuning.service"), "\(output)")
        // Settings come in the order the manifest writes them.
        let sourceLines = output.split(separator: "\n").filter { $0.hasPrefix("tuning.") }
            .compactMap { $0.split(separator: ":").dropLast().last.flatMap { Int($0) } }
        #expect(!sourceLines.isEmpty && sourceLines == sourceLines.sorted(), "\(sourceLines)")
    }

    @Test func jsonRoundTripsThroughJSONSerialization() async throws {
        let run = await hostimg(["explain", "tuning", "--json", Self.qemuDev])
        #expect(run.status == 0, "\(run.standardError)")
        let object = try parseJSON(run.standardOutput)
        #expect(object["source"] as? String == Self.qemuDev)
        let settings = try #require(object["settings"] as? [[String: Any]])
        let files = try #require(object["files"] as? [[String: Any]])
        #expect(settings.contains { ($0["landsIn"] as? [String])?.contains("command line: default_hugepagesz=2M") == true })
        #expect(files.contains { $0["path"] as? String == "/etc/udev/rules.d/40-hostimg-vfio.rules" })
        for setting in settings {
            #expect(Set(setting.keys) == ["setting", "landsIn", "why", "source"])
            let source = try #require(setting["source"] as? [String: Any])
            #expect(source["file"] as? String == Self.qemuDev)
            #expect((source["line"] as? Int ?? 0) > 0)
        }
        // Back through JSONSerialization and the decoder: the same explanation.
        let again = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        let decoded = try JSONDecoder().decode(TuningExplanation.self, from: again)
        let direct = try HostImg.Explain.TuningSettings.fromManifest(Self.qemuDev, root: nil)
        #expect(decoded == direct)
        #expect(decoded.notes == [TuningExplanation.softdepsNote])
    }

    @Test func explainsABuildReportByFileDirectoryAndImage() async throws {
        try await withTemporaryDirectory { dir in
            try Self.write(Self.report, to: dir + "/out/report.json")
            try Self.write("", to: dir + "/out/qemu-dev.img")
            for arguments in [["--report", dir + "/out/report.json"], [dir + "/out"], [dir + "/out/qemu-dev.img"],
                              [dir + "/out/report.json"]] {
                let run = await hostimg(["explain", "tuning"] + arguments)
                #expect(run.status == 0, "\(arguments): \(run.standardError)")
                #expect(run.standardOutput.hasPrefix("""
                    tuning.hugepages.default: 2M  (manifests/qemu-dev.yaml:29:14)
                      → command line: default_hugepagesz=2M
                      why: mappings without an explicit size use this size

                    native drivers of the vfio devices: e1000e  (manifests/qemu-dev.yaml:39:9)
                      → /etc/modprobe.d/hostimg-vfio.conf

                    """), "\(run.standardOutput)")
                #expect(run.standardOutput.contains("files\n  /etc/modprobe.d/hostimg-vfio.conf  (manifests/qemu-dev.yaml:39:9)\n"
                                                    + "    why: vfio-pci ids and load order\n"))
                #expect(!run.standardOutput.contains("softdeps: known after a build"))
            }
            let json = await hostimg(["explain", "tuning", "--json", dir + "/out"])
            let object = try parseJSON(json.standardOutput)
            #expect(object["source"] as? String == dir + "/out/report.json")
            #expect((object["settings"] as? [Any])?.count == 2)
            #expect((object["files"] as? [Any])?.count == 1)
        }
    }

    @Test func aReportWithoutTuningIsAClearError() async throws {
        try await withTemporaryDirectory { dir in
            let path = dir + "/report.json"
            try Self.write(Self.reportWithoutTuning, to: path)
            let run = await hostimg(["explain", "tuning", "--report", path])
            #expect(run.status == 2)
            #expect(run.standardOutput.isEmpty)
            #expect(run.standardError.hasPrefix("hostimg: error: \(path) has no tuning section: the image old 0.0.9 "
                                                + "was built before tuning was rendered"), "\(run.standardError)")

            try Self.write("{\"files\": 3}", to: path)
            let other = await hostimg(["explain", "tuning", dir])
            #expect(other.status == 2)
            #expect(other.standardError.contains("\(path) is not a hostimg build report"), "\(other.standardError)")
        }
    }

    @Test func missingPathsAreUsageErrors() async throws {
        try await withTemporaryDirectory { dir in
            let missing = await hostimg(["explain", "tuning", dir + "/nope.yaml"])
            #expect(missing.status == 2)
            #expect(missing.standardError == "hostimg: error: no such file or directory: \(dir)/nope.yaml\n")

            let report = await hostimg(["explain", "tuning", "--report", dir + "/report.json"])
            #expect(report.status == 2)
            #expect(report.standardError == "hostimg: error: --report: no such file: \(dir)/report.json\n")

            let empty = await hostimg(["explain", "tuning", dir])
            #expect(empty.status == 2)
            #expect(empty.standardError.contains("\(dir) holds no report.json"), "\(empty.standardError)")

            try Self.write("", to: dir + "/x.img")
            let image = await hostimg(["explain", "tuning", dir + "/x.img"])
            #expect(image.status == 2)
            #expect(image.standardError.contains("no report.json beside \(dir)/x.img"), "\(image.standardError)")

            let neither = await hostimg(["explain", "tuning"])
            #expect(neither.status == 2)
            let both = await hostimg(["explain", "tuning", Self.qemuDev, "--report", dir + "/report.json"])
            #expect(both.status == 2)
            #expect(both.standardError.contains("not both"))
        }
    }

    @Test func lintErrorsArePrintedAndFail() async throws {
        try await withTemporaryDirectory { dir in
            let path = try Self.manifest(in: dir, """
                tuning:
                  hugepages:
                    default: 2M
                    pools:
                      - {size: 2M, count: 4}
                      - {size: 2M, count: 4}
                  hugetlbfs:
                    - {path: /dev/hugepages, pageSize: 2M}

                """)
            let run = await hostimg(["explain", "tuning", path])
            #expect(run.status == 1)
            #expect(run.standardOutput.isEmpty)
            #expect(run.standardError.contains("\(path):9:9: error: [hugepages.duplicate-size]"), "\(run.standardError)")
            #expect(run.standardError.contains("\n  hint: "))
            #expect(run.standardError.hasSuffix("hostimg: error: \(path) has 1 error; `hostimg lint \(path)` lists them\n"))
        }
    }

    @Test func aManifestWithoutTuningHasNoSettings() async throws {
        try await withTemporaryDirectory { dir in
            let path = try Self.manifest(in: dir, "")
            let run = await hostimg(["explain", "tuning", path])
            #expect(run.status == 0, "\(run.standardError)")
            #expect(run.standardOutput == "no tuning settings\n")
            let json = await hostimg(["explain", "tuning", "--json", path])
            let object = try parseJSON(json.standardOutput)
            #expect((object["settings"] as? [Any])?.isEmpty == true)
            #expect((object["files"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func helpExplainsTheInputsWithAnExample() async {
        let run = await hostimg(["explain", "tuning", "--help"])
        #expect(run.status == 0)
        for expected in ["--report", "--json", "$ hostimg explain tuning manifests/qemu-dev.yaml", "softdeps", "report.json",
                         "no tuning settings"] {
            #expect(run.standardOutput.contains(expected), "missing \(expected)")
        }
    }
}
