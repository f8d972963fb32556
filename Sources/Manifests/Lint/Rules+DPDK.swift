/// The DPDK permission rules (TUNING.md, "memlock / permissions for non-root DPDK users").
extension RuleContext {
    /// Groups whose members may already do far more than DPDK needs: naming one as the DPDK
    /// group would hand vfio devices and huge pages to every administrator, or the reverse.
    static let privilegedGroups: Set<String> = ["root", "sudo", "adm", "wheel", "shadow", "disk", "kmem", "staff", "systemd-journal"]

    mutating func checkDPDK() {
        guard let dpdk = tuning.dpdk else { return }
        let group = dpdk.group.value
        if Self.privilegedGroups.contains(group) {
            sink.error(dpdk.group.location, "dpdk.group",
                       "the DPDK group '\(group)' is a privileged system group; its members would get the vfio devices and huge pages, and DPDK users its privileges",
                       hint: "name a group of its own, e.g. `group: dpdk`")
        }
        if !tuning.vfio.isInUse && tuning.hugetlbfs.isEmpty && dpdk.services.isEmpty {
            sink.warning(dpdk.location, "dpdk.nothing-granted",
                         "`tuning.dpdk` grants nothing: no vfio devices, no hugetlbfs mounts and no services",
                         hint: "add the devices (`tuning.vfio`) and mounts (`tuning.hugetlbfs`) DPDK uses, or remove `tuning.dpdk`")
        }
        for mount in tuning.hugetlbfs {
            guard let owner = mount.group, owner.value != group,
                  let mode = mount.mode.flatMap({ UInt32($0.value, radix: 8) }), mode & 0o006 != 0o006 else { continue }
            sink.warning(owner.location, "dpdk.mount-group",
                         "hugetlbfs mount \(mount.path.value) belongs to group '\(owner.value)', not the DPDK group '\(group)': a non-root DPDK user cannot map pages there",
                         hint: "drop `group:` (the mount then takes the DPDK group) or add the DPDK members to '\(owner.value)'")
        }
    }
}
