import ByteCodec
import ContentStore
import Crypto
import ELF
import FileTree
import Foundation
import BuildPipeline
import Manifests
import Testing
import TestSupport

/// The boot stage: the slot's kernel, initrd and command line beside the image, and the initrd
/// as bsdtar, a chroot and the init's contract see it.
@Suite struct BootStageTests {
    static let kernelVersion = "6.1.0-test-amd64"
    static let modules = [
        "/usr/lib/modules/\(kernelVersion)/kernel/drivers/md/dm-bufio.ko",
        "/usr/lib/modules/\(kernelVersion)/kernel/drivers/md/dm-verity.ko",
        "/usr/lib/modules/\(kernelVersion)/kernel/fs/erofs/erofs.ko",
    ]
    static let bsdtar = Tools.find("bsdtar")

    let fixture: ImageFixture
    let tree: FileTree
    let kernel: [UInt8]
    let initProgram: String

    init() throws {
        fixture = try ImageFixture(files: 20)
        var tree = fixture.tree
        var random = SeededGenerator(seed: 99)
        kernel = (0..<50_000).map { _ in UInt8.random(in: 0...255, using: &random) }
        try tree.insert(FileTree.Node(.regular(try fixture.store.put(kernel)), mode: 0o644), at: "/boot/vmlinuz-\(Self.kernelVersion)")
        for module in Self.modules {
            try tree.insert(FileTree.Node(.regular(try fixture.store.put(Array("module \(module)".utf8))), mode: 0o644), at: module)
        }
        let found = try #require(BootInput.locateInit(environment: [:]), "hostimg-init is built beside the test bundle")
        initProgram = found
        try Self.addHostLibraries(of: initProgram, to: &tree, store: fixture.store)
        try Self.addBootLoader(to: &tree, store: fixture.store)
        self.tree = tree
    }

