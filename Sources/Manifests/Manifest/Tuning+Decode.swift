/// Schema v1, the `tuning` section (TUNING.md): hugepages, hugetlbfs mounts, IOMMU, vfio
/// devices, the management NIC, CPU sets, the DPDK group and preserved memory.
extension Tuning {
    static func decode(_ node: YNode, reader: inout SchemaReader) -> Tuning {
        var tuning = Tuning()
        guard let fields = reader.mapping(node, path: "tuning",
                                          keys: ["hugepages", "hugetlbfs", "iommu", "vfio", "managementNic", "cpus", "dpdk", "preservedMemory"]) else { return tuning }
        if let node = fields["hugepages"] { tuning.hugepages = decodeHugepages(node, reader: &reader) }
        tuning.hugetlbfs = reader.list(fields["hugetlbfs"], path: "tuning.hugetlbfs") { r, item, path in decodeMount(item, path: path, reader: &r) }
        if let node = fields["iommu"], let f = reader.mapping(node, path: "tuning.iommu", keys: ["mode", "unsafeNoIommu"], required: ["mode"]) {
            tuning.iommu = IOMMU(mode: reader.oneOf(f["mode"], path: "tuning.iommu.mode", IOMMUMode.self),
                                 unsafeNoIommu: reader.bool(f["unsafeNoIommu"], path: "tuning.iommu.unsafeNoIommu"),
                                 location: node.location)
        }
        if let node = fields["vfio"], let f = reader.mapping(node, path: "tuning.vfio", keys: ["devices", "ids"]) {
            tuning.vfio.devices = reader.list(f["devices"], path: "tuning.vfio.devices") { r, item, path in decodeDevice(item, path: path, reader: &r) }
            tuning.vfio.ids = reader.list(f["ids"], path: "tuning.vfio.ids") { r, item, path in decodeID(item, path: path, reader: &r) }
        }
        if let node = fields["managementNic"],
           let f = reader.mapping(node, path: "tuning.managementNic", keys: ["address", "id", "interface"]) {
            tuning.managementNic = ManagementNIC(address: reader.pciAddress(f["address"], path: "tuning.managementNic.address"),
                                                id: reader.pciID(f["id"], path: "tuning.managementNic.id"),
                                                interface: reader.string(f["interface"], path: "tuning.managementNic.interface"),
                                                location: node.location)
            if f["address"] == nil && f["id"] == nil {
                reader.sink.error(node.location, "schema.required", "`tuning.managementNic` needs `address:` (and ideally `id:`)",
                                  hint: "name the NIC by PCI address, e.g. address: \"0000:01:00.0\"")
            }
        }
        if let node = fields["cpus"] { tuning.cpus = decodeCPUs(node, reader: &reader) }
        if let node = fields["dpdk"] { tuning.dpdk = decodeDPDK(node, reader: &reader) }
        if let node = fields["preservedMemory"] { tuning.preservedMemory = decodePreserved(node, reader: &reader) }
        return tuning
    }

    /// `preservedMemory: {size, offset}`; a region of no bytes is refused here, where it was
    /// written (the placement rules are lint's, Rules+Preserved.swift).
    private static func decodePreserved(_ node: YNode, reader: inout SchemaReader) -> PreservedMemory? {
        let path = "tuning.preservedMemory"
        guard let f = reader.mapping(node, path: path, keys: ["size", "offset"], required: ["size"]),
              let size = reader.size(f["size"], path: "\(path).size") else { return nil }
        let offset = reader.size(f["offset"], path: "\(path).offset")
        if f["offset"] != nil && offset == nil { return nil }
        if size.value == 0 {
            reader.invalid.insert("\(path).size")
            reader.sink.error(size.location, "schema.value", "`\(path).size` is 0; the region needs memory to keep guests in",
                              hint: "give the RAM of the VMs to preserve, e.g. size: 64G")
            return nil
        }
        return PreservedMemory(size: size, offset: offset, location: node.location)
    }

    /// `dpdk: {group, members, memlock, services}`; names are checked as useradd would.
    private static func decodeDPDK(_ node: YNode, reader: inout SchemaReader) -> DPDK? {
        guard let f = reader.mapping(node, path: "tuning.dpdk", keys: ["group", "members", "memlock", "services"], required: ["group"]),
              let group = reader.string(f["group"], path: "tuning.dpdk.group") else { return nil }
        var dpdk = DPDK(group: group, location: node.location)
        dpdk.members = reader.strings(f["members"], path: "tuning.dpdk.members")
        for name in [group] + dpdk.members where !isAccountName(name.value) {
            reader.sink.error(name.location, "schema.value", "'\(name.value)' is not a valid user or group name",
                              hint: "lowercase letters, digits, '_' and '-', starting with a letter or '_', at most 32 characters")
        }
        if let memlock = f["memlock"] {
            if memlock.scalarText != "unlimited" { dpdk.memlock = reader.size(memlock, path: "tuning.dpdk.memlock") }
        }
        dpdk.services = reader.strings(f["services"], path: "tuning.dpdk.services")
        for service in dpdk.services where !(service.value.hasSuffix(".service") && !service.value.contains("/") && service.value.count > 8) {
            reader.sink.error(service.location, "schema.value", "'\(service.value)' is not a service unit name",
                              hint: "name the unit in full, e.g. ovs-vswitchd.service")
        }
        return dpdk
    }

