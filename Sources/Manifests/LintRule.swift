/// The catalogue of every rule a diagnostic can name. SARIF output lists it as the tool's
/// rules; `docs/lint-rules.md` documents it; a test checks that every rule the code emits is here.
public struct LintRule: Hashable, Sendable, Codable {
    public var id: String
    public var severity: Diagnostic.Severity
    /// True when the rule needs a hardware profile (TUNING.md marks these "H").
    public var needsHardware: Bool
    public var summary: String

    public init(_ id: String, _ severity: Diagnostic.Severity, hardware: Bool = false, _ summary: String) {
        self.id = id
        self.severity = severity
        self.needsHardware = hardware
        self.summary = summary
    }
}

extension LintRule {
    public static let catalog: [LintRule] = [
        // Reading the file and YAML syntax.
        LintRule("io.unreadable", .error, "The file cannot be read."),
        LintRule("yaml.too-large", .error, "The file is larger than a manifest may be (1 MiB)."),
        LintRule("yaml.encoding", .error, "The file is not valid UTF-8 or holds control characters."),
        LintRule("yaml.empty", .error, "The file holds no YAML document."),
        LintRule("yaml.tab", .error, "A tab is used for indentation; YAML allows only spaces."),
        LintRule("yaml.syntax", .error, "The YAML does not parse."),
        LintRule("yaml.too-deep", .error, "The document nests deeper than a manifest ever needs."),
        LintRule("yaml.too-large-expanded", .error, "Aliases expand the document past the node limit (an alias bomb)."),
        LintRule("yaml.duplicate-key", .error, "A key appears twice in one mapping."),
        LintRule("yaml.multiple-documents", .error, "A manifest is one YAML document."),
        LintRule("yaml.alias-key", .error, "An alias is used as a mapping key."),

        // Schema.
        LintRule("schema.unknown-key", .error, "A key the schema does not define."),
        LintRule("schema.type", .error, "A value of the wrong type."),
        LintRule("schema.required", .error, "A required field is missing."),
        LintRule("schema.value", .error, "A value outside the allowed set or pattern."),
        LintRule("schema.size", .error, "A size that does not parse (units: K, M, G, T, or KiB, MiB, GiB, TiB)."),
        LintRule("schema.duplicate-item", .warning, "A list names the same item twice."),
        LintRule("image.arch", .error, "Only x86_64 images are supported."),
        LintRule("packages.source", .error, "Exactly one of `packages` and `base.tarball` provides the root tree."),
        LintRule("packages.conflict", .error, "A package is both included and excluded."),
        LintRule("signing.inline", .error, "Key material is written inline instead of by file or environment variable."),
        LintRule("disk.layout", .error, "Disk, slot, ESP and state sizes do not fit together."),

        // References.
        LintRule("ref.kernel", .error, "The kernel file does not exist, is not a regular file, or is not a kernel file."),
        LintRule("ref.overlay", .error, "The overlay directory does not exist or is not a directory."),
        LintRule("ref.extends", .error, "A manifest named by `extends` does not exist, is not a regular file, or is not a manifest."),
        LintRule("ref.hardware", .error, "The hardware profile does not exist, is not a regular file, or is not a hardware profile."),
        LintRule("ref.file", .error, "A file named by the manifest does not exist or is not a regular file."),
        LintRule("extends.cycle", .error, "`extends` forms a cycle."),
        LintRule("path.absolute", .error, "A path in a manifest is absolute; paths are relative and stay inside the project."),
        LintRule("path.outside-project", .error, "A path leads out of the project tree (through `..` or a symbolic link)."),

        // Hugepages (TUNING.md).
        LintRule("hugepages.page-size", .error, "Huge page sizes on x86-64 are 2M and 1G."),
        LintRule("hugepages.duplicate-size", .error, "Two pools have the same size (and node)."),
        LintRule("hugepages.node-mixed", .error, "A page size is both on the command line and pinned to a node."),
        LintRule("hugepages.default-missing", .error, "Pools exist but no default size is set."),
        LintRule("hugepages.default-unknown", .error, "The default size has no pool."),
        LintRule("hugepages.1g-runtime", .error, "A 1G pool is left to run-time allocation."),
        LintRule("hugepages.cmdline-order", .error, "On the command line each `hugepages=` must follow its `hugepagesz=`."),
        LintRule("hugepages.mount-missing", .error, "A page size in use has no hugetlbfs mount."),
        LintRule("hugepages.mount-size", .error, "A hugetlbfs mount names a page size that has no pool."),
        LintRule("hugepages.1g-cpu-flag", .error, hardware: true, "1G pages need the CPU flag pdpe1gb."),
        LintRule("hugepages.node-unknown", .error, hardware: true, "A pool names a NUMA node the hardware does not have."),
        LintRule("hugepages.node-memory", .error, hardware: true, "Hugepages take more than a node's memory minus the host reserve."),

        // CPUs.
        LintRule("cpus.syntax", .error, "A CPU list does not parse."),
        LintRule("cpus.overlap", .error, "Housekeeping, isolated and other named CPU sets overlap."),
        LintRule("cpus.cpu0-housekeeping", .error, "CPU 0 must be a housekeeping CPU."),
        LintRule("cpus.nohz-full", .error, "nohz_full must equal the isolated set."),
        LintRule("cpus.rcu-nocbs", .error, "rcu_nocbs must contain nohz_full."),
        LintRule("cpus.irqaffinity", .error, "irqaffinity must equal the housekeeping set."),
        LintRule("cpus.unknown-cpu", .error, hardware: true, "A CPU set names a CPU the hardware does not have."),
        LintRule("cpus.node-housekeeping", .warning, hardware: true, "A NUMA node has no housekeeping CPU."),
        LintRule("cpus.coverage", .warning, hardware: true, "The CPU sets do not cover every CPU."),
        LintRule("cpus.smt-split", .warning, hardware: true, "SMT siblings are in different CPU sets."),

        // IOMMU and devices.
        LintRule("iommu.required", .error, "vfio-pci is in use but the IOMMU is off."),
        LintRule("iommu.unsafe-passthrough", .error, "Passthrough to a VM without an IOMMU is never allowed."),
        LintRule("pci.address", .error, "A PCI address is not DDDD:BB:DD.F."),
        LintRule("pci.id", .error, "A PCI id is not 4-hex vvvv:dddd."),
        LintRule("vfio.management-nic", .error, "The management NIC would be bound to vfio-pci."),
        LintRule("vfio.mlx5-bifurcated", .error, "mlx5 NICs used by host DPDK stay on mlx5_core."),
        LintRule("vfio.iommu-group", .error, hardware: true, "Devices of one IOMMU group are bound differently."),
        LintRule("vfio.unknown-device", .error, hardware: true, "A PCI address the hardware does not have."),
        LintRule("kernel.acs-override", .error, "pcie_acs_override breaks IOMMU isolation."),
        LintRule("kernel.cmdline-conflict", .error, "The kernel file's command line sets what the tuning section owns."),
        LintRule("drivers.tuning-denied", .error, "A module the tuning needs is denied by `drivers.deny`."),
        LintRule("drivers.conflict", .error, "A module is both kept and denied."),
        LintRule("kexec.iommu-change", .error, "The IOMMU mode differs between the running and the target slot."),

        // Preserved memory (VM-preserving switches).
        LintRule("preserved.alignment", .error, "The preserved region's size or offset is not a multiple of 2 MiB."),
        LintRule("preserved.gigabyte-alignment", .warning, "A preserved region of 1 GiB or more does not start on a 1 GiB boundary."),
        LintRule("preserved.address", .error, "The preserved region starts below 16 MiB or runs across 4G (the PCI hole)."),
        LintRule("preserved.e2fsprogs", .error, "The preserved region needs mkfs.ext4, but the package set leaves e2fsprogs out."),
        LintRule("preserved.outside-memory", .error, hardware: true, "The preserved region is not inside the hardware's RAM."),
        LintRule("preserved.memory", .error, hardware: true, "The preserved region, the hugepage pools and the host reserve need more than the memory."),
        LintRule("kexec.preserved-change", .error, "The preserved-memory region differs between the running and the target slot."),

        // Non-root DPDK.
        LintRule("dpdk.group", .error, "The DPDK group is a privileged system group."),
        LintRule("dpdk.nothing-granted", .warning, "`tuning.dpdk` names no devices, mounts or services to grant."),
        LintRule("dpdk.mount-group", .warning, "A hugetlbfs mount belongs to another group than the DPDK group and is closed to others."),
    ]

    private static let byID: [String: LintRule] = Dictionary(uniqueKeysWithValues: catalog.map { ($0.id, $0) })

    public static func named(_ id: String) -> LintRule? { byID[id] }
}
