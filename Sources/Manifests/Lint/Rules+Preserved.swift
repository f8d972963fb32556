/// Preserved-memory rules (TUNING.md, "kexec"; AGENT.md, "VM preservation"): where the
/// `memmap=` region may sit, what it needs in the image, and that a kexec switch keeps it.
extension RuleContext {
    /// The first 16 MiB hold the real-mode and BIOS areas and the kernel's default load
    /// address (CONFIG_PHYSICAL_START).
    static let lowestPreservedAddress: UInt64 = 16 << 20
    static let fourGiB: UInt64 = 4 << 30
    /// The least RAM a machine keeps below its 32-bit PCI hole when it has that much (q35
    /// with 2.75 GiB or more, and most servers, put the hole at 2–3.5 GiB), for a profile
    /// that does not say (`memoryBelow4G`).
    static let assumedMemoryBelow4G: UInt64 = 2 << 30

    mutating func checkPreservedMemory() {
        checkPreservedAcrossKexec()
        guard let region = tuning.preservedMemory else { return }
        let alignment = Tuning.PreservedMemory.alignment
        for (field, value) in [("size", Optional(region.size)), ("offset", region.offset)] {
            guard let value, value.value % alignment != 0 else { continue }
            sink.error(value.location, "preserved.alignment",
                       "`tuning.preservedMemory.\(field)` \(Size.describe(value.value)) is not a multiple of 2 MiB",
                       hint: "the kernel adds the region's pages in 2 MiB sections and DAX maps 2 MiB pages; round to \(Size.format((value.value / alignment + 1) * alignment))")
        }
        let large = Tuning.PreservedMemory.largeAlignment
        if region.size.value >= large, region.offsetValue % alignment == 0, region.offsetValue % large != 0 {
            sink.warning(region.offset?.location ?? region.location, "preserved.gigabyte-alignment",
                         "the preserved region \(region.summary) is 1 GiB or larger but does not start on a 1 GiB boundary",
                         hint: "1 GiB mappings (device DAX, 1G guest pages) need a 1 GiB-aligned region, e.g. offset: \(Size.format((region.offsetValue / large + 1) * large))")
        }
        if region.offsetValue < Self.lowestPreservedAddress {
            sink.error(region.offset?.location ?? region.location, "preserved.address",
                       "the preserved region \(region.summary) starts below 16 MiB, where the BIOS areas and the kernel's load address are",
                       hint: "place it at 4G or above (the default), or at least at 16M")
        } else if region.offsetValue < Self.fourGiB, region.end > Self.fourGiB {
            sink.error(region.offset?.location ?? region.location, "preserved.address",
                       "the preserved region \(region.summary) runs across 4G, through the 32-bit PCI hole, which is not RAM",
                       hint: "place it wholly above 4G (offset: 4G) or wholly below the hole")
        }
        checkPreservedTools(region)
    }

    /// The agent formats an empty region with mkfs.ext4 (e2fsprogs, a `required` package that
    /// the Essential set brings in). A base tarball is checked by the build instead.
    private mutating func checkPreservedTools(_ region: Tuning.PreservedMemory) {
        guard let packages = manifest.packages else { return }
        let name = "e2fsprogs"
        if let exclusion = packages.exclude.first(where: { $0.value == name }) {
            sink.error(exclusion.location, "preserved.e2fsprogs",
                       "`tuning.preservedMemory` (line \(region.location.line)) needs e2fsprogs (mkfs.ext4), which `packages.exclude` removes",
                       hint: "remove e2fsprogs from `packages.exclude`")
        } else if let essential = packages.essential, !essential.value, !packages.include.contains(where: { $0.value == name }) {
            sink.error(essential.location, "preserved.e2fsprogs",
                       "`tuning.preservedMemory` (line \(region.location.line)) needs e2fsprogs (mkfs.ext4), which only the Essential/required set brings in",
                       hint: "add e2fsprogs to `packages.include`")
        }
    }

