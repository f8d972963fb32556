import Foundation
import Synchronization
import Testing
import TestSupport

@testable import HostImgCLI

/// `hostimg build --verify`: the small CLI image built twice is identical; with an overlay
/// file that something rewrites while the builds run (a deliberately non-deterministic input),
/// it fails and names the disk image's root partition and the file inside it.
@Suite(.serialized) struct BuildVerifyCommandTests {
    @Test(.enabled(if: ImageCommandTests.haveTar, "needs tar"))
    func twoBuildsAreIdentical() async throws {
        try await withTemporaryDirectory { directory in
            let manifest = try ImageCommandTests.project(in: directory)
            let result = await hostimg(["build", manifest, "--verify", "-o", directory + "/out", "--cache", directory + "/cache"])
            #expect(result.status == 0, "\(result.standardOutput)\(result.standardError)")
            for name in ["cli.img", "cli.bundle", "cli.spdx.json"] {
                #expect(result.standardOutput.contains("same     \(name)"), "\(result.standardOutput)")
            }
            #expect(!FileManager.default.fileExists(atPath: directory + "/out/cli.img"), "--verify writes nothing into --output")
        }
    }

    /// Debian's diffoscope, over the two kept builds, finds the same outputs differing.
    static func diffoscopeAgrees(_ output: String, _ errors: String) throws {
        guard let diffoscope = Tools.find("diffoscope") else {
            Issue.record("diffoscope is not installed (apt-get install diffoscope-minimal)")
            return
        }
        let kept = try #require(errors.firstMatch(of: /both are kept: (\S+) and (\S+)/), "\(errors)")
        let ours = Set(output.split(separator: "\n").compactMap { line in
            line.hasPrefix("differs  ") ? line.dropFirst(9).split(separator: " ").first.map(String.init) : nil
        })
        let result = try Tools.run(diffoscope, ["--no-progress", "--exclude", "report.json", String(kept.1), String(kept.2)])
        #expect(result.status == 1, "\(result.stderr)")
        let theirs = Set(result.stdoutText.split(separator: "\n").compactMap { line -> String? in
            guard let match = line.firstMatch(of: /^├── \+\+\+ \S+\/([^\/\s]+)$/) else { return nil }
            return String(match.1)
        })
        #expect(!ours.isEmpty && ours == theirs, "build --verify: \(ours.sorted()), diffoscope: \(theirs.sorted())")
        try? FileManager.default.removeItem(atPath: (String(kept.1) as NSString).deletingLastPathComponent)
    }

    @Test(.enabled(if: ImageCommandTests.haveTar, "needs tar"))
    func aNonDeterministicOverlayIsNamedInsideTheImage() async throws {
        try await withTemporaryDirectory { directory in
            let manifest = try ImageCommandTests.project(in: directory)
            try FileManager.default.createDirectory(atPath: directory + "/overlay/etc", withIntermediateDirectories: true)
            let nonce = directory + "/overlay/etc/nonce"
            try Data("\(UUID().uuidString)\n".utf8).write(to: URL(fileURLWithPath: nonce))
            try (try String(contentsOfFile: manifest, encoding: .utf8) + "\noverlays:\n  - overlay\n")
                .write(toFile: manifest, atomically: true, encoding: .utf8)
            // A writer that keeps changing the overlay's file while the two builds run (same
            // length each time, so only the file's bytes differ, not the layout around it).
            let running = Atomic<Bool>(true)
            let writer = Thread {
                // In place (no temporary file beside it, which the overlay would pick up too).
                guard let handle = FileHandle(forWritingAtPath: nonce) else { return }
                defer { try? handle.close() }
                while running.load(ordering: .relaxed) {
                    try? handle.seek(toOffset: 0)
                    try? handle.write(contentsOf: Data("\(UUID().uuidString)\n".utf8))
                    usleep(2000)
                }
            }
            writer.start()
            let result = await hostimg(["build", manifest, "--verify", "-o", directory + "/out", "--cache", directory + "/cache"])
            running.store(false, ordering: .relaxed)
            #expect(result.status == 1, "\(result.standardOutput)\(result.standardError)")
            let lines = result.standardOutput.split(separator: "\n")
            let image = lines.first { $0.hasPrefix("differs  cli.img") }
            #expect(image?.contains("/etc/nonce") == true && image?.contains("(root-x86-64)") == true, "\(result.standardOutput)")
            #expect(result.standardError.contains("both are kept"), "\(result.standardError)")
            try Self.diffoscopeAgrees(result.standardOutput, result.standardError)
        }
    }
}
