/// IOMMU, vfio and kernel command-line rules (TUNING.md, "IOMMU and devices" and "kexec").
extension RuleContext {
    /// Modules the tuning needs, which driver pruning must keep.
    var modulesTuningNeeds: [String] {
        var modules: [String] = ["kvm"]
        switch tuning.iommu?.mode?.value {
        case .intel?: modules.append("kvm_intel")
        case .amd?: modules.append("kvm_amd")
        case .off?, nil: modules += ["kvm_intel", "kvm_amd"]
        }
        if tuning.vfio.isInUse { modules += ["vfio", "vfio_pci", "vfio_iommu_type1"] }
        if tuning.preservedMemory != nil { modules += Tuning.PreservedMemory.kernelModules }
        return modules
    }

    mutating func checkDevices() {
        let vfio = tuning.vfio
        let unsafe = tuning.iommu?.unsafeNoIommu
        if vfio.isInUse {
            let iommuOn = tuning.iommu?.mode.map { $0.value != .off } ?? false
            if !iommuOn && unsafe?.value != true && !manifest.isInvalid("tuning.iommu.mode") {
                let at = tuning.iommu?.mode?.location ?? vfio.devices.first?.location ?? vfio.ids.first?.location ?? top
                sink.error(at, "iommu.required", "vfio-pci is used but the IOMMU is \(tuning.iommu?.mode == nil ? "not configured" : "off")",
                           hint: "set `tuning.iommu.mode` to intel or amd (or write `unsafeNoIommu: true` for DPDK-only hosts, never for passthrough)")
            }
        }
        if let unsafe, unsafe.value {
            let passthrough = vfio.devices.compactMap(\.purpose).filter { $0.value == .passthrough }
                + vfio.ids.compactMap(\.purpose).filter { $0.value == .passthrough }
            for purpose in passthrough {
                sink.error(purpose.location, "iommu.unsafe-passthrough", "a device is passed through to a VM while `unsafeNoIommu` is set",
                           hint: "a VM with a device and no IOMMU can write all host memory; turn the IOMMU on")
            }
        }
        if let nic = tuning.managementNic {
            if let address = nic.address {
                for device in vfio.devices where device.address.value == address.value {
                    sink.error(device.address.location, "vfio.management-nic",
                               "the management NIC \(address.value) is bound to vfio-pci; the host would lose its network",
                               hint: "remove it from `tuning.vfio.devices`")
                }
            }
            if let id = nic.id {
                for entry in vfio.ids where entry.id.value == id.value {
                    sink.error(entry.id.location, "vfio.management-nic",
                               "`ids: \(id.value)` would bind every device of the management NIC's model, the management NIC (\(nic.address?.value ?? "line \(id.location.line)")) included",
                               hint: "bind the other devices of this model by PCI address under `tuning.vfio.devices` instead")
                }
            }
        }
        for device in vfio.devices {
            if let id = device.id, id.value.hasPrefix(PCI.mellanoxVendor + ":"), device.purpose?.value != .passthrough {
                reportMLX5(at: device.purpose?.location ?? device.address.location, what: "device \(device.address.value) (\(id.value))")
            }
        }
        for entry in vfio.ids where entry.id.value.hasPrefix(PCI.mellanoxVendor + ":") && entry.purpose?.value != .passthrough {
            reportMLX5(at: entry.purpose?.location ?? entry.id.location, what: "id \(entry.id.value)")
        }
        var addresses: [String: Tuning.VFIODevice] = [:]
        for device in vfio.devices {
            if let first = addresses[device.address.value] {
                sink.error(device.address.location, "schema.value", "device \(device.address.value) is listed twice (first at line \(first.location.line))",
                           hint: "remove the repeated entry")
            }
            addresses[device.address.value] = device
        }
        let needed = Set(modulesTuningNeeds)
        for denial in manifest.drivers.deny where needed.contains(Self.moduleKey(denial.value)) {
            sink.error(denial.location, "drivers.tuning-denied", "module '\(denial.value)' is denied but the tuning needs it",
                       hint: "remove it from `drivers.deny`; \(tuning.vfio.isInUse ? "vfio devices and " : "")\(tuning.preservedMemory != nil ? "preserved memory and " : "")KVM need it")
        }
    }

    private mutating func reportMLX5(at location: SourceLocation, what: String) {
        sink.error(location, "vfio.mlx5-bifurcated",
                   "Mellanox/NVIDIA \(what) is bound to vfio-pci for host DPDK; mlx5 NICs use the bifurcated mlx5_core driver",
                   hint: "remove it from vfio (DPDK's mlx5 PMD works over mlx5_core), or set `purpose: passthrough` if it goes to a VM")
    }

