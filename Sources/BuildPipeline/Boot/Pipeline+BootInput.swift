import ContentStore
import Drivers
import FileTree
import Foundation
import Manifests

extension Pipeline {
    /// The slot's kernel, the initrd's modules in load order, and the command line's words.
    static func bootInput(kernel: Drivers.Kernel, kernelFile: KernelFile?, manifest: Manifest,
                          initProgram: String) throws -> BootInput {
        let modules: [String]
        do {
            modules = try kernel.loadOrder(for: (kernelFile?.initrdModules ?? []).map(\.value))
        } catch {
            throw BuildError(stage: .boot, cause: error)
        }
        let words = (kernelFile?.cmdline ?? []).map(\.value) + KernelCommandLine.tuningArguments(manifest.tuning)
        return BootInput(vmlinuz: kernel.vmlinuzPath, kernelVersion: kernel.version, modules: modules,
                         commandLine: words, initProgram: initProgram)
    }
}