    /// The build host's libraries an ELF program needs, placed where Debian has them, with
    /// /lib64 → usr/lib64 as in a merged-/usr tree.
    static func addHostLibraries(of program: String, to tree: inout FileTree, store: ContentStore) throws {
        if tree["/lib64"] == nil {
            try tree.insert(FileTree.Node(.symlink("usr/lib64"), mode: 0o777), at: "/lib64")
        }
        var pending = [program]
        var seen = Set<String>()
        while let path = pending.popLast() {
            let object = try ELF.Object(path: path)
            if let interpreter = object.interpreter, tree["/usr/lib64/" + FileTree.name(of: interpreter)] == nil {
                let real = URL(fileURLWithPath: interpreter).resolvingSymlinksInPath().path
                try tree.insert(FileTree.Node(.regular(try store.put(Array(try Data(contentsOf: URL(fileURLWithPath: real))))), mode: 0o755),
                                at: "/usr/lib64/" + FileTree.name(of: interpreter))
            }
            for name in object.needed where seen.insert(name).inserted {
                let host = try #require(["/usr/lib/x86_64-linux-gnu/", "/lib/x86_64-linux-gnu/"].map { $0 + name }
                    .first { FileManager.default.fileExists(atPath: $0) }, "\(name) is on the build host")
                let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: host).resolvingSymlinksInPath()))
                try tree.insert(FileTree.Node(.regular(try store.put(bytes)), mode: 0o644), at: "/usr/lib/x86_64-linux-gnu/" + name)
                pending.append(host)
            }
        }
    }

    /// systemd-boot-efi's stub and boot loader from the build host (CI installs the package)
    /// and an os-release, as the image's packages bring them.
    static func addBootLoader(to tree: inout FileTree, store: ContentStore) throws {
        for name in ["linuxx64.efi.stub", "systemd-bootx64.efi"] {
            let host = "/usr/lib/systemd/boot/efi/" + name
            let bytes = try #require(FileManager.default.contents(atPath: host), "\(host) is there (apt-get install systemd-boot-efi)")
            try tree.insert(FileTree.Node(.regular(try store.put([UInt8](bytes))), mode: 0o644), at: host)
        }
        let osRelease = "ID=debian\nVERSION_ID=\"12\"\nIMAGE_ID=test\nIMAGE_VERSION=1\n"
        try tree.insert(FileTree.Node(.regular(try store.put(Array(osRelease.utf8))), mode: 0o644), at: "/usr/lib/os-release")
        try tree.insert(FileTree.Node(.symlink("../usr/lib/os-release"), mode: 0o777), at: "/etc/os-release")
    }

    func build(_ name: String, signed: Bool, configure: (inout ImageBuild.Options) -> Void = { _ in }) async throws -> (ImageBuild.Result, String) {
        var options = fixture.options(output: fixture.scratch.path(name), signer: signed ? ImageFixture.identity.0 : nil)
        options.boot = BootInput(vmlinuz: "/boot/vmlinuz-\(Self.kernelVersion)", kernelVersion: Self.kernelVersion,
                                 modules: Self.modules, commandLine: ["console=ttyS0", "panic=10"], initProgram: initProgram)
        options.espSize = 64 << 20  // systemd-boot twice and a UKI with the debug init in its initrd
        configure(&options)
        try FileManager.default.createDirectory(atPath: options.output, withIntermediateDirectories: true)
        return (try await ImageBuild(options).run(tree: tree, store: fixture.store), options.output)
    }

    static func read(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    func extractInitrd(_ initrd: String, name: String) throws -> String {
        let bsdtar = try #require(Self.bsdtar)
        let directory = fixture.scratch.path(name)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let result = try Tools.run(bsdtar, ["-xpf", initrd, "-C", directory])
        #expect(result.status == 0, "\(result.stderr)")
        return directory
    }

    @Test(.enabled(if: bsdtar != nil, "bsdtar is not installed (apt-get install libarchive-tools)"))
    func bootFilesSitBesideTheImage() async throws {
        let (result, output) = try await build("signed", signed: true)
        let boot = try #require(result.boot)
        let rootHash = result.report.rootHash
        #expect(boot.vmlinuz == output + "/vmlinuz")
        #expect(try Self.read(output + "/vmlinuz") == kernel)
        #expect(try String(contentsOfFile: output + "/cmdline.txt", encoding: .utf8) == "roothash=\(rootHash) console=ttyS0 panic=10\n")
        #expect(boot.commandLine == "roothash=\(rootHash) console=ttyS0 panic=10")
        #expect(boot.initrdModules == ["dm-bufio.ko", "dm-verity.ko", "erofs.ko"])
        #expect(boot.verifiesSignature)
        #expect(boot.initrdBytes == UInt64(try Self.read(output + "/initrd.img").count))
        #expect(boot.initrdLibraries.isEmpty, "the init is statically linked: \(boot.initrdLibraries)")

        // The bundle carries them as payloads of their own, hashed like the rest.
        let payloads = result.report.bundlePayloads
        #expect(payloads.map(\.role) == ["root", "verity", "verity-sig", "kernel", "initrd", "cmdline", "uki"])
        let kernelPayload = try #require(payloads.first { $0.role == "kernel" })
        #expect(kernelPayload.sha256 == Hex.encode(try Crypto.SHA256.hash(kernel)))

        // What bsdtar lists: cpio newc, zstd, root-owned, the build's epoch on every entry.
        let bsdtar = try #require(Self.bsdtar)
        let listing = try Tools.run(bsdtar, ["-tvf", output + "/initrd.img"])
        #expect(listing.status == 0, "\(listing.stderr)")
        let lines = listing.stdoutText.split(separator: "\n")
        #expect(lines.allSatisfy { $0.contains(" root ") || $0.contains(" 0 ") }, "\(listing.stdoutText)")
        let names = try Tools.run(bsdtar, ["-tf", output + "/initrd.img"]).stdoutText.split(separator: "\n").map(String.init)
        #expect(names == names.sorted(), "entries are sorted")
        for expected in ["init", "usr/lib/hostimg/modules", "usr/lib/hostimg/verity.crt", "lib64",
                         "sysroot", "dev", "proc", "sys", "run"] + Self.modules.map({ String($0.dropFirst()) }) {
            #expect(names.contains(expected), "\(expected) is in the initrd: \(names)")
        }
        #expect(!names.contains { $0.hasPrefix("usr/lib/file-") }, "nothing of the root tree the init does not need")
        #expect(!names.contains { $0.hasSuffix(".so") || $0.contains(".so.") || $0.hasSuffix("mke2fs") },
                "no shared library, no mke2fs (the root's formats the state partition): \(names)")
        let format = try Tools.run(try #require(Tools.find("file")) , ["-b", output + "/initrd.img"])
        #expect(format.stdoutText.contains("Zstandard"), "\(format.stdoutText)")

        let root = try extractInitrd(output + "/initrd.img", name: "extracted")
        #expect(try String(contentsOfFile: root + "/usr/lib/hostimg/modules", encoding: .utf8) == Self.modules.joined(separator: "\n") + "\n")
        #expect(try Self.read(root + "/usr/lib/hostimg/verity.crt") == ImageFixture.identity.0.certificate.derBytes)
        #expect(try Self.read(root + "/init") == Self.read(initProgram))
        let attributes = try FileManager.default.attributesOfItem(atPath: root + "/init")
        #expect((attributes[.posixPermissions] as? Int) == 0o755)
        #expect((attributes[.modificationDate] as? Date) == Date(timeIntervalSince1970: 1_700_000_000))
    }

    /// The init runs from the extracted initrd with nothing but what the initrd holds, without
    /// /proc (the kernel starts it before anything is mounted; its Swift runtime must not need
    /// /proc/self/exe, CInitStartup). Outside PID 1 it refuses to act.
    @Test(.enabled(if: bsdtar != nil && getuid() == 0 && Tools.find("chroot") != nil, "needs bsdtar, chroot and root"))
    func theInitRunsInsideTheInitrdAlone() async throws {
        let (result, output) = try await build("chroot", signed: false)
        #expect(result.boot?.verifiesSignature == false)
        let root = try extractInitrd(output + "/initrd.img", name: "root")
        #expect(!FileManager.default.fileExists(atPath: root + "/usr/lib/hostimg/verity.crt"), "unsigned: no certificate to trust")
        let run = try Tools.run(try #require(Tools.find("chroot")), [root, "/init"])
        #expect(run.status == 2, "\(run.stderr)")
        #expect(run.stderr.contains("runs only as PID 1"), "\(run.stderr)")
    }

    /// hostimg-init is one static executable (no interpreter, no DT_NEEDED), and links neither
    /// `_StringProcessing` nor the regex parser (1.2 MB that one `String.contains(String)` in
    /// the code it links would bring in; type names of a linked library stay in a stripped binary).
    @Test func theInitIsStaticAndLean() throws {
        let object = try ELF.Object(path: initProgram)
        #expect(object.interpreter == nil, "\(initProgram) has the program interpreter \(object.interpreter ?? "")")
        #expect(object.needed.isEmpty, "\(initProgram) needs \(object.needed)")
        let bytes = try Self.read(initProgram)
        for library in ["17_StringProcessing", "12_RegexParser"] {
            #expect(bytes.firstRange(of: Array(library.utf8)) == nil, "\(initProgram) links \(library)")
        }
    }

    @Test func twoBuildsGiveTheSameBootFiles() async throws {
        let (_, first) = try await build("one", signed: true)
        let (_, second) = try await build("two", signed: true)
        for name in ["vmlinuz", "initrd.img", "cmdline.txt"] {
            #expect(try Self.read(first + "/" + name) == Self.read(second + "/" + name), "\(name)")
        }
    }

    @Test func aMissingKernelOrModuleIsNamed() async throws {
        var options = fixture.options(output: fixture.scratch.path("bad"), signer: nil)
        try FileManager.default.createDirectory(atPath: options.output, withIntermediateDirectories: true)
        options.boot = BootInput(vmlinuz: "/boot/vmlinuz-nope", kernelVersion: "nope", modules: [], commandLine: [], initProgram: initProgram)
        let kernel = try await #require(throws: BuildError.self) { try await ImageBuild(options).run(tree: tree, store: fixture.store) }
        #expect("\(kernel)".contains("/boot/vmlinuz-nope is not a file in the tree"), "\(kernel)")

        options.boot = BootInput(vmlinuz: "/boot/vmlinuz-\(Self.kernelVersion)", kernelVersion: Self.kernelVersion,
                                 modules: ["/usr/lib/modules/x/missing.ko"], commandLine: [], initProgram: initProgram)
        let module = try await #require(throws: BuildError.self) { try await ImageBuild(options).run(tree: tree, store: fixture.store) }
        #expect("\(module)".contains("/usr/lib/modules/x/missing.ko is not in the image's tree"), "\(module)")
    }
}

/// The initrd builder's library resolution on its own.
@Suite struct InitrdBuilderTests {
    @Test(.enabled(if: Tools.find("bsdtar") != nil && getuid() == 0 && Tools.find("chroot") != nil, "needs bsdtar, chroot and root"))
    func aTreeProgramRunsWithTheLibrariesItNamed() async throws {
        let scratch = try ScratchDirectory()
        let store = try ContentStore(root: scratch.path("cache"))
        var tree = FileTree()
        let host = URL(fileURLWithPath: "/usr/bin/true").resolvingSymlinksInPath().path
        try tree.insert(FileTree.Node(.regular(try store.put(Array(try Data(contentsOf: URL(fileURLWithPath: host))))), mode: 0o755), at: "/usr/bin/true")
        try BootStageTests.addHostLibraries(of: host, to: &tree, store: store)
        try tree.insert(FileTree.Node(.regular(try store.put(Array("unneeded".utf8))), mode: 0o644), at: "/usr/lib/x86_64-linux-gnu/libunneeded.so.1")

        var builder = InitrdBuilder(tree: tree, store: store)
        try builder.addFromTree("/usr/bin/true", followELF: true)
        let summary = try builder.write(to: scratch.path("initrd"), mtime: 0, compression: .init(level: 3))
        #expect(summary.libraries == ["ld-linux-x86-64.so.2", "libc.so.6"])  // libc names the loader too
        let root = scratch.path("root")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        #expect(try Tools.run(try #require(Tools.find("bsdtar")), ["-xpf", scratch.path("initrd"), "-C", root]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: root + "/usr/lib/x86_64-linux-gnu/libunneeded.so.1"))
        let run = try Tools.run(try #require(Tools.find("chroot")), [root, "/usr/bin/true"])
        #expect(run.status == 0, "\(run.stderr)")
    }

    @Test func aMissingLibraryNamesTheProgramAndTheFix() async throws {
        let scratch = try ScratchDirectory()
        let store = try ContentStore(root: scratch.path("cache"))
        var tree = FileTree()
        var elf = SyntheticELF()
        elf.needed = ["libmissing.so.3"]
        try tree.insert(FileTree.Node(.regular(try store.put(elf.build())), mode: 0o755), at: "/usr/bin/tool")
        var builder = InitrdBuilder(tree: tree, store: store)
        let error = try #require(throws: BuildError.self) { try builder.addFromTree("/usr/bin/tool", followELF: true) }
        #expect("\(error)".contains("/usr/bin/tool needs libmissing.so.3, which is in none of /usr/lib/x86_64-linux-gnu"), "\(error)")
        #expect("\(error)".contains("add the package that ships it"), "\(error)")
    }
}
