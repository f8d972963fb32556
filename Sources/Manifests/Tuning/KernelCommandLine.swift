/// Renders the `tuning` section into kernel parameters (TUNING.md, "What the build renders").
/// The same list travels in every slot's UKI and in the kexec command line, so a kexec boot
/// gets exactly what a cold boot gets.
public enum KernelCommandLine {
    public static func tuningArguments(_ tuning: Tuning) -> [String] {
        var arguments: [String] = []
        if let hugepages = tuning.hugepages, !hugepages.pools.isEmpty {
            if let defaultSize = hugepages.defaultSize {
                arguments.append("default_hugepagesz=\(Size.format(defaultSize.value))")
            }
            // Boot-time pools only: a pool pinned to a node is allocated by the early unit.
            var counts: [UInt64: Int] = [:]
            for pool in hugepages.pools where pool.node == nil {
                counts[pool.size.value, default: 0] += pool.count.value
            }
            for size in counts.keys.sorted(by: >) {
                arguments.append("hugepagesz=\(Size.format(size))")
                arguments.append("hugepages=\(counts[size] ?? 0)")
            }
        }
        switch tuning.iommu?.mode?.value {
        case .intel?: arguments += ["intel_iommu=on", "iommu=pt"]
        case .amd?: arguments += ["iommu=pt"]
        case .off?, nil: break
        }
        if let cpus = tuning.cpus, let isolated = cpus.isolated?.value, !isolated.isEmpty {
            let nohz = cpus.nohzFull?.value ?? isolated
            arguments.append("isolcpus=managed_irq,domain,\(isolated)")
            arguments.append("nohz_full=\(nohz)")
            arguments.append("rcu_nocbs=\(cpus.rcuNocbs?.value ?? nohz)")
            if let housekeeping = cpus.irqAffinity?.value ?? cpus.housekeeping?.value {
                arguments.append("irqaffinity=\(housekeeping)")
            }
        }
        if let preserved = tuning.preservedMemory { arguments.append(preserved.kernelParameter) }
        return arguments
    }

    /// Parameter names the tuning section owns; a kernel file must not set them too.
    static let hugepageParameters: Set<String> = ["hugepages", "hugepagesz", "default_hugepagesz"]
    static let cpuParameters: Set<String> = ["isolcpus", "nohz_full", "rcu_nocbs", "irqaffinity"]
    static let iommuParameters: Set<String> = ["intel_iommu", "amd_iommu", "iommu"]
    /// A second `memmap=` would reserve or expose memory the agent does not know about.
    static let memoryMapParameters: Set<String> = ["memmap"]

    static func name(of argument: String) -> String {
        String(argument.prefix { $0 != "=" })
    }

    /// Positions (indices) of `hugepages=` that do not follow a `hugepagesz=` of their own.
    static func misorderedHugepages(_ arguments: [String]) -> [Int] {
        var pendingSize = false
        var bad: [Int] = []
        for (index, argument) in arguments.enumerated() {
            switch name(of: argument) {
            case "hugepagesz": pendingSize = true
            case "hugepages":
                if !pendingSize { bad.append(index) }
                pendingSize = false
            default: break
            }
        }
        return bad
    }
}
