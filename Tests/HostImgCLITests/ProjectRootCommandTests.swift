import BuildPipeline
import Foundation
import Manifests
import Testing

@testable import HostImgCLI

/// Issue 12, at the commands: `--root` on lint and build, the build refusing what lint
/// refuses, and special files named on the command line.
@Suite("project root and special files at the command line")
struct ProjectRootCommandTests {
    static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// `site/m.yaml` names `../kernels/k.yaml` and `../overlays/etc`: outside its own folder,
    /// inside the project `dir`.
    static func project(in dir: String, extra: String = "") throws -> String {
        try write("package: linux-image-cloud-amd64\n", to: dir + "/kernels/k.yaml")
        try FileManager.default.createDirectory(atPath: dir + "/overlays/etc", withIntermediateDirectories: true)
        let manifest = dir + "/site/m.yaml"
        try write("image: {name: m, version: 1.0.0}\npackages: {include: [systemd]}\nkernel: ../kernels/k.yaml\n"
                  + "overlays: [../overlays/etc]\n" + extra, to: manifest)
        return manifest
    }

    @Test func lintTakesRoot() async throws {
        try await withTemporaryDirectory { dir in
            let manifest = try Self.project(in: dir)
            let linter: HostImg.Lint.Engine = { paths, options in try Linter.lint(paths: paths, options: options) }
            let own = await hostimg(["lint", manifest], engine: linter)
            #expect(own.status == 1)
            #expect(own.standardOutput.contains("[path.outside-project]"))
            let rooted = await hostimg(["lint", "--root", dir, manifest], engine: linter)
            #expect(rooted.status == 0, "\(rooted.standardOutput)")
            let missing = await hostimg(["lint", "--root", dir + "/nope", manifest], engine: linter)
            #expect(missing.status == 2)
            #expect(missing.standardError == "hostimg: error: --root: no such directory: \(dir)/nope\n")
        }
    }

    @Test func buildRefusesAPathOutsideTheProject() async throws {
        try await withTemporaryDirectory { dir in
            let manifest = try Self.project(in: dir)
            let build = await hostimg(["build", manifest, "-o", dir + "/out", "--cache", dir + "/cache", "--unsigned"])
            #expect(build.status == 1)
            #expect(build.standardError.contains("[path.outside-project]"), "\(build.standardError)")
            #expect(!FileManager.default.fileExists(atPath: dir + "/out"))

            try Self.write("image: {name: m, version: 1.0.0}\nbase: {tarball: /etc/hostname}\nkernel: ../kernels/k.yaml\n",
                           to: dir + "/manifests/abs.yaml")
            let absolute = await hostimg(["build", dir + "/manifests/abs.yaml", "-o", dir + "/out", "--cache", dir + "/cache",
                                          "--unsigned", "--root", dir])
            #expect(absolute.status == 1)
            #expect(absolute.standardError.contains("[path.absolute]"), "\(absolute.standardError)")
        }
    }

    @Test func buildPassesRootToThePipeline() async throws {
        try await withTemporaryDirectory { dir in
            let manifest = try Self.project(in: dir)
            var options = Pipeline.Options(manifest: manifest, output: dir + "/out", cache: dir + "/cache")
            options.root = dir + "/nope"
            await #expect(throws: BuildError.self) { try await Pipeline(options).run() }
            options.root = dir
            options.target = .resolve
            // Past the manifest: it fails later (no apt sources in a scratch folder), not on paths.
            options.aptDirectory = dir + "/apt"
            do {
                _ = try await Pipeline(options).run()
            } catch let error as BuildError {
                #expect(error.stage != .manifest, "\(error.description)")
            }
        }
    }

    @Test func specialFilesOnTheCommandLineAreUsageErrors() async throws {
        try await withTemporaryDirectory(files: ["hv.yaml"]) { dir in
            #expect(mkfifo(dir + "/pipe.yaml", 0o644) == 0)
            let linter: HostImg.Lint.Engine = { paths, options in try Linter.lint(paths: paths, options: options) }
            let target = await hostimg(["lint", dir + "/pipe.yaml"], engine: linter)
            #expect(target.status == 2)
            #expect(target.standardError.hasPrefix("hostimg: error: cannot lint \(dir)/pipe.yaml: it is a named pipe"), "\(target.standardError)")
            for option in ["--previous", "--hardware"] {
                let run = await hostimg(["lint", dir + "/hv.yaml", option, dir + "/pipe.yaml"], engine: linter)
                #expect(run.status == 2)
                #expect(run.standardError.hasPrefix("hostimg: error: \(option): \(dir)/pipe.yaml is a named pipe"), "\(run.standardError)")
            }
            let device = await hostimg(["lint", "/dev/null"], engine: linter)
            #expect(device.standardError == "hostimg: error: cannot lint /dev/null: it is a character device, not a file or directory\n")
        }
    }
}
