import HostTuning

extension TuningRender {
    /// systemd and everything it starts on the housekeeping CPUs.
    mutating func cpus(_ tuning: Tuning) {
        guard let housekeeping = tuning.cpus?.housekeeping else { return }
        let path = "/etc/systemd/system.conf.d/60-hostimg-cpu-affinity.conf"
        let list = housekeeping.value.description
        add(path, Self.banner(housekeeping.location, "tuning.cpus.housekeeping") + "[Manager]\nCPUAffinity=\(list)\n",
            why: "system services run on the housekeeping CPUs", source: housekeeping.location)
        promises.affinity = list
        note("tuning.cpus.housekeeping: \(list)", [path] + (tuning.cpus?.isolated == nil ? [] : ["command line: irqaffinity=\(list)"]),
             why: "systemd (CPUAffinity=) and every service it starts stay off the isolated CPUs; device interrupts too",
             source: housekeeping.location)
    }

    /// The DPDK group, its members, and locked memory for its sessions and services.
    mutating func dpdk(_ tuning: Tuning) {
        guard let dpdk = tuning.dpdk else { return }
        let group = dpdk.group.value
        var sysusers = Self.banner(dpdk.location, "tuning.dpdk") + "g \(group) -\n"
        for member in dpdk.members {
            if member.value != group {
                sysusers += "u \(member.value) - \"DPDK user (hostimg tuning)\" /nonexistent /usr/sbin/nologin\n"
            } else {
                sysusers += "u \(member.value) -:\(group) \"DPDK user (hostimg tuning)\" /nonexistent /usr/sbin/nologin\n"
            }
            sysusers += "m \(member.value) \(group)\n"
        }
        self.sysusers = sysusers
        let sysusersPath = "/usr/lib/sysusers.d/hostimg-dpdk.conf"
        add(sysusersPath, sysusers, why: "the DPDK group and its members", source: dpdk.location)
        let limit = dpdk.memlock.map { "\($0.value >> 10)" } ?? "unlimited"
        let limits = "/etc/security/limits.d/60-hostimg-dpdk.conf"
        add(limits, Self.banner(dpdk.location, "tuning.dpdk.memlock") + "@\(group) - memlock \(limit)\n",
            why: "sessions of the group may lock memory for DMA", source: dpdk.memlock?.location ?? dpdk.location)
        let systemdLimit = dpdk.memlock.map { "\($0.value)" } ?? "infinity"
        var dropIns: [String] = []
        for service in dpdk.services {
            let path = Self.unitDirectory + service.value + ".d/60-hostimg-memlock.conf"
            add(path, Self.banner(service.location, "tuning.dpdk.services") + "[Service]\nLimitMEMLOCK=\(systemdLimit)\n",
                why: "\(service.value) may lock memory for DMA", source: service.location)
            dropIns.append(path)
        }
        note("tuning.dpdk.group: \(group)" + (dpdk.members.isEmpty ? "" : " (members \(dpdk.members.map(\.value).joined(separator: ", ")))"),
             [sysusersPath, "/etc/udev/rules.d/40-hostimg-vfio.rules"],
             why: "a non-root member opens /dev/vfio/N (group \(group), 0660) and the hugetlbfs mounts that name no group of their own",
             source: dpdk.group.location)
        note("tuning.dpdk.memlock: \(dpdk.memlock.map { Size.format($0.value) } ?? "unlimited")", [limits] + dropIns,
             why: "vfio pins every DMA-mapped hugepage; the default 8 MiB memlock limit stops DPDK at start",
             source: dpdk.memlock?.location ?? dpdk.location)
    }

    /// `hostimg-tuning.service` when something is applied at run time: node pools, vfio devices.
    mutating func service(_ tuning: Tuning) {
        let nodePools = promises.pools.contains { $0.node != nil }
        guard nodePools || !promises.vfioDevices.isEmpty else { return }
        let source = tuning.vfio.devices.first?.location ?? tuning.hugepages?.location ?? tuning.vfio.ids.first?.location
        guard let source else { return }
        let path = Self.tuningServicePath
        let text = Self.banner(source, "tuning.hugepages node pools, tuning.vfio.devices") + """
            [Unit]
            Description=hostimg tuning: per-node huge pages and vfio-pci bindings
            Documentation=file:\(TuningPromises.path)
            DefaultDependencies=no
            After=systemd-udev-trigger.service systemd-modules-load.service
            Before=sysinit.target network-pre.target shutdown.target
            Wants=network-pre.target
            Conflicts=shutdown.target

            [Service]
            Type=oneshot
            RemainAfterExit=yes
            ExecStart=\(Self.agent) tuning apply

            [Install]
            WantedBy=sysinit.target

            """
        add(path, text, why: "applies the run-time tuning early in every boot and fails loudly on a shortfall", source: source)
        link(Self.unitDirectory + "sysinit.target.wants/" + Self.tuningService, to: path, why: "runs in every boot", source: source)
    }
}