    mutating func checkDevicesAgainstHardware() {
        guard let hardware, !hardware.pci.isEmpty else { return }
        let vfio = tuning.vfio
        let byAddress = Dictionary(hardware.pci.map { ($0.address.value, $0) }, uniquingKeysWith: { a, _ in a })
        let ids = Set(vfio.ids.map(\.id.value))
        func boundToVFIO(_ device: HardwareProfile.PCIDevice) -> Bool {
            vfio.devices.contains { $0.address.value == device.address.value } || device.id.map { ids.contains($0.value) } == true
        }
        for device in vfio.devices {
            guard let known = byAddress[device.address.value] else {
                sink.error(device.address.location, "vfio.unknown-device", "\(hardware.file) has no PCI device \(device.address.value)",
                           hint: "check the address with `lspci -D` on the machine")
                continue
            }
            if let id = known.id, id.value.hasPrefix(PCI.mellanoxVendor + ":"), device.id == nil, device.purpose?.value != .passthrough {
                reportMLX5(at: device.address.location, what: "device \(device.address.value) (\(id.value))")
            }
        }
        if let nic = tuning.managementNic, let address = nic.address, let known = byAddress[address.value],
           let id = known.id, let entry = vfio.ids.first(where: { $0.id.value == id.value }), nic.id?.value != id.value {
            sink.error(entry.id.location, "vfio.management-nic",
                       "`ids: \(id.value)` matches the management NIC \(address.value) (per \(hardware.file))",
                       hint: "bind the other devices of this model by PCI address instead")
        }
        var groups: [Int: [HardwareProfile.PCIDevice]] = [:]
        for device in hardware.pci { if let group = device.iommuGroup { groups[group.value, default: []].append(device) } }
        for (group, members) in groups.sorted(by: { $0.key < $1.key }) {
            let bound = members.filter(boundToVFIO)
            let unbound = members.filter { !boundToVFIO($0) }
            guard !bound.isEmpty, !unbound.isEmpty else { continue }
            let at = vfio.devices.first { d in bound.contains { $0.address.value == d.address.value } }?.address.location
                ?? vfio.ids.first { e in bound.contains { $0.id?.value == e.id.value } }?.id.location ?? top
            sink.error(at, "vfio.iommu-group",
                       "IOMMU group \(group) is split: \(bound.map(\.address.value).joined(separator: ", ")) to vfio-pci, \(unbound.map(\.address.value).joined(separator: ", ")) not",
                       hint: "bind every device of the group to vfio-pci, or none")
        }
    }

    /// What the kernel file's command line must leave to the manifest. (The kernel file's own
    /// rules — `pcie_acs_override`, `hugepages=` order — run when it is decoded.)
    mutating func checkKernelCommandLine() {
        if let kernel {
            for argument in kernel.cmdline {
                let name = KernelCommandLine.name(of: argument.value)
                let owner: String?
                if KernelCommandLine.hugepageParameters.contains(name) {
                    owner = tuning.hugepages == nil ? nil : "tuning.hugepages"
                } else if KernelCommandLine.cpuParameters.contains(name) {
                    owner = tuning.cpus == nil ? nil : "tuning.cpus"
                } else if KernelCommandLine.iommuParameters.contains(name) {
                    owner = tuning.iommu == nil ? nil : "tuning.iommu"
                } else if KernelCommandLine.memoryMapParameters.contains(name) {
                    owner = tuning.preservedMemory == nil ? nil : "tuning.preservedMemory"
                } else {
                    owner = nil
                }
                if let owner {
                    sink.error(argument.location, "kernel.cmdline-conflict",
                               "'\(argument.value)' in \(kernel.file) conflicts with `\(owner)`, which renders \(name)=",
                               hint: "remove it from the kernel file; the manifest's `\(owner)` sets it")
                }
            }
        }
        // No `iommu` section renders no IOMMU parameters: that is a mode too ("not set").
        if let previous, !previous.isInvalid("tuning.iommu.mode"), !manifest.isInvalid("tuning.iommu.mode") {
            let old = previous.tuning.iommu?.mode?.value
            let new = tuning.iommu?.mode?.value
            if old != new {
                sink.error(tuning.iommu?.mode?.location ?? tuning.iommu?.location ?? top, "kexec.iommu-change",
                           "IOMMU mode changes from \(old?.rawValue ?? "not set") (\(previous.file)) to \(new?.rawValue ?? "not set"); a kexec switch cannot change it under running VMs",
                           hint: "keep the IOMMU mode; change it only with a cold reboot and drained VMs")
            }
        }
    }
}
