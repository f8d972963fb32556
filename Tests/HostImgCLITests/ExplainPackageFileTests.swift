import BuildPipeline
import ContentStore
import Debian
import FileTree
import Foundation
import Testing

@testable import HostImgCLI

/// `hostimg explain package NAME` against the example's real lock, and `explain file PATH`
/// against a report's prune record and a built tree.
@Suite struct ExplainPackageFileTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static var lock: String { repository + "/manifests/qemu-dev.lock" }

    @Test func aPackageInTheImageShowsItsChainToARootReason() async throws {
        let result = await hostimg(["explain", "package", "libc6", "--lock", Self.lock])
        #expect(result.status == 0, "\(result.standardError)")
        let lines = result.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("libc6 ") == true && lines.first?.hasSuffix(": in the image") == true, "\(lines)")
        let last = try #require(lines.last)
        #expect(last.contains("requested") || last.contains("essential") || last.contains("priority required"), "\(lines)")
        let requested = await hostimg(["explain", "package", "openssh-server", "--manifest", Self.repository + "/manifests/qemu-dev.yaml"])
        #expect(requested.standardOutput.contains("openssh-server: requested: the manifest's packages.include names it"),
                "\(requested.standardOutput)\(requested.standardError)")
    }

    @Test func aPackageNotInTheImageSaysWhyAndSuggests() async throws {
        let result = await hostimg(["explain", "package", "libc7", "--lock", Self.lock])
        #expect(result.status == 1)
        #expect(result.standardOutput.contains("libc7: not in the image") && result.standardOutput.contains("did you mean: libc6"),
                "\(result.standardOutput)")
        let noLock = await hostimg(["explain", "package", "libc6", "--lock", "/no/such.lock"])
        #expect(noLock.status == 2 && noLock.standardError.contains("cannot read the lock /no/such.lock"))
        let excluded = LockFile(request: .init(include: [], exclude: ["nano"], essential: true, repositories: []), entries: [])
        #expect(PackageExplanation(name: "nano", lock: excluded).lines.contains { $0.contains("packages.exclude") })
    }

    @Test func aPrunedFileNamesTheRuleAndTheReason() async throws {
        let report = """
            {"image": "x", "version": "1", "sourceDateEpoch": 0, "packages": [], "conflicts": [], "files": 0, "rootfsBytes": 0,
             "stages": [], "pruned": {"entries": [{"path": "/usr/share/locale/de/LC_MESSAGES/apt.mo", "bytes": 1200,
               "category": "locale", "reason": "locale de is not in prune.keepLocales", "origin": "apt"}]}}
            """
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("explain-file-\(UUID().uuidString).json").path
        try report.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let pruned = await hostimg(["explain", "file", "/usr/share/locale/de/LC_MESSAGES/apt.mo", "--report", path])
        #expect(pruned.status == 1, "\(pruned.standardError)")
        #expect(pruned.standardOutput.contains("removed by the prune stage (rule locale): locale de is not in prune.keepLocales")
                && pruned.standardOutput.contains("from the package apt"), "\(pruned.standardOutput)")
        let relative = await hostimg(["explain", "file", "usr/bin/ip", "--report", path])
        #expect(relative.status == 2 && relative.standardError.contains("not an absolute path"))
    }

    @Test func aFileInTheTreeNamesItsPackageAndThePackagesChain() throws {
        var tree = FileTree()
        let ref = ContentStore.Ref(sha256: String(repeating: "0", count: 64), size: 0)
        try tree.insert(FileTree.Node(.regular(ref), mode: 0o755, origin: "openssh-server"), at: "/usr/sbin/sshd")
        try tree.insert(FileTree.Node(.regular(ref), mode: 0o644, origin: "overlay:base"), at: "/etc/motd")
        let lock = try LockFile(parsing: String(contentsOfFile: Self.lock, encoding: .utf8))
        let sshd = FileExplanation(path: "/usr/sbin/sshd", tree: tree, pruned: [], lock: lock)
        #expect(sshd.present && sshd.lines.first == "/usr/sbin/sshd: in the image, from the package openssh-server")
        #expect(sshd.lines.contains { $0.contains("requested") }, "\(sshd.lines)")
        #expect(FileExplanation(path: "/etc/motd", tree: tree, pruned: [], lock: lock).lines == ["/etc/motd: in the image, from the overlay base"])
        #expect(FileExplanation(path: "/etc/nothing", tree: tree, pruned: [], lock: lock).lines.first?.contains("no package, overlay") == true)
    }
}
