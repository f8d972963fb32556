/// Hugepage rules (TUNING.md, "Hugepages").
extension RuleContext {
    static let twoMiB: UInt64 = 2 << 20
    static let oneGiB: UInt64 = 1 << 30

    static func pageSizeProblem(_ size: UInt64) -> String? {
        if size == twoMiB || size == oneGiB { return nil }
        if size == 4096 { return "4K is the base page size on x86-64, not a huge page size" }
        return "\(Size.format(size)) is not a huge page size on x86-64"
    }

    mutating func checkHugepages() {
        let mounts = tuning.hugetlbfs
        for mount in mounts {
            if let problem = Self.pageSizeProblem(mount.pageSize.value) {
                sink.error(mount.pageSize.location, "hugepages.page-size", problem, hint: "use 2M or 1G")
            }
        }
        guard let hugepages = tuning.hugepages else {
            for mount in mounts {
                sink.error(mount.pageSize.location, "hugepages.mount-size",
                           "hugetlbfs mount \(mount.path.value) uses \(Size.format(mount.pageSize.value)) pages but no hugepage pool is defined",
                           hint: "add a pool of that size under `tuning.hugepages.pools` or remove the mount")
            }
            return
        }
        var seen: [String: Tuning.Pool] = [:]
        for pool in hugepages.pools {
            if let problem = Self.pageSizeProblem(pool.size.value) {
                sink.error(pool.size.location, "hugepages.page-size", problem, hint: "use 2M or 1G")
            }
            let key = "\(pool.size.value)@\(pool.node.map { String($0.value) } ?? "-")"
            if let first = seen[key] {
                let place = pool.node.map { " on node \($0.value)" } ?? ""
                sink.error(pool.location, "hugepages.duplicate-size",
                           "a \(Size.format(pool.size.value)) pool\(place) is already defined at line \(first.location.line)",
                           hint: "merge the two pools into one with the combined count")
            } else {
                seen[key] = pool
            }
            if pool.size.value == Self.oneGiB, let node = pool.node {
                sink.error(node.location, "hugepages.1g-runtime",
                           "a 1G pool pinned to node \(node.value) would be allocated at run time, when memory is already fragmented",
                           hint: "drop `node:` so the pool is reserved on the kernel command line, or use 2M pages for per-node pools")
            }
        }
        checkMixedPools(hugepages.pools)
        let sizes = Set(hugepages.pools.map(\.size.value))
        if let defaultSize = hugepages.defaultSize {
            if let problem = Self.pageSizeProblem(defaultSize.value) {
                sink.error(defaultSize.location, "hugepages.page-size", problem, hint: "use 2M or 1G")
            } else if !sizes.contains(defaultSize.value) {
                sink.error(defaultSize.location, "hugepages.default-unknown",
                           "the default hugepage size \(Size.format(defaultSize.value)) has no pool",
                           hint: "set `default:` to one of the pool sizes (\(sizes.sorted().map(Size.format).joined(separator: ", ")))")
            }
        } else if !hugepages.pools.isEmpty && !manifest.isInvalid("tuning.hugepages.default") {
            sink.error(hugepages.location, "hugepages.default-missing", "hugepage pools are defined but no default size is set",
                       hint: "add `default: 1G` (or 2M) under `tuning.hugepages`")
        }
        let mountedSizes = Set(mounts.map(\.pageSize.value))
        var reported = Set<UInt64>()
        for pool in hugepages.pools where Self.pageSizeProblem(pool.size.value) == nil && !mountedSizes.contains(pool.size.value) {
            guard reported.insert(pool.size.value).inserted else { continue }
            sink.error(pool.size.location, "hugepages.mount-missing",
                       "\(Size.format(pool.size.value)) pages have no hugetlbfs mount",
                       hint: "add `{path: /dev/hugepages\(Size.format(pool.size.value)), pageSize: \(Size.format(pool.size.value))}` under `tuning.hugetlbfs`")
        }
        for mount in mounts where Self.pageSizeProblem(mount.pageSize.value) == nil && !sizes.contains(mount.pageSize.value) {
            sink.error(mount.pageSize.location, "hugepages.mount-size",
                       "hugetlbfs mount \(mount.path.value) uses \(Size.format(mount.pageSize.value)) pages but no pool of that size exists",
                       hint: "add a \(Size.format(mount.pageSize.value)) pool or change the mount's pageSize")
        }
        var paths: [String: Tuning.HugetlbfsMount] = [:]
        for mount in mounts {
            if let first = paths[mount.path.value] {
                sink.error(mount.path.location, "hugepages.mount-size", "\(mount.path.value) is mounted twice (first at line \(first.location.line))",
                           hint: "give each page size its own mount point")
            }
            paths[mount.path.value] = mount
        }
    }

