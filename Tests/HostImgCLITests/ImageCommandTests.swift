import Foundation
import Glibc
import SystemIO
import Testing
import TestSupport

@testable import HostImgCLI

/// keygen → build (from a base tarball, no network) → verify → inspect → sign, in process.
@Suite("image commands", .serialized)
struct ImageCommandTests {
    static let haveTar = FileManager.default.isExecutableFile(atPath: "/usr/bin/tar")
        || FileManager.default.isExecutableFile(atPath: "/bin/tar")

    /// A project with a tiny root tarball, a kernel file and a manifest using them.
    static func project(in directory: String) throws -> String {
        let root = directory + "/root"
        for path in ["etc", "usr/bin", "usr/lib/systemd/system", "var"] {
            try FileManager.default.createDirectory(atPath: root + "/" + path, withIntermediateDirectories: true)
        }
        try Data("cli-test\n".utf8).write(to: URL(fileURLWithPath: root + "/etc/hostname"))
        try Data(repeating: 0xAB, count: 100_000).write(to: URL(fileURLWithPath: root + "/usr/lib/blob"))
        try FileManager.default.createSymbolicLink(atPath: root + "/bin", withDestinationPath: "usr/bin")
        try Data("[Unit]\nDescription=Multi-User System\n".utf8)
            .write(to: URL(fileURLWithPath: root + "/usr/lib/systemd/system/multi-user.target"))
        try retar(directory)
        try """
            package: linux-image-cloud-amd64
            cmdline: [console=ttyS0]
            initrd:
              modules: [virtio_blk]
            """.write(toFile: directory + "/kernel.yaml", atomically: true, encoding: .utf8)
        let manifest = directory + "/cli.yaml"
        try """
            image: {name: cli, version: "1.0"}
            base: {tarball: base.tar}
            kernel: kernel.yaml
            disk: {slotSize: 64M, espSize: 64M, stateSize: 8M}
            """.write(toFile: manifest, atomically: true, encoding: .utf8)
        return manifest
    }

    @Test(.enabled(if: haveTar, "needs tar"))
    func keygenBuildVerifyInspectSign() async throws {
        try await withTemporaryDirectory { directory in
            let manifest = try Self.project(in: directory)
            let keys = directory + "/keys"
            let keygen = await hostimg(["keygen", "--out", keys])
            #expect(keygen.status == 0, "\(keygen.standardError)")
            #expect(keygen.standardError.contains("DEVELOPMENT"))
            let mode = try FileManager.default.attributesOfItem(atPath: keys + "/key.pem")[.posixPermissions] as? Int
            #expect(mode == 0o600)
            #expect(await hostimg(["keygen", "--out", keys]).status == 2, "refuses to overwrite without --force")

            let signing = ["--key", keys + "/key.pem", "--cert", keys + "/cert.pem"]
            let cache = ["--cache", directory + "/cache"]
            let build = await hostimg(["build", manifest, "-o", directory + "/out"] + cache + signing)
            #expect(build.status == 0, "\(build.standardError)")
            #expect(build.standardOutput.contains("image: \(directory)/out/cli.img"))
            #expect(build.standardOutput.contains("bundle: \(directory)/out/cli.bundle"))
            #expect(build.standardError.contains("DEVELOPMENT key"))
            let reportData = try Data(contentsOf: URL(fileURLWithPath: directory + "/out/report.json"))
            let report = try #require(try JSONSerialization.jsonObject(with: reportData) as? [String: Any])
            let disk = try #require(report["disk"] as? [String: Any])
            let rootHash = try #require(disk["rootHash"] as? String)
            #expect(rootHash.count == 64)
            let stages = (report["stages"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(["erofs", "verity", "sign", "disk", "bundle"].allSatisfy(stages.contains), "\(stages)")

            let image = directory + "/out/cli.img"
            let verify = await hostimg(["verify", image, "--cert", keys + "/cert.pem"])
            #expect(verify.status == 0, "\(verify.standardOutput)\(verify.standardError)")
            #expect(verify.standardOutput.contains("ok       slot A verity"))
            #expect(verify.standardOutput.contains("ok       slot A signature"))
            let json = await hostimg(["verify", directory + "/out/cli.bundle", "--cert", keys + "/cert.pem", "--format", "json"])
            #expect(json.status == 0, "\(json.standardOutput)")
            let parsed = try JSONSerialization.jsonObject(with: Data(json.standardOutput.utf8)) as? [String: Any]
            #expect(parsed?["kind"] as? String == "bundle")

            let inspect = await hostimg(["inspect", image, "--files"])
            #expect(inspect.status == 0, "\(inspect.standardError)")
            #expect(inspect.standardOutput.contains("root hash  \(rootHash)"))
            #expect(inspect.standardOutput.contains("/etc/hostname"))
            #expect(inspect.standardOutput.contains("slot B: empty"))

            // Two-phase signing gives the signed build's bytes.
            let unsigned = await hostimg(["build", manifest, "-o", directory + "/later", "--unsigned"] + cache)
            #expect(unsigned.status == 0, "\(unsigned.standardError)")
            let sign = await hostimg(["sign", directory + "/later"] + signing)
            #expect(sign.status == 0, "\(sign.standardError)")
            #expect(FileManager.default.contentsEqual(atPath: image, andPath: directory + "/later/cli.img"))
            #expect(FileManager.default.contentsEqual(atPath: directory + "/out/cli.bundle", andPath: directory + "/later/cli.bundle"))
            #expect(await hostimg(["sign", directory + "/later"] + signing).status == 1, "already signed")

            // One flipped byte in the root: verify fails and names the slot's verity.
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: image))
            let offset = UInt64((disk["partitions"] as? [[String: Any]])?[1]["offset"] as? Int ?? 0) + 100
            try handle.seek(toOffset: offset)
            handle.write(Data([0x99]))
            try handle.close()
            let broken = await hostimg(["verify", image, "--cert", keys + "/cert.pem"])
            #expect(broken.status == 1)
            #expect(broken.standardError.contains("FAILED: slot A verity"), "\(broken.standardError)")
        }
    }

