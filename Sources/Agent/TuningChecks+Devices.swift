import HostTuning
import SystemIO

extension TuningChecks {
    /// The mount at the promised path is hugetlbfs with the promised page size, and its root
    /// directory has the promised group and mode.
    func mountCheck(_ mount: TuningPromises.Mount) -> HealthGate.Check {
        let name = "tuning/mount \(mount.path)"
        guard let table = try? read("/proc/self/mountinfo") else { return Self.fail(name, "cannot read /proc/self/mountinfo") }
        guard let entry = MountTable(table).top(at: mount.path) else { return Self.fail(name, "nothing is mounted at \(mount.path)") }
        guard entry.type == "hugetlbfs" else { return Self.fail(name, "\(mount.path) is \(entry.type), not hugetlbfs") }
        let wanted = "pagesize=" + Self.kernelPageSize(mount.pageSizeKB)
        let shown = entry.superOptions.first { $0.hasPrefix("pagesize=") }
        guard let shown, Self.kilobytes(String(shown.dropFirst("pagesize=".count))) == mount.pageSizeKB else {
            return Self.fail(name, "\(mount.path) has \(shown ?? "no pagesize"), the image promises \(wanted)")
        }
        guard let status = try? SystemIO.status(of: root + mount.path) else { return Self.fail(name, "cannot stat \(mount.path)") }
        var problems: [String] = []
        if status.mode & 0o7777 != mount.mode {
            problems.append("mode \(TuningPromises.octal(status.mode & 0o7777)), not \(TuningPromises.octal(mount.mode))")
        }
        let group = mount.group ?? "root"
        switch groupID(group) {
        case let gid? where gid != status.groupID: problems.append("group id \(status.groupID), not \(group) (\(gid))")
        case nil: problems.append("group \(group) is not in /etc/group")
        default: break
        }
        return problems.isEmpty
            ? Self.pass(name, "hugetlbfs \(wanted) group \(group) mode \(TuningPromises.octal(mount.mode))")
            : Self.fail(name, "\(mount.path): " + problems.joined(separator: ", "))
    }

    /// The preserved region's file system is mounted at its path: ext4 with DAX on a pmem
    /// device (what `hostimg-agent preserved mount` leaves).
    func preservedCheck(_ preserved: TuningPromises.Preserved) -> HealthGate.Check {
        let name = "tuning/preserved"
        guard let table = try? read("/proc/self/mountinfo") else { return Self.fail(name, "cannot read /proc/self/mountinfo") }
        guard let entry = MountTable(table).top(at: preserved.path) else {
            return Self.fail(name, "nothing is mounted at \(preserved.path) (hostimg-preserved.service; \(preserved.kernelParameter))")
        }
        let dax = entry.superOptions.contains { $0 == "dax" || $0 == "dax=always" }
        guard entry.type == "ext4", dax, entry.source.hasPrefix("/dev/pmem") else {
            return Self.fail(name, "\(preserved.path) is \(entry.source) (\(entry.type), \(entry.superOptions.joined(separator: ","))), not ext4 with dax on a pmem device")
        }
        return Self.pass(name, "\(entry.source) ext4 dax at \(preserved.path) (\(preserved.kernelParameter))")
    }

    /// A page size as the manifest writes it ("2M", "1G").
    static func kernelPageSize(_ kilobytes: UInt64) -> String {
        if kilobytes >= 1 << 20, kilobytes % (1 << 20) == 0 { return "\(kilobytes >> 20)G" }
        if kilobytes >= 1 << 10, kilobytes % (1 << 10) == 0 { return "\(kilobytes >> 10)M" }
        return "\(kilobytes)K"
    }

    /// A hugetlbfs `pagesize=` value in kB: the kernel prints K or M (6.1 shows 1G pages as
    /// "1024M"), newer ones G.
    static func kilobytes(_ text: String) -> UInt64? {
        guard let unit = text.last, let number = UInt64(text.dropLast()) else { return nil }
        switch unit {
        case "K", "k": return number
        case "M", "m": return number << 10
        case "G", "g": return number << 20
        default: return nil
        }
    }

