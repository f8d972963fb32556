/// CPU-isolation rules (TUNING.md, "CPUs").
extension RuleContext {
    /// Every named set, in the order written: housekeeping, isolated, then `sets`.
    private var namedSets: [(name: String, cpus: Located<CPUSet>)] {
        guard let cpus = tuning.cpus else { return [] }
        var all: [(String, Located<CPUSet>)] = []
        if let housekeeping = cpus.housekeeping { all.append(("housekeeping", housekeeping)) }
        if let isolated = cpus.isolated { all.append(("isolated", isolated)) }
        return all + cpus.sets
    }

    mutating func checkCPUs() {
        guard let cpus = tuning.cpus else { return }
        let sets = namedSets
        for (i, later) in sets.enumerated() {
            for earlier in sets[..<i] {
                let shared = later.cpus.value.intersection(earlier.cpus.value)
                if !shared.isEmpty {
                    sink.error(later.cpus.location, "cpus.overlap",
                               "CPU set '\(later.name)' shares CPUs \(shared) with '\(earlier.name)'",
                               hint: "each CPU belongs to one set; remove \(shared) from one of them")
                }
            }
        }
        if let housekeeping = cpus.housekeeping, !housekeeping.value.contains(0) {
            sink.error(housekeeping.location, "cpus.cpu0-housekeeping", "CPU 0 is not a housekeeping CPU",
                       hint: "CPU 0 takes interrupts and timers that cannot move; add it to `housekeeping`")
        }
        let isolated = cpus.isolated?.value ?? CPUSet([])
        if let nohz = cpus.nohzFull, nohz.value != isolated {
            sink.error(nohz.location, "cpus.nohz-full", "nohzFull (\(nohz.value)) differs from the isolated set (\(isolated))",
                       hint: "remove `nohzFull` (it defaults to the isolated set) or make them equal")
        }
        let nohz = cpus.nohzFull?.value ?? isolated
        if let rcu = cpus.rcuNocbs, !rcu.value.isSuperset(of: nohz) {
            sink.error(rcu.location, "cpus.rcu-nocbs", "rcuNocbs (\(rcu.value)) does not contain the nohz_full CPUs \(nohz.subtracting(rcu.value))",
                       hint: "remove `rcuNocbs` (it defaults to nohz_full) or add the missing CPUs")
        }
        if let irq = cpus.irqAffinity, let housekeeping = cpus.housekeeping, irq.value != housekeeping.value {
            sink.error(irq.location, "cpus.irqaffinity", "irqAffinity (\(irq.value)) differs from the housekeeping set (\(housekeeping.value))",
                       hint: "remove `irqAffinity` (it defaults to housekeeping) or make them equal")
        }
    }

    mutating func checkCPUsAgainstHardware() {
        guard let hardware, tuning.cpus != nil, !hardware.nodes.isEmpty else { return }
        let all = hardware.allCPUs
        let sets = namedSets
        for set in sets {
            let unknown = set.cpus.value.subtracting(all)
            if !unknown.isEmpty {
                sink.error(set.cpus.location, "cpus.unknown-cpu", "CPU set '\(set.name)' names CPUs \(unknown) that \(hardware.file) does not have (it has \(all))",
                           hint: "use CPUs the machine has")
            }
        }
        if let housekeeping = tuning.cpus?.housekeeping {
            for node in hardware.nodes where node.cpus.value.intersection(housekeeping.value).isEmpty {
                sink.warning(housekeeping.location, "cpus.node-housekeeping", "NUMA node \(node.id.value) has no housekeeping CPU",
                             hint: "add one of node \(node.id.value)'s CPUs (\(node.cpus.value)) to `housekeeping`")
            }
        }
        let covered = sets.reduce(CPUSet([])) { $0.union($1.cpus.value) }
        let missing = all.subtracting(covered)
        if !missing.isEmpty, let cpus = tuning.cpus {
            sink.warning(cpus.location, "cpus.coverage", "CPUs \(missing) are in no CPU set",
                         hint: "add them to `housekeeping`, `isolated` or a named set")
        }
        var owner: [Int: String] = [:]
        for set in sets { for cpu in set.cpus.value.cpus { owner[cpu] = set.name } }
        for group in hardware.smt {
            let owners = Set(group.value.cpus.map { owner[$0] ?? "(none)" })
            if owners.count > 1, let cpus = tuning.cpus {
                let first = sets.first { !$0.cpus.value.intersection(group.value).isEmpty }
                sink.warning(first?.cpus.location ?? cpus.location, "cpus.smt-split",
                             "SMT siblings \(group.value) are split across sets \(owners.sorted().joined(separator: ", "))",
                             hint: "keep both threads of a core in the same set")
            }
        }
    }
}
