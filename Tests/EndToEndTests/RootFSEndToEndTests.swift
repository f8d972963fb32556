import Debian
import ELF
import Foundation
import BuildPipeline
import Manifests
import Testing
import TestSupport

/// Issue 3's acceptance, against Debian's real mirror: build `manifests/qemu-dev.yaml`'s root
/// tree, extract it, chroot into it and run programs. Needs the network (the Debian registry)
/// and root, so it runs under `make e2e` (HOSTIMG_NETWORK_TESTS=1), which CI runs too.
@Suite("rootfs stage end to end (qemu-dev)", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["HOSTIMG_NETWORK_TESTS"] == "1", "set HOSTIMG_NETWORK_TESTS=1 (make e2e): needs deb.debian.org"),
       .enabled(if: getuid() == 0, "chroot needs root"))
struct RootFSEndToEndTests {
    static let repository: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// A cache that survives between runs when HOSTIMG_TEST_CACHE is set (CI sets nothing:
    /// the first build downloads).
    static let cache = ProcessInfo.processInfo.environment["HOSTIMG_TEST_CACHE"]
        ?? FileManager.default.temporaryDirectory.appendingPathComponent("hostimg-e2e-cache").path

    struct Built {
        let scratch: ScratchDirectory
        let lock: LockFile
        let tar: String
        let root: String
    }

    static func build(into scratch: ScratchDirectory, locked: Bool, name: String) async throws -> Pipeline.Result {
        var options = Pipeline.Options(manifest: repository + "/manifests/qemu-dev.yaml", output: scratch.path(name),
                                          cache: cache, locked: locked)
        options.lockPath = scratch.path("qemu-dev.lock")
        return try await Pipeline(options).run()
    }

    @Test("the tree boots a shell, runs a non-Essential dynamic program, and dpkg tells the truth")
    func acceptance() async throws {
        let scratch = try ScratchDirectory()
        let first = try await Self.build(into: scratch, locked: false, name: "out1")
        let tar = try #require(first.tarPath)
        let lock = try LockFile(parsing: String(contentsOfFile: scratch.path("qemu-dev.lock"), encoding: .utf8))

        // Same lock, same bytes.
        let second = try await Self.build(into: scratch, locked: true, name: "out2")
        let secondTar = try #require(second.tarPath)
        #expect(FileManager.default.contentsEqual(atPath: tar, andPath: secondTar), "two builds from one lock differ")

        let root = scratch.path("root")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let extract = try Tools.run("/usr/bin/tar", ["--xattrs", "--xattrs-include=*", "-xpf", tar, "-C", root])
        #expect(extract.status == 0, "\(extract.stderr)")

        let shell = try Tools.run("/usr/sbin/chroot", [root, "/bin/sh", "-c", "ls /; id root"])
        #expect(shell.status == 0, "\(shell.stderr)")
        #expect(shell.stdoutText.contains("uid=0(root) gid=0(root)"))
        #expect(shell.stdoutText.contains("usr\n"))

        // iproute2 is not Essential; `ip` links libbpf, libelf, libmnl, libcap: ld.so.cache at work.
        let ip = try Tools.run("/usr/sbin/chroot", [root, "/usr/bin/ip", "-V"])
        #expect(ip.status == 0, "\(ip.stderr)")
        #expect(ip.stdoutText.contains("iproute2"))

        let query = try Tools.run("/usr/sbin/chroot", [root, "/usr/bin/dpkg-query", "-W", "-f", "${Package} ${Version} ${db:Status-Abbrev}\n"])
        #expect(query.status == 0, "\(query.stderr)")
        let listed = Set(query.stdoutText.split(separator: "\n").map(String.init))
        let locked = Set(lock.entries.map { "\($0.package) \($0.version) ii " })
        #expect(listed == locked, "dpkg and the lock disagree: \(listed.symmetricDifference(locked).sorted())")
        let dpkgList = try Tools.run("/usr/sbin/chroot", [root, "/usr/bin/dpkg", "-l"])
        #expect(dpkgList.status == 0)
        #expect(dpkgList.stdoutText.split(separator: "\n").filter { $0.hasPrefix("ii ") }.count == lock.entries.count)

        // Locales: only en (the keep list is [en_US]) and C.
        for directory in ["/usr/share/locale", "/usr/lib/locale"] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: root + directory)) ?? []
            let foreign = names.filter { name in
                var isDirectory: ObjCBool = false
                FileManager.default.fileExists(atPath: root + directory + "/" + name, isDirectory: &isDirectory)
                return isDirectory.boolValue && !(name.hasPrefix("en") || name.hasPrefix("C."))
            }
            #expect(foreign.isEmpty, "\(directory) keeps \(foreign)")
        }

        // ELF audit: every ELF object is 64-bit x86-64.
        var audited = 0
        var foreign: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            let path = root + "/" + relative
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                  attributes[.type] as? FileAttributeType == .typeRegular,
                  let handle = FileHandle(forReadingAtPath: path) else { continue }
            let head = [UInt8](handle.readData(ofLength: 64))
            try? handle.close()
            guard ELF.hasMagic(head) else { continue }
            audited += 1
            guard let header = try? ELF.Header.decode(head), header.isNativeX8664 else {
                foreign.append(relative)
                continue
            }
        }
        #expect(audited > 100)
        #expect(foreign.isEmpty, "not x86-64: \(foreign)")

        // The report says what was pruned and why.
        let report = try String(contentsOfFile: try #require(first.reportPath), encoding: .utf8)
        #expect(report.contains("\"category\" : \"locale\""))
        #expect(report.contains("not in locales.keep"))
    }
}
