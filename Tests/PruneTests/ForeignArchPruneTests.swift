import ContentStore
import FileTree
import Foundation
import Testing
@testable import Prune

@Suite("Prune: foreign architectures")
struct ForeignArchPruneTests {
    static let ls = "/bin/ls"
    static let libc = "/usr/lib/x86_64-linux-gnu/libc.so.6"
    static let libselinux = "/usr/lib/x86_64-linux-gnu/libselinux.so.1"
    static let hostHasBinaries = [ls, libc].allSatisfy { FileManager.default.fileExists(atPath: $0) }

    /// A native binary and library from this machine, an i386 library, an AArch64 firmware
    /// header, a text file and a tiny file.
    static func tree() throws -> Fixture {
        let f = try Fixture()
        try f.copy(ls, to: "/usr/bin/ls", origin: "coreutils")
        try f.copy(libc, to: "/usr/lib/x86_64-linux-gnu/libc.so.6", origin: "libc6")
        try f.copy(libselinux, to: "/usr/lib/x86_64-linux-gnu/libselinux.so.1", origin: "libselinux1")
        try f.file("/usr/lib/i386-linux-gnu/libthirty.so.1", try f.i386Object(soname: "libthirty.so.1", shared: true),
                   origin: "libthirty1:i386")
        try f.symlink("/usr/lib/i386-linux-gnu/libthirty.so", to: "libthirty.so.1", origin: "libthirty-dev:i386")
        try f.hardlink("/usr/lib/i386-linux-gnu/libthirty.so.1.0", to: "/usr/lib/i386-linux-gnu/libthirty.so.1",
                       origin: "libthirty1:i386")
        try f.file("/usr/lib/firmware/vendor/blob.elf", Fixture.aarch64(headerOnly: true), origin: "firmware-vendor")
        try f.text("/usr/share/script.sh", "#!/bin/sh\necho hello\n", origin: "scripts")
        try f.file("/usr/share/tiny", [0x7F, 0x45], origin: "tiny")
        try f.text("/usr/bin/shell-tool", "#!/bin/sh\n", origin: "tools")
        return f
    }