    /// The region against the machine: inside its RAM, and small enough to leave the host its
    /// reserve next to the hugepage pools.
    mutating func checkPreservedAgainstHardware() {
        guard let hardware, let region = tuning.preservedMemory, !hardware.nodes.isEmpty,
              !manifest.isInvalid("tuning.preservedMemory.offset") else { return }
        let total = hardware.totalMemory
        let below = min(total, hardware.memoryBelow4G?.value ?? Self.assumedMemoryBelow4G)
        // Declared: the rest of the memory continues at 4G. Not declared: as if everything
        // below 4G were RAM, the least that can be left above it.
        let above = hardware.memoryBelow4G != nil ? total - below : (total > Self.fourGiB ? total - Self.fourGiB : 0)
        var ranges: [(UInt64, UInt64)] = []
        if below > Self.lowestPreservedAddress { ranges.append((Self.lowestPreservedAddress, below)) }
        if above > 0 { ranges.append((Self.fourGiB, Self.fourGiB + above)) }
        let inside = ranges.contains { region.offsetValue >= $0.0 && region.end <= $0.1 }
        let straddles = region.offsetValue < Self.fourGiB && region.end > Self.fourGiB
        if !inside, !straddles, region.offsetValue >= Self.lowestPreservedAddress {
            let listed = ranges.isEmpty ? "none" : ranges.map { "\(Size.format($0.0))–\(Size.format($0.1))" }.joined(separator: " and ")
            let assumed = hardware.memoryBelow4G == nil
                ? "; lint assumed \(Size.format(Self.assumedMemoryBelow4G)) below the PCI hole and the least RAM above 4G: give the profile's `memoryBelow4G` for its exact layout" : ""
            sink.error(region.offset?.location ?? region.location, "preserved.outside-memory",
                       "the preserved region \(region.summary), \(Size.format(region.offsetValue))–\(Size.format(region.end)), is not RAM on \(hardware.file) (RAM: \(listed))",
                       hint: "move or shrink it to fit one of those ranges" + assumed)
        }
        let pools = (tuning.hugepages?.pools ?? []).reduce(UInt64(0)) { $0 + $1.size.value * UInt64($1.count.value) }
        let reserve = tuning.hugepages?.hostReserve?.value ?? Tuning.Hugepages.defaultHostReserve
        let needed = region.size.value + pools + reserve * UInt64(hardware.nodes.count)
        if needed > total {
            let nodes = hardware.nodes.count == 1 ? "" : " × \(hardware.nodes.count) nodes"
            sink.error(region.size.location, "preserved.memory",
                       "the preserved region (\(Size.describe(region.size.value))), the hugepage pools (\(Size.describe(pools))) and the host reserve (\(Size.describe(reserve))\(nodes)) need \(Size.describe(needed)); \(hardware.file) has \(Size.describe(total))",
                       hint: "shrink the region or the pools to at most \(Size.describe(total)) together with the reserve")
        }
    }

    /// `--previous`: the running kernel reserved the region its own command line names; the
    /// new slot must reserve exactly the same, or guests resume onto memory the new kernel
    /// hands out (or the region the agent saved them into is gone).
    private mutating func checkPreservedAcrossKexec() {
        guard let previous else { return }
        let fields = ["tuning.preservedMemory.size", "tuning.preservedMemory.offset"]
        guard !fields.contains(where: { previous.isInvalid($0) || manifest.isInvalid($0) }) else { return }
        let old = previous.tuning.preservedMemory
        let new = tuning.preservedMemory
        guard old.map({ [$0.size.value, $0.offsetValue] }) != new.map({ [$0.size.value, $0.offsetValue] }) else { return }
        sink.error(new?.location ?? top, "kexec.preserved-change",
                   "the preserved-memory region changes from \(old?.summary ?? "none") (\(previous.file)) to \(new?.summary ?? "none"); a kexec switch must keep it identical",
                   hint: (old.map { "keep `tuning.preservedMemory` as the running slot has it (`\($0.kernelParameter)`)" }
                          ?? "leave `tuning.preservedMemory` out, as the running slot has no region")
                       + "; change it only with a cold reboot and no preserved VMs")
    }
}