    static func isAccountName(_ name: String) -> Bool {
        guard let first = name.first, first == "_" || first.isASCII && first.isLowercase, name.count <= 32 else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "_" || $0 == "-") }
    }

    private static func decodeHugepages(_ node: YNode, reader: inout SchemaReader) -> Hugepages? {
        guard let f = reader.mapping(node, path: "tuning.hugepages", keys: ["default", "pools", "hostReserve"]) else { return nil }
        var hugepages = Hugepages(location: node.location)
        hugepages.defaultSize = reader.size(f["default"], path: "tuning.hugepages.default")
        hugepages.hostReserve = reader.size(f["hostReserve"], path: "tuning.hugepages.hostReserve")
        hugepages.pools = reader.list(f["pools"], path: "tuning.hugepages.pools") { r, item, path in
            guard let p = r.mapping(item, path: path, keys: ["size", "count", "node"], required: ["size", "count"]),
                  let size = r.size(p["size"], path: "\(path).size"),
                  let count = r.int(p["count"], path: "\(path).count", range: 0...1_000_000) else { return nil }
            return Pool(size: size, count: count, node: r.int(p["node"], path: "\(path).node", range: 0...1023), location: item.location)
        }
        return hugepages
    }

    private static func decodeMount(_ node: YNode, path: String, reader: inout SchemaReader) -> HugetlbfsMount? {
        guard let f = reader.mapping(node, path: path, keys: ["path", "pageSize", "group", "mode"], required: ["path", "pageSize"]),
              let mountPath = reader.string(f["path"], path: "\(path).path"),
              let pageSize = reader.size(f["pageSize"], path: "\(path).pageSize") else { return nil }
        if !mountPath.value.hasPrefix("/") {
            reader.sink.error(mountPath.location, "schema.value", "`\(path).path` '\(mountPath.value)' is not an absolute path",
                              hint: "e.g. /dev/hugepages1G")
        }
        let mode = reader.string(f["mode"], path: "\(path).mode")
        if let mode, !(mode.value.count == 4 && mode.value.allSatisfy { ("0"..."7").contains($0) }) {
            reader.sink.error(mode.location, "schema.value", "`\(path).mode` '\(mode.value)' is not an octal mode",
                              hint: "write four octal digits in quotes, e.g. \"0770\"")
        }
        return HugetlbfsMount(path: mountPath, pageSize: pageSize, group: reader.string(f["group"], path: "\(path).group"),
                              mode: mode, location: node.location)
    }

    /// A device is `"0000:3b:00.0"` or `{address, id, purpose}`.
    private static func decodeDevice(_ node: YNode, path: String, reader: inout SchemaReader) -> VFIODevice? {
        if node.scalarText != nil {
            return reader.pciAddress(node, path: path).map { VFIODevice(address: $0, id: nil, purpose: nil, location: node.location) }
        }
        guard let f = reader.mapping(node, path: path, keys: ["address", "id", "purpose"], required: ["address"]),
              let address = reader.pciAddress(f["address"], path: "\(path).address") else { return nil }
        return VFIODevice(address: address, id: reader.pciID(f["id"], path: "\(path).id"),
                          purpose: reader.oneOf(f["purpose"], path: "\(path).purpose", Purpose.self), location: node.location)
    }

    /// An id is `"8086:1572"` or `{id, purpose}`.
    private static func decodeID(_ node: YNode, path: String, reader: inout SchemaReader) -> VFIOID? {
        if node.scalarText != nil {
            return reader.pciID(node, path: path).map { VFIOID(id: $0, purpose: nil, location: node.location) }
        }
        guard let f = reader.mapping(node, path: path, keys: ["id", "purpose"], required: ["id"]),
              let id = reader.pciID(f["id"], path: "\(path).id") else { return nil }
        return VFIOID(id: id, purpose: reader.oneOf(f["purpose"], path: "\(path).purpose", Purpose.self), location: node.location)
    }

    private static func decodeCPUs(_ node: YNode, reader: inout SchemaReader) -> CPUs? {
        let keys = ["housekeeping", "isolated", "nohzFull", "rcuNocbs", "irqAffinity", "sets"]
        guard let f = reader.mapping(node, path: "tuning.cpus", keys: keys, required: ["housekeeping"]) else { return nil }
        var cpus = CPUs(location: node.location)
        cpus.housekeeping = reader.cpuSet(f["housekeeping"], path: "tuning.cpus.housekeeping")
        cpus.isolated = reader.cpuSet(f["isolated"], path: "tuning.cpus.isolated")
        cpus.nohzFull = reader.cpuSet(f["nohzFull"], path: "tuning.cpus.nohzFull")
        cpus.rcuNocbs = reader.cpuSet(f["rcuNocbs"], path: "tuning.cpus.rcuNocbs")
        cpus.irqAffinity = reader.cpuSet(f["irqAffinity"], path: "tuning.cpus.irqAffinity")
        if let sets = f["sets"] {
            if let pairs = sets.pairs {
                for pair in pairs {
                    if keys.contains(pair.name) {
                        reader.sink.error(pair.key.location, "schema.value", "set name '\(pair.name)' is reserved",
                                          hint: "`\(pair.name)` is a field of `tuning.cpus`; name the set something else")
                    } else if let set = reader.cpuSet(pair.value, path: "tuning.cpus.sets.\(pair.name)") {
                        cpus.sets.append((pair.name, set))
                    }
                }
            } else {
                reader.typeError(sets, path: "tuning.cpus.sets", expected: "a mapping of set names to CPU lists")
            }
        }
        return cpus
    }
}
