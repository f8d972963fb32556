import ContentStore
import Crypto
import FileTree
import Foundation
import Manifests
import SystemIO

/// What the boot stage needs besides the tree: which kernel, which modules the initrd loads
/// (already in load order), the command line's extra words, and the init program.
public struct BootInput: Sendable {
    /// Tree path of the kernel image, e.g. `/boot/vmlinuz-6.1.0-56-cloud-amd64`.
    public var vmlinuz: String
    public var kernelVersion: String
    /// Tree paths of the initrd's modules, dependencies first.
    public var modules: [String]
    /// The kernel file's `cmdline` followed by the tuning's parameters (TUNING.md).
    public var commandLine: [String]
    /// The `hostimg-init` executable on the build host.
    public var initProgram: String

    public init(vmlinuz: String, kernelVersion: String, modules: [String], commandLine: [String], initProgram: String) {
        self.vmlinuz = vmlinuz
        self.kernelVersion = kernelVersion
        self.modules = modules
        self.commandLine = commandLine
        self.initProgram = initProgram
    }

    /// `HOSTIMG_INIT`, else `hostimg-init` beside the running executable (SwiftPM builds
    /// both into the same directory; so does `swift test`).
    public static func locateInit(environment: [String: String]) -> String? {
        locateProgram("hostimg-init", variable: "HOSTIMG_INIT", environment: environment)
    }

    /// A program the build puts into the image: `$variable`, else `name` beside the running
    /// executable.
    /// `$VARIABLE`, else `name` beside this executable (a build tree), else in
    /// `../lib/hostimg/` from it (an installed package: /usr/bin/hostimg and
    /// /usr/lib/hostimg/NAME). The executable is /proc/self/exe, so a command found through
    /// PATH finds its programs from any directory.
    static func locateProgram(_ name: String, variable: String, environment: [String: String]) -> String? {
        if let path = environment[variable], !path.isEmpty { return path }
        let running = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().path
        let directory = URL(fileURLWithPath: running).deletingLastPathComponent()
        let candidates = [directory.appendingPathComponent(name).path,
                          directory.deletingLastPathComponent().appendingPathComponent("lib/hostimg/" + name).path]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// The boot files of a slot, as the build output holds them beside the image.
public struct BootFiles: Sendable, Codable {
    /// The initrd's file name in the build output (beside NAME.img, which it is not).
    public static let initrdName = "initrd.img"
    public var vmlinuz: String
    public var initrd: String
    public var cmdline: String
    public var commandLine: String
    public var kernelVersion: String
    public var initrdModules: [String]
    public var initrdLibraries: [String]
    public var initrdBytes: UInt64
    public var initrdUncompressedBytes: UInt64
    public var verifiesSignature: Bool
    /// The unified kernel image (stub + kernel + initrd + command line) beside the image, and
    /// its name on the ESP (`EFI/Linux/NAME_VERSION+TRIES.efi`); nil before the `uki` stage.
    public var uki: String?
    public var ukiBytes: UInt64?
    public var espEntry: String?
    /// systemd-boot, the UKI and the kernel carry an Authenticode signature by the image key.
    public var secureBootSigned: Bool?
}

enum BootStage {
    /// The initrd's layout is the contract with `hostimg-init` (Sources/HostImgInit).
    static let moduleList = "/usr/lib/hostimg/modules"
    static let certificate = "/usr/lib/hostimg/verity.crt"

    /// Writes the initrd, the kernel and the command line under their temporary names in
    /// `outputs`; the files returned name the final paths.
    static func build(_ input: BootInput, tree: FileTree, store: ContentStore, rootHash: String,
                      certificate: Certificate?, output: String, outputs: StagedOutputs, epoch: Int64) throws -> BootFiles {
        var builder = InitrdBuilder(tree: tree, store: store)
        for directory in ["/dev", "/proc", "/sys", "/run", "/sysroot", "/tmp", "/usr/bin", "/usr/sbin", "/usr/lib", "/usr/lib64"] {
            builder.addDirectory(directory)
        }
        for (link, target) in [("/bin", "usr/bin"), ("/sbin", "usr/sbin"), ("/lib", "usr/lib"), ("/lib64", "usr/lib64")] {
            builder.addSymlink(at: link, target: target)
        }
        try builder.addHostExecutable(input.initProgram, at: "/init")
        for module in input.modules {
            try builder.addFromTree(module)
        }
        builder.add(Array((input.modules.joined(separator: "\n") + "\n").utf8), at: moduleList)
        if let certificate {
            builder.add(certificate.derBytes, at: Self.certificate)
        }
        // No mke2fs: the init formats the state partition with the verified root's own,
        // chrooted (HostImgInit.swift, step 7), so the initrd carries no e2fsprogs.
        let initrdPath = output + "/" + BootFiles.initrdName
        let (initrd, summary) = try builder.compressed(mtime: epoch)
        try outputs.write(initrdPath, bytes: initrd)

        guard let kernel = tree.resolve(input.vmlinuz), let ref = kernel.node.content else {
            throw BuildError(stage: .boot, "the kernel \(input.vmlinuz) is not a file in the tree")
        }
        let vmlinuzPath = output + "/vmlinuz"
        try outputs.write(vmlinuzPath, bytes: try store.read(ref))
        let commandLine = (["roothash=\(rootHash)"] + input.commandLine).joined(separator: " ")
        let cmdlinePath = output + "/cmdline.txt"
        try outputs.write(cmdlinePath, bytes: Array((commandLine + "\n").utf8))
        return BootFiles(vmlinuz: vmlinuzPath, initrd: initrdPath, cmdline: cmdlinePath, commandLine: commandLine,
                         kernelVersion: input.kernelVersion, initrdModules: input.modules.map { FileTree.name(of: $0) },
                         initrdLibraries: summary.libraries, initrdBytes: summary.compressedBytes,
                         initrdUncompressedBytes: summary.uncompressedBytes, verifiesSignature: certificate != nil)
    }
}

extension BootStage {
    /// Two-phase signing: the initrd a `--unsigned` build made, with the signing certificate
    /// added at `/usr/lib/hostimg/verity.crt` (replacing one already there), so its init
    /// checks the root-hash signature. The bytes equal those of the initrd a build signed
    /// with the same certificate makes (same entries, same epoch, same writer).
    static func certify(initrd: [UInt8], name: String, certificate: Certificate) throws -> [UInt8] {
        var (builder, mtime) = try InitrdBuilder.reading(initrd, name: name)
        guard builder.entries[moduleList] != nil || builder.entries["/init"] != nil else {
            throw BuildError(stage: .boot, "\(name) has neither /init nor \(moduleList): not an initrd hostimg built")
        }
        builder.add(certificate.derBytes, at: Self.certificate)
        return try builder.compressed(mtime: mtime).bytes
    }
}
