import HostTuning

extension TuningRender {
    /// Pools (command line, or per node through the tuning service) and one hugetlbfs mount
    /// unit per page size.
    mutating func hugepages(_ tuning: Tuning, manifest: String) {
        for (index, pool) in (tuning.hugepages?.pools ?? []).enumerated() {
            let size = Size.format(pool.size.value)
            promises.pools.append(TuningPromises.Pool(sizeKB: pool.size.value >> 10, count: pool.count.value, node: pool.node?.value))
            if let node = pool.node {
                note("tuning.hugepages.pools[\(index)]: \(pool.count.value) × \(size) on node \(node.value)",
                     [Self.tuningServicePath, TuningPromises.path],
                     why: "a pool on one NUMA node is allocated early at boot (node\(node.value)/nr_hugepages), read back, and a shortfall fails the boot's health gate",
                     source: pool.location)
            } else {
                note("tuning.hugepages.pools[\(index)]: \(pool.count.value) × \(size)",
                     ["command line: hugepagesz=\(size) hugepages=\(pool.count.value) (summed per size)", TuningPromises.path],
                     why: "reserved by the kernel at boot, before memory fragments; the health gate reads the count back",
                     source: pool.location)
            }
        }
        let group = tuning.dpdk?.group.value
        for (index, mount) in tuning.hugetlbfs.enumerated() {
            let owner = mount.group?.value ?? group
            let mode = mount.mode.flatMap { UInt32($0.value, radix: 8) } ?? (owner == nil ? 0o755 : 0o770)
            promises.mounts.append(TuningPromises.Mount(path: mount.path.value, pageSizeKB: mount.pageSize.value >> 10, group: owner, mode: mode))
            let unit = Self.mountUnitName(mount.path.value)
            var options = "nosuid,nodev,pagesize=\(Size.format(mount.pageSize.value)),mode=\(TuningPromises.octal(mode))"
            if let owner { options += ",gid=\(owner)" }
            let text = Self.banner(mount.location, "tuning.hugetlbfs[\(index)]") + """
                [Unit]
                Description=Huge pages of \(Size.format(mount.pageSize.value)) at \(mount.path.value) (hostimg tuning)
                Documentation=https://docs.kernel.org/admin-guide/mm/hugetlbpage.html
                DefaultDependencies=no
                Before=sysinit.target
                Conflicts=umount.target
                Before=umount.target

                [Mount]
                What=hugetlbfs
                Where=\(mount.path.value)
                Type=hugetlbfs
                Options=\(options)

                """
            add(Self.unitDirectory + unit, text, why: "hugetlbfs mount for \(Size.format(mount.pageSize.value)) pages", source: mount.location)
            link(Self.unitDirectory + "sysinit.target.wants/" + unit, to: Self.unitDirectory + unit,
                 why: "mounted in every boot", source: mount.location)
            note("tuning.hugetlbfs[\(index)]: \(mount.path.value)", [Self.unitDirectory + unit, TuningPromises.path],
                 why: "DPDK and VMs map huge pages from files here; pagesize=\(Size.format(mount.pageSize.value)) group \(owner ?? "root") mode \(TuningPromises.octal(mode))"
                    + (mount.group == nil && group != nil ? " (group from tuning.dpdk.group)" : ""),
                 source: mount.location)
        }
    }

    /// Per-device binding (udev rule + tuning service), `ids=` and softdeps, the management NIC.
    mutating func vfio(_ tuning: Tuning, nativeDrivers: (String) -> [String]) {
        let devices = tuning.vfio.devices
        let ids = tuning.vfio.ids
        if let nic = tuning.managementNic, let address = nic.address?.value { promises.keptDevices.append(address) }
        guard !devices.isEmpty || !ids.isEmpty else { return }
        let rules = "/etc/udev/rules.d/40-hostimg-vfio.rules"
        let modprobe = "/etc/modprobe.d/hostimg-vfio.conf"
        var ruleLines: [String] = []
        for (index, device) in devices.enumerated() {
            promises.vfioDevices.append(device.address.value)
            ruleLines.append(Self.banner(device.location, "tuning.vfio.devices[\(index)]")
                             + "ACTION==\"add\", SUBSYSTEM==\"pci\", KERNEL==\"\(device.address.value)\", ATTR{driver_override}=\"vfio-pci\", RUN{builtin}+=\"kmod load vfio-pci\"")
            note("tuning.vfio.devices[\(index)]: \(device.address.value)" + (device.id.map { " (\($0.value))" } ?? ""),
                 [rules, Self.tuningServicePath, TuningPromises.path],
                 why: "driver_override=vfio-pci is set when the device appears, before a native driver can claim it; the tuning service binds it if a driver already did, and the health gate checks it",
                 source: device.location)
        }
        if let group = tuning.dpdk?.group {
            ruleLines.append(Self.banner(group.location, "tuning.dpdk.group")
                             + "SUBSYSTEM==\"vfio\", KERNEL!=\"vfio\", GROUP=\"\(group.value)\", MODE=\"0660\"")
            promises.deviceGroup = group.value
        }
        if !devices.isEmpty || tuning.dpdk != nil {
            add(rules, ruleLines.joined(separator: "\n") + "\n", why: "vfio-pci claims the named devices at boot", source: devices.first?.location ?? ids[0].location)
        }
        var lines: [String] = []
        if !ids.isEmpty {
            lines.append(Self.banner(ids[0].location, "tuning.vfio.ids") + "options vfio-pci ids=" + ids.map(\.id.value).joined(separator: ","))
            for (index, id) in ids.enumerated() {
                note("tuning.vfio.ids[\(index)]: \(id.id.value)", [modprobe],
                     why: "vfio-pci takes every device of this model (options vfio-pci ids=)", source: id.location)
            }
        }
        let claimed = ids.map { ($0.id.value, $0.location) } + devices.compactMap { device in device.id.map { ($0.value, device.location) } }
        var softdeps: [String: SourceLocation] = [:]
        for (id, location) in claimed {
            for module in nativeDrivers(id) where module != "vfio_pci" && module != "vfio-pci" && softdeps[module] == nil {
                softdeps[module] = location
            }
        }
        for module in softdeps.keys.sorted() {
            lines.append("softdep \(module) pre: vfio-pci")
        }
        if !lines.isEmpty {
            let header = Self.banner(ids.first?.location ?? devices[0].location, ids.isEmpty ? "tuning.vfio.devices[].id" : "tuning.vfio")
                + "# vfio-pci loads before the native drivers of the devices it takes.\n"
            add(modprobe, header + lines.joined(separator: "\n") + "\n", why: "vfio-pci ids and load order",
                source: ids.first?.location ?? devices[0].location)
        }
        if !softdeps.isEmpty, let first = claimed.first {
            note("native drivers of the vfio devices: \(softdeps.keys.sorted().joined(separator: ", "))", [modprobe],
                 why: "softdep … pre: vfio-pci, so vfio-pci is loaded (and claims its devices) before the native driver", source: first.1)
        }
    }
}