    func groupID(_ name: String) -> UInt32? {
        guard let text = try? read("/etc/group") else { return nil }
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false)
            if fields.count >= 3, fields[0] == name { return UInt32(fields[2]) }
        }
        return nil
    }

    /// The driver a PCI device is bound to: the `/sys/bus/pci/drivers/NAME` that lists it.
    func driver(of address: String) -> String? {
        let drivers = "/sys/bus/pci/drivers"
        guard let names = try? SystemIO.list(root + drivers) else { return nil }
        return names.sorted().first { SystemIO.exists(root + drivers + "/" + $0 + "/" + address) }
    }

    func bindingCheck(_ address: String, wanted: Bool) -> HealthGate.Check {
        let name = wanted ? "tuning/vfio \(address)" : "tuning/keep \(address)"
        guard SystemIO.exists(root + "/sys/bus/pci/devices/" + address) else {
            return wanted ? Self.fail(name, "no PCI device \(address) on this host") : Self.pass(name, "no PCI device \(address)")
        }
        let bound = driver(of: address)
        if wanted {
            return bound == "vfio-pci"
                ? Self.pass(name, "bound to vfio-pci")
                : Self.fail(name, "\(address) is \(bound.map { "bound to \($0)" } ?? "bound to no driver"), not vfio-pci")
        }
        return bound == "vfio-pci"
            ? Self.fail(name, "\(address) (the management NIC) is bound to vfio-pci: the host would lose its network")
            : Self.pass(name, bound.map { "on \($0)" } ?? "not on vfio-pci")
    }

    /// Every vfio group device (`/dev/vfio/N`) belongs to the group and is group-readable and
    /// writable, so a non-root DPDK process can open it.
    func deviceGroupCheck(_ group: String) -> HealthGate.Check {
        let name = "tuning/device-group"
        guard let gid = groupID(group) else { return Self.fail(name, "group \(group) is not in /etc/group") }
        guard let entries = try? SystemIO.list(root + "/dev/vfio") else { return Self.fail(name, "/dev/vfio is missing") }
        let groups = entries.filter { !$0.isEmpty && $0.allSatisfy(\.isNumber) }.sorted()
        guard !groups.isEmpty else { return Self.fail(name, "/dev/vfio holds no group device") }
        var wrong: [String] = []
        for entry in groups {
            guard let status = try? SystemIO.status(of: root + "/dev/vfio/" + entry) else { wrong.append("\(entry): cannot stat"); continue }
            if status.groupID != gid || status.mode & 0o060 != 0o060 {
                wrong.append("/dev/vfio/\(entry) group id \(status.groupID) mode \(TuningPromises.octal(status.mode & 0o7777))")
            }
        }
        return wrong.isEmpty
            ? Self.pass(name, "/dev/vfio/{\(groups.joined(separator: ","))} group \(group), group read-write")
            : Self.fail(name, "not usable by group \(group) (\(gid)): " + wrong.joined(separator: "; "))
    }

    /// systemd (PID 1) runs on the housekeeping CPUs, so every service it starts does too.
    func affinityCheck(_ affinity: String) -> HealthGate.Check {
        let name = "tuning/affinity"
        guard let wanted = CPUList.parse(affinity) else { return Self.fail(name, "'\(affinity)' is not a CPU list") }
        guard let status = try? read("/proc/1/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }),
              let got = CPUList.parse(String(line.dropFirst("Cpus_allowed_list:".count)).trimmingWhitespace) else {
            return Self.fail(name, "cannot read Cpus_allowed_list of PID 1")
        }
        return got == wanted
            ? Self.pass(name, "systemd runs on CPUs \(CPUList.format(got))")
            : Self.fail(name, "systemd runs on CPUs \(CPUList.format(got)), the image promises \(CPUList.format(wanted))")
    }
}