    mutating func checkHugepagesAgainstHardware() {
        guard let hardware, let hugepages = tuning.hugepages else { return }
        if hardware.hasFlags, !hardware.cpuFlags.contains(where: { $0.value == "pdpe1gb" }) {
            for pool in hugepages.pools where pool.size.value == Self.oneGiB {
                sink.error(pool.size.location, "hugepages.1g-cpu-flag",
                           "1G pages need the CPU flag pdpe1gb, which \(hardware.file) does not list",
                           hint: "use 2M pages on this hardware, or correct the profile's cpuFlags")
            }
        }
        let nodes = Dictionary(hardware.nodes.map { ($0.id.value, $0) }, uniquingKeysWith: { a, _ in a })
        for pool in hugepages.pools {
            if let node = pool.node, nodes[node.value] == nil {
                sink.error(node.location, "hugepages.node-unknown",
                           "NUMA node \(node.value) does not exist in \(hardware.file) (nodes: \(nodes.keys.sorted().map(String.init).joined(separator: ", ")))",
                           hint: "use one of the profile's node ids")
            }
        }
        guard !nodes.isEmpty else { return }
        // Boot-time pools are spread evenly across nodes by the kernel; pinned pools land on theirs.
        let reserve = hugepages.hostReserve?.value ?? Tuning.Hugepages.defaultHostReserve
        let spread = hugepages.pools.filter { $0.node == nil }.reduce(UInt64(0)) { $0 + $1.size.value * UInt64($1.count.value) }
        for node in hardware.nodes.sorted(by: { $0.id.value < $1.id.value }) {
            let pinned = hugepages.pools.filter { $0.node?.value == node.id.value }
                .reduce(UInt64(0)) { $0 + $1.size.value * UInt64($1.count.value) }
            let used = pinned + spread / UInt64(nodes.count)
            let available = node.memory.value > reserve ? node.memory.value - reserve : 0
            if used > available {
                sink.error(hugepages.location, "hugepages.node-memory",
                           "hugepages take \(Size.describe(used)) of node \(node.id.value), which has \(Size.describe(node.memory.value)) with \(Size.describe(reserve)) reserved for the host",
                           hint: "lower the pool counts to at most \(Size.describe(available)) on node \(node.id.value)")
            }
        }
    }

    /// A size is either reserved on the command line or set per node at run time: the early
    /// unit sets a node's count absolutely, which would overwrite the node's share of the
    /// boot-time pool, so the two cannot be combined for one size.
    mutating func checkMixedPools(_ pools: [Tuning.Pool]) {
        for size in Set(pools.map(\.size.value)).sorted() {
            let ofSize = pools.filter { $0.size.value == size }
            guard ofSize.contains(where: { $0.node == nil }), let pinned = ofSize.first(where: { $0.node != nil }),
                  let node = pinned.node else { continue }
            sink.error(node.location, "hugepages.node-mixed",
                       "\(Size.format(size)) pages are reserved on the command line and also pinned to node \(node.value); the node's count would overwrite its share of the boot pool",
                       hint: "give every \(Size.format(size)) pool a `node:` (allocated per node at boot by hostimg-tuning.service) or none (reserved on the command line)")
        }
    }
}
