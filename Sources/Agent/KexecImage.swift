import Glibc
import PE
import SystemIO

/// What a kexec boots (AGENT.md, phase 2): the `.linux`, `.initrd` and `.cmdline` sections of
/// a slot's UKI on the ESP, the exact bytes the firmware would boot, loaded with
/// kexec_file_load. The kernel checks the image's signature itself where the kernel asks for
/// it (CONFIG_KEXEC_SIG, lockdown), so a rejected kernel fails here, before anything that is
/// hard to undo.
public struct KexecImage: Sendable {
    public var kernel: [UInt8]
    public var initrd: [UInt8]?
    public var commandLine: String

    /// The sections of the UKI at `path`.
    public init(uki path: String) throws {
        let image: PE.Image
        do {
            image = try PE.Image(try SystemIO.readFile(path, limit: UKICommandLine.maximumSize))
        } catch {
            throw AgentError.slot("cannot read the UKI \(path): \(error)")
        }
        guard let kernel = image.section(named: ".linux"), !kernel.isEmpty else {
            throw AgentError.slot("\(path) has no .linux section: not a UKI that can be loaded for kexec")
        }
        guard let commandLine = image.commandLine else {
            throw AgentError.slot("\(path) has no .cmdline section: not a UKI hostimg built")
        }
        self.kernel = kernel
        initrd = image.section(named: ".initrd")
        self.commandLine = commandLine
    }

    /// `/run/hostimg/kexec`: a tmpfs, gone after the kexec.
    public static let stagingDirectory = "/run/hostimg/kexec"

    /// Writes the kernel and initrd into `directory` (kexec_file_load takes descriptors of
    /// files) and loads them. Throws naming the step; the kernel's refusal keeps its errno
    /// (EKEYREJECTED: a signature the running kernel does not trust).
    public func load(stagingDirectory directory: String = KexecImage.stagingDirectory) throws {
        do {
            var prefix = ""
            for component in directory.split(separator: "/") {
                prefix += "/" + component
                try SystemIO.makeDirectory(prefix, mode: 0o700)
            }
            try SystemIO.replace(directory + "/linux", with: kernel, permissions: 0o600)
            if let initrd { try SystemIO.replace(directory + "/initrd", with: initrd, permissions: 0o600) }
            let kernelFile = try SystemIO.File(path: directory + "/linux", flags: O_RDONLY)
            let initrdFile = try initrd.map { _ in try SystemIO.File(path: directory + "/initrd", flags: O_RDONLY) }
            try SystemIO.kexecFileLoad(kernel: kernelFile, initrd: initrdFile, commandLine: commandLine)
        } catch {
            throw AgentError.slot("loading the new kernel for kexec failed: \(error)")
        }
    }

    /// Drops a loaded kernel (a switch that stopped after staging).
    public static func unload(stagingDirectory directory: String = KexecImage.stagingDirectory) {
        if let kernel = try? SystemIO.File(path: directory + "/linux", flags: O_RDONLY) {
            try? SystemIO.kexecFileLoad(kernel: kernel, initrd: nil, commandLine: "", flags: .unload)
        }
    }
}
