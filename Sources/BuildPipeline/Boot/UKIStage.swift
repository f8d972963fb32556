import ContentStore
import FileTree
import Manifests
import PE
import SystemIO

/// The slot's unified kernel image (issue 13; FORMATS.md "UKI and boot counting"):
/// systemd-stub from the image's own `systemd-boot-efi` with `.linux`, `.osrel`, `.cmdline`,
/// `.initrd` and `.uname` appended in UAPI order. Its `.cmdline` is the slot's rendered
/// command line (the one `cmdline.txt` holds), so a firmware boot and a kexec boot of the
/// slot get the same one.
///
/// With `boot.secureBoot` and a signing key, the kernel is signed by Authenticode before it
/// goes in (so that, under lockdown, `kexec_file_load` accepts it with the image certificate
/// in the firmware's db) and the UKI is signed as a whole; the `vmlinuz` output is the
/// signed kernel too, the exact bytes inside the UKI.
struct UKIStage: BuildStage {
    static let name = StageName.uki
    /// Where systemd-boot-efi puts its binaries (Debian 12, systemd 252).
    static let stubPath = "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"
    static let bootLoaderPath = "/usr/lib/systemd/boot/efi/systemd-bootx64.efi"

    func run(_ state: inout ImageState) async throws -> String {
        var files = try state.require(state.boot, "the kernel and initrd", for: Self.name)
        let options = state.options
        let stub = try state.treeFile(Self.stubPath, package: "systemd-boot-efi", stage: Self.name)
        let osRelease = try state.treeFile("/etc/os-release", package: "base-files", stage: Self.name)
        var kernel = try state.readOutput(files.vmlinuz, stage: Self.name)
        let signer = options.secureBoot ? options.signer : nil
        if let signer {
            kernel = try PE.Authenticode.sign(kernel, key: signer.key, certificate: signer.certificate)
            try state.outputs.write(files.vmlinuz, bytes: kernel)
        } else if options.secureBoot {
            state.observer(.warning("boot.secureBoot is set but the build is unsigned: systemd-boot, the UKI and the kernel get their Authenticode signatures when `hostimg sign` signs this output"))
        }
        let initrd = try state.readOutput(files.initrd, stage: Self.name)
        var uki = try PE.UKI.assemble(stub: stub, parts: [
            .linux: kernel, .osrel: osRelease, .cmdline: Array(files.commandLine.utf8),
            .initrd: initrd, .uname: Array(files.kernelVersion.utf8),
        ])
        if let signer {
            uki = try PE.Authenticode.sign(uki, key: signer.key, certificate: signer.certificate)
        }
        let path = options.output + "/" + Self.fileName(label: options.label)
        try state.outputs.write(path, bytes: uki)
        files.uki = path
        files.ukiBytes = UInt64(uki.count)
        files.espEntry = ESPLayout.entryPath(label: options.label, tries: options.bootTries)
        files.secureBootSigned = signer != nil
        state.boot = files
        state.uki = uki
        let signed = signer != nil ? ", signed for Secure Boot (kernel and UKI)" : ""
        return "\(path): \(Size.describe(UInt64(uki.count)))\(signed)"
    }

    /// The UKI beside the image: `NAME_VERSION.efi`, the ESP entry's name without a counter.
    static func fileName(label: String) -> String { label + ".efi" }
}

extension ImageState {
    /// A regular file of the root tree (through symbolic links), or an error that names the
    /// package that ships it.
    func treeFile(_ path: String, package: String, stage: StageName) throws -> [UInt8] {
        guard let (_, node) = tree.resolve(path), let ref = node.content else {
            throw BuildError(stage: stage, "the image has no \(path); add `\(package)` to packages.include (the boot loader and the UKI stub come from the image's own packages, pinned in its lock)")
        }
        return try store.read(ref)
    }

    /// An output this build wrote earlier (under its temporary name until the commit).
    func readOutput(_ final: String, stage: StageName) throws -> [UInt8] {
        do {
            return try SystemIO.readFile(outputs.current(final), limit: 1 << 31)
        } catch {
            throw BuildError(stage: stage, cause: error)
        }
    }
}