    /// Every file of a directory (hidden ones included) with its bytes.
    static func snapshot(_ directory: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory) {
            files[name] = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))
        }
        return files
    }

    /// `-o` is checked before anything runs: a usage error in the first second, naming the fix.
    @Test(.enabled(if: haveTar, "needs tar"))
    func anOutputThatCannotBeOneIsAUsageError() async throws {
        try await withTemporaryDirectory { directory in
            let manifest = try Self.project(in: directory)
            try FileManager.default.createDirectory(atPath: directory + "/overlay/etc", withIntermediateDirectories: true)
            try Data("motd\n".utf8).write(to: URL(fileURLWithPath: directory + "/overlay/etc/motd"))
            try FileManager.default.createSymbolicLink(atPath: directory + "/via-link", withDestinationPath: "overlay")
            let withOverlay = directory + "/overlay.yaml"
            try (try String(contentsOfFile: manifest, encoding: .utf8) + "\noverlays: [overlay]\n")
                .write(toFile: withOverlay, atomically: true, encoding: .utf8)
            try Data("a file".utf8).write(to: URL(fileURLWithPath: directory + "/afile"))
            let cache = ["--cache", directory + "/cache", "--unsigned"]
            let cases: [(manifest: String, output: String, says: String)] = [
                (manifest, directory + "/afile", "is an existing file; give a directory"),
                (manifest, directory + "/afile/sub", "is a file, so -o \(directory)/afile/sub cannot be created"),
                (manifest, "", "the output directory is empty (-o \"\"); give a directory"),
                (withOverlay, directory + "/overlay/out", "is inside the overlay overlay"),
                (withOverlay, directory + "/via-link/out", "is inside the overlay overlay"),
                (withOverlay, directory + "/overlay", "is inside the overlay overlay"),
            ]
            for (manifest, output, says) in cases {
                let start = ContinuousClock.now
                let run = await hostimg(["build", manifest, "-o", output] + cache)
                #expect(run.status == 2, "-o \(output): \(run.standardError)")
                #expect(run.standardError.contains(says), "-o \(output): \(run.standardError)")
                #expect(ContinuousClock.now - start < .seconds(5), "-o \(output) is refused before the build runs")
            }
            #expect(!FileManager.default.fileExists(atPath: directory + "/overlay/out"), "nothing was created in the overlay")
            #expect(try String(contentsOfFile: directory + "/afile", encoding: .utf8) == "a file")
            #expect(await hostimg(["build", withOverlay, "-o", directory + "/out"] + cache).status == 0)
        }
    }

    /// A build writes every output under a temporary name and renames them into place only
    /// when all were written: a bundle that cannot be written leaves the previous image,
    /// bundle and report as they were.
    @Test(.enabled(if: haveTar, "needs tar"))
    func aBundleThatCannotBeWrittenLeavesThePreviousOutputs() async throws {
        try await withTemporaryDirectory { directory in
            let manifest = try Self.project(in: directory)
            let arguments = ["build", manifest, "-o", directory + "/out", "--cache", directory + "/cache", "--unsigned"]
            #expect(await hostimg(arguments).status == 0)
            let before = try Self.snapshot(directory + "/out")
            #expect(before.keys.sorted() == ["cli.bundle", "cli.img", "cli.spdx.json", "report.json"])
            // Another root, so every output of the next build differs.
            try Data("another\n".utf8).write(to: URL(fileURLWithPath: directory + "/root/etc/hostname"))
            try Self.retar(directory)

            let noSpace = PathFaultSystemCalls(matching: "cli.bundle", failing: .writes, errno: ENOSPC)
            let failed = await SystemIO.$calls.withValue(noSpace) { await hostimg(arguments) }
            #expect(failed.status == 1)
            #expect(failed.standardError.contains("bundle"), "\(failed.standardError)")
            #expect(noSpace.faults > 0)
            #expect(try Self.snapshot(directory + "/out") == before, "the previous outputs, and no temporary file")

            let noRename = PathFaultSystemCalls(matching: "/out/cli.img", failing: .renames, errno: EIO, limit: 1)
            let unrenamed = await SystemIO.$calls.withValue(noRename) { await hostimg(arguments) }
            #expect(unrenamed.status == 1, "\(unrenamed.standardError)")
            #expect(try Self.snapshot(directory + "/out") == before)

            #expect(await hostimg(arguments).status == 0)
            let after = try Self.snapshot(directory + "/out")
            #expect(after.keys.sorted() == before.keys.sorted())
            #expect(after["cli.img"] != before["cli.img"] && after["cli.bundle"] != before["cli.bundle"])
        }
    }

    /// `DIRECTORY/root` as `DIRECTORY/base.tar`, deterministic.
    static func retar(_ directory: String) throws {
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tar.arguments = ["tar", "--mtime=@1700000000", "--owner=0", "--group=0", "--sort=name", "-C", directory + "/root",
                         "-cf", directory + "/base.tar", "."]
        try tar.run()
        tar.waitUntilExit()
    }
}
