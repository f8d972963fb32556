import Drivers
import FileTree
import Foundation
import Manifests

/// Kernel modules outside the closure of what the host needs, and unnamed firmware.
struct DriversStage: BuildStage {
    static let name = StageName.drivers

    func run(_ state: inout TreeState) async throws -> String {
        let work = state.options.output + "/.hostimg-drivers-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: work) }
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        var request = Self.request(state.manifest, kernel: state.kernelFile)
        request.required += Self.treeRequirements(state.tree)
        let (drivers, kernel) = try Drivers.prune(tree: &state.tree, store: state.store, request: request, workDirectory: work)
        state.report.drivers = drivers
        state.kernel = kernel
        return "kernel \(drivers.kernelVersion): \(drivers.modulesAfter) of \(drivers.modulesBefore) modules kept, \(Size.describe(drivers.bytesBefore - drivers.bytesAfter)) removed"
    }

    /// What drivers the host keeps (issue 5): the manifest's `drivers`, the tuning's needs
    /// and the modules the initrd loads, each with the reason that `hostimg explain` shows.
    static func request(_ manifest: Manifest, kernel: KernelFile?) -> Drivers.Request {
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
        if let region = tuning.preservedMemory {
            for module in Tuning.PreservedMemory.kernelModules {
                required.append(Drivers.Requirement(module: module, reason: "tuning.preservedMemory: the \(region.kernelParameter) region as /dev/pmem0 with an ext4 DAX file system"))
            }
        }
        for module in HostFiles.espModules {
            required.append(Drivers.Requirement(module: module, reason: "the ESP is mounted at /efi (vfat) and boot counting reads EFI variables"))
        }
        for module in kernel?.initrdModules ?? [] {
            required.append(Drivers.Requirement(module: module.value, reason: "initrd: \(module.location)"))
        }
        return Drivers.Request(keep: manifest.drivers.keep.map(\.value), deny: manifest.drivers.deny.map(\.value),
                               hardware: manifest.drivers.hardware.map(\.value), required: required)
    }

    /// Modules the tree's own configuration needs: a package that registers binary formats
    /// (python3.11's binfmt.d file) makes systemd mount binfmt_misc, which fails without it.
    static func treeRequirements(_ tree: FileTree) -> [Drivers.Requirement] {
        let formats = ["/usr/lib/binfmt.d", "/etc/binfmt.d", "/lib/binfmt.d"].flatMap { directory in
            tree.children(of: directory).filter { $0.hasSuffix(".conf") }
        }
        guard let first = formats.sorted().first else { return [] }
        return [Drivers.Requirement(module: "binfmt_misc", reason: "systemd-binfmt registers the formats of \(first)\(formats.count > 1 ? " and \(formats.count - 1) more" : "")")]
    }

}
