import ContentStore
import Drivers
import FileTree
import Foundation
import Manifests

extension Pipeline {
    /// What drivers the host keeps (issue 5): the manifest's `drivers`, the tuning's needs
    /// and the modules the initrd loads, each with the reason that `hostimg explain` shows.
    static func driverRequest(_ manifest: Manifest, kernel: KernelFile?) -> Drivers.Request {
        var required: [Drivers.Requirement] = []
        let tuning = manifest.tuning
        if tuning.vfio.isInUse {
            let count = tuning.vfio.devices.count + tuning.vfio.ids.count
            for module in ["vfio", "vfio-pci", "vfio_iommu_type1"] {
                required.append(Drivers.Requirement(module: module, reason: "tuning.vfio: \(count) device(s) bound to vfio-pci"))
            }
        }
        switch tuning.iommu?.mode?.value {
        case .intel?:
            required.append(Drivers.Requirement(module: "kvm_intel", reason: "a hypervisor host runs KVM (tuning.iommu.mode: intel)"))
        case .amd?:
            required.append(Drivers.Requirement(module: "kvm_amd", reason: "a hypervisor host runs KVM (tuning.iommu.mode: amd)"))
        default:
            for module in ["kvm_intel", "kvm_amd"] {
                required.append(Drivers.Requirement(module: module, reason: "a hypervisor host runs KVM (CPU vendor not fixed by tuning.iommu.mode)"))
            }
        }
        for module in kernel?.initrdModules ?? [] {
            required.append(Drivers.Requirement(module: module.value, reason: "initrd: \(module.location)"))
        }
        return Drivers.Request(keep: manifest.drivers.keep.map(\.value), deny: manifest.drivers.deny.map(\.value),
                               hardware: manifest.drivers.hardware.map(\.value), required: required)
    }

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
