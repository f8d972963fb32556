import Foundation
import Glibc
import Testing
import TestSupport

@testable import HostImgInit

/// The state partition is formatted by the verified root's own mke2fs, chrooted into the root
/// with /dev, /proc and /sys bound in while it runs. Here the "root" is a scratch directory
/// holding the build host's /bin/sh with its loader and libc where Debian keeps them.
@Suite struct RunInRootTests {
    static let enabled = getuid() == 0 && FileManager.default.fileExists(atPath: "/bin/sh")
        && FileManager.default.fileExists(atPath: "/lib64/ld-linux-x86-64.so.2")

    let scratch: ScratchDirectory
    let root: String

    init() throws {
        scratch = try ScratchDirectory()
        root = scratch.path("root")
        let files = [("/bin/sh", "/usr/bin/sh"), ("/lib64/ld-linux-x86-64.so.2", "/usr/lib64/ld-linux-x86-64.so.2"),
                     ("/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6")]
        for directory in ["dev", "proc", "sys", "usr/bin", "usr/lib64", "usr/lib/x86_64-linux-gnu"] {
            try FileManager.default.createDirectory(atPath: root + "/" + directory, withIntermediateDirectories: true)
        }
        for (link, target) in [("bin", "usr/bin"), ("lib", "usr/lib"), ("lib64", "usr/lib64")] {
            try FileManager.default.createSymbolicLink(atPath: root + "/" + link, withDestinationPath: target)
        }
        for (host, inRoot) in files where FileManager.default.fileExists(atPath: host) {
            let real = URL(fileURLWithPath: host).resolvingSymlinksInPath().path
            try FileManager.default.copyItem(atPath: real, toPath: root + inRoot)
        }
    }

    func mounts() throws -> String { try String(contentsOfFile: "/proc/self/mounts", encoding: .utf8) }

    @Test(.enabled(if: enabled, "needs root (bind mounts, chroot) and the host's /bin/sh"))
    func theRootsProgramSeesDevProcAndSysWhichAreUnboundAfter() throws {
        try System.runInRoot(root, "/bin/sh", ["-c", "test -c /dev/null && test -r /proc/self/mounts && test -d /sys/class"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/dev").isEmpty, "/dev is unbound")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/proc").isEmpty, "/proc is unbound")
        #expect(!(try mounts()).contains(root), "no mount is left under \(root)")
    }

    @Test(.enabled(if: enabled, "needs root (bind mounts, chroot) and the host's /bin/sh"))
    func aFailureNamesTheCommandAndStillUnbinds() throws {
        let status = try #require(throws: InitError.self) { try System.runInRoot(root, "/bin/sh", ["-c", "exit 3"]) }
        #expect("\(status)" == "state partition: /bin/sh -c exit 3 (in \(root)) exited with status 3", "\(status)")
        let missing = try #require(throws: InitError.self) { try System.runInRoot(root, "/usr/sbin/mke2fs", ["-q"]) }
        #expect("\(missing)".hasPrefix("execute /usr/sbin/mke2fs in \(root): No such file or directory"), "\(missing)")
        #expect(!(try mounts()).contains(root), "no mount is left under \(root)")
    }

    @Test(.enabled(if: enabled, "needs root (bind mounts, chroot) and the host's /bin/sh"))
    func aRootWithoutTheMountPointsIsRefusedBeforeAnythingRuns() throws {
        try FileManager.default.removeItem(atPath: root + "/sys")
        let error = try #require(throws: InitError.self) { try System.runInRoot(root, "/bin/sh", ["-c", "true"]) }
        #expect("\(error)".contains("\(root)/sys"), "\(error)")
        #expect(!(try mounts()).contains(root), "the binds made before the failure are gone")
    }
}