    @Test("every non-x86-64 ELF goes, with its links; native and non-ELF files stay",
          .enabled(if: hostHasBinaries, "needs /bin/ls and libc.so.6 from this machine"))
    func removesForeign() throws {
        let f = try Self.tree()
        let report = try Pruner(store: f.store).foreignArch(in: &f.tree)
        #expect(report.entries.map(\.path) == [
            "/usr/lib/firmware/vendor/blob.elf",
            "/usr/lib/i386-linux-gnu/libthirty.so",
            "/usr/lib/i386-linux-gnu/libthirty.so.1",
            "/usr/lib/i386-linux-gnu/libthirty.so.1.0",
        ])
        let blob = try #require(report.entries.first)
        #expect(blob.reason.hasPrefix("ELF64 little-endian AArch64"))
        #expect(blob.origin == "firmware-vendor")
        #expect(blob.bytes == 64)
        #expect(blob.category == .foreignArch)
        let lib = try #require(report.entries.first { $0.path == "/usr/lib/i386-linux-gnu/libthirty.so.1" })
        #expect(lib.reason.hasPrefix("ELF32 little-endian i386 DYN"))
        #expect(lib.bytes > 0)
        #expect(report.entries.first { $0.path.hasSuffix("libthirty.so.1.0") }?.bytes == 0)  // hard link: counted once
        #expect(report.total(.foreignArch).bytes == blob.bytes + lib.bytes)
        for kept in ["/usr/bin/ls", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/usr/share/script.sh", "/usr/share/tiny",
                     "/usr/bin/shell-tool"] {
            #expect(f.tree.contains(kept), "\(kept) should stay")
        }
        #expect(try Pruner(store: f.store).foreignArch(in: &f.tree).isEmpty)
    }

    @Test("exempt prefixes are left alone", .enabled(if: hostHasBinaries, "needs /bin/ls and libc.so.6"))
    func exempt() throws {
        let f = try Self.tree()
        let report = try Pruner(store: f.store).foreignArch(in: &f.tree, exempt: ["/usr/lib/firmware"])
        #expect(f.tree.contains("/usr/lib/firmware/vendor/blob.elf"))
        #expect(!report.entries.contains { $0.path.hasPrefix("/usr/lib/firmware") })
    }

    @Test("a foreign executable in /usr/bin is an error naming the file and its package; nothing is removed")
    func foreignExecutable() throws {
        let f = try Self.tree()
        try f.file("/usr/bin/tool32", try f.i386Object(soname: nil, shared: false), origin: "tool:i386")
        let before = f.tree.paths
        do {
            _ = try Pruner(store: f.store).foreignArch(in: &f.tree)
            Issue.record("a foreign executable in /usr/bin was removed silently")
        } catch let error {
            guard case let .foreignExecutable(path, origin, architecture, object) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(path == "/usr/bin/tool32")
            #expect(origin == "tool:i386")
            #expect(architecture == "ELF32 little-endian i386")
            #expect(object == nil)
            #expect(error.description.contains("/usr/bin/tool32 (from tool:i386)"))
        }
        #expect(f.tree.paths == before)
    }

    @Test("a command symlink to a foreign object in /usr/lib is an error too")
    func foreignCommandThroughSymlink() throws {
        let f = try Fixture()
        try f.file("/usr/lib/arm-tool/tool", Fixture.aarch64(), origin: "arm-tool")
        try f.symlink("/usr/bin/arm-tool", to: "../lib/arm-tool/tool", origin: "arm-tool")
        try f.file("/usr/libexec/helper/run", Fixture.aarch64(), origin: "helper")
        #expect(throws: PruneError.several([
            .foreignExecutable(path: "/usr/bin/arm-tool", origin: "arm-tool", architecture: "ELF64 little-endian AArch64",
                               object: "/usr/lib/arm-tool/tool"),
            .foreignExecutable(path: "/usr/libexec/helper/run", origin: "helper",
                               architecture: "ELF64 little-endian AArch64", object: nil),
        ])) {
            try Pruner(store: f.store).foreignArch(in: &f.tree)
        }
    }

    @Test("a foreign library a kept binary needs, with no x86-64 provider, is an error naming who needs it",
          .enabled(if: hostHasBinaries, "needs /bin/ls and libc.so.6"))
    func neededLibrary() throws {
        let f = try Fixture()
        try f.copy(Self.ls, to: "/usr/bin/ls", origin: "coreutils")
        try f.copy(Self.libc, to: "/usr/lib/x86_64-linux-gnu/libc.so.6", origin: "libc6")
        // /bin/ls needs libselinux.so.1; only an i386 build of it is in the tree.
        try f.file("/usr/lib/i386-linux-gnu/libselinux.so.1", try f.i386Object(soname: "libselinux.so.1", shared: true),
                   origin: "libselinux1:i386")
        // An i386 libc is redundant: an x86-64 libc.so.6 provides the SONAME.
        try f.file("/usr/lib/i386-linux-gnu/libc.so.6", try f.i386Object(soname: "libc.so.6", shared: true),
                   origin: "libc6:i386")
        let before = f.tree.paths
        do {
            _ = try Pruner(store: f.store).foreignArch(in: &f.tree)
            Issue.record("a needed library was removed silently")
        } catch let error {
            guard case let .foreignLibraryNeeded(path, soname, origin, _, neededBy) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(path == "/usr/lib/i386-linux-gnu/libselinux.so.1")
            #expect(soname == "libselinux.so.1")
            #expect(origin == "libselinux1:i386")
            #expect(neededBy == ["/usr/bin/ls (from coreutils)"])
            #expect(error.description.contains("no x86-64 object in the tree provides libselinux.so.1"))
        }
        #expect(f.tree.paths == before)

        // With the x86-64 library present, both i386 copies simply go.
        guard try f.copy(Self.libselinux, to: "/usr/lib/x86_64-linux-gnu/libselinux.so.1", origin: "libselinux1") != nil
        else { return }
        let report = try Pruner(store: f.store).foreignArch(in: &f.tree)
        #expect(report.entries.map(\.path) == ["/usr/lib/i386-linux-gnu/libc.so.6", "/usr/lib/i386-linux-gnu/libselinux.so.1"])
    }

    @Test("content missing from the store is an error, not a skipped file")
    func missingContent() throws {
        let f = try Fixture()
        let ref = ContentStore.Ref(sha256: String(repeating: "0", count: 64), size: 100)
        try f.tree.insert(FileTree.Node(.regular(ref), mode: 0o644, origin: "ghost"), at: "/usr/lib/ghost.so")
        #expect(throws: PruneError.contentMissing(path: "/usr/lib/ghost.so", ref: ref)) {
            try Pruner(store: f.store).foreignArch(in: &f.tree)
        }
    }
}
