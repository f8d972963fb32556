/// `kernels/*.yaml`: which kernel package a host boots, its extra command line, and the
/// modules the initrd needs to find and verify the root.
public struct KernelFile: Sendable {
    public var file: String
    /// The Debian package that ships the kernel, e.g. `linux-image-cloud-amd64`.
    public var package: Located<String>?
    /// Extra kernel parameters, one per item (`console=ttyS0`).
    public var cmdline: [Located<String>] = []
    public var initrdModules: [Located<String>] = []

    static let keys = ["package", "cmdline", "initrd"]

    static func decode(_ root: YNode, file: String, reader: inout SchemaReader) -> KernelFile {
        var kernel = KernelFile(file: file)
        guard let f = reader.mapping(root, path: "", keys: keys, required: ["package"]) else { return kernel }
        kernel.package = reader.string(f["package"], path: "package")
        if let package = kernel.package, !Manifest.isPackageName(package.value) {
            reader.sink.error(package.location, "schema.value", "'\(package.value)' is not a Debian package name",
                              hint: "e.g. linux-image-cloud-amd64")
        }
        kernel.cmdline = reader.strings(f["cmdline"], path: "cmdline")
        for argument in kernel.cmdline where argument.value.contains(" ") || argument.value.isEmpty {
            reader.sink.error(argument.location, "schema.value", "command-line item '\(argument.value)' must be one parameter",
                              hint: "write one parameter per list item, without spaces")
        }
        if let initrd = f["initrd"], let i = reader.mapping(initrd, path: "initrd", keys: ["modules"]) {
            kernel.initrdModules = reader.strings(i["modules"], path: "initrd.modules")
        }
        kernel.checkCommandLine(into: &reader.sink)
        return kernel
    }
}

extension KernelFile {
    /// Rules on the command line alone (TUNING.md): checked whenever a kernel file is read,
    /// on its own or through a manifest.
    func checkCommandLine(into sink: inout DiagnosticSink) {
        for index in KernelCommandLine.misorderedHugepages(cmdline.map(\.value)) {
            sink.error(cmdline[index].location, "hugepages.cmdline-order",
                       "'\(cmdline[index].value)' does not follow a hugepagesz= of its own",
                       hint: "write hugepagesz=SIZE right before each hugepages=COUNT (better: use the manifest's `tuning.hugepages`)")
        }
        for argument in cmdline where KernelCommandLine.name(of: argument.value) == "pcie_acs_override" {
            sink.error(argument.location, "kernel.acs-override",
                       "pcie_acs_override pretends devices are isolated when they are not; VMs could reach each other's memory",
                       hint: "remove it; pass through whole IOMMU groups instead")
        }
    }
}

/// `hardware/*.yaml`: what a machine has, so lint can check the tuning against it.
public struct HardwareProfile: Sendable {
    public var file: String
    public var nodes: [NumaNode] = []
    /// Each entry is the hardware threads of one core, e.g. "0,32".
    public var smt: [Located<CPUSet>] = []
    public var cpuFlags: [Located<String>] = []
    public var pci: [PCIDevice] = []
    /// The RAM below the 32-bit PCI hole (the end of the last "System RAM" range below 4G in
    /// `/proc/iomem`); the rest of `memory` starts at 4G. Lets lint place a preserved region
    /// exactly; without it lint assumes the least RAM above 4G a machine can have.
    public var memoryBelow4G: Located<UInt64>?

    public struct NumaNode: Sendable {
        public var id: Located<Int>
        public var cpus: Located<CPUSet>
        public var memory: Located<UInt64>
    }

    public struct PCIDevice: Sendable {
        public var address: Located<String>
        public var id: Located<String>?
        public var iommuGroup: Located<Int>?
        public var location: SourceLocation
    }

    static let keys = ["nodes", "smt", "cpuFlags", "pci", "memoryBelow4G"]

    public var allCPUs: CPUSet { nodes.reduce(CPUSet([])) { $0.union($1.cpus.value) } }
    public var hasFlags: Bool { !cpuFlags.isEmpty }
    /// Every node's memory.
    public var totalMemory: UInt64 { nodes.reduce(0) { $0 + $1.memory.value } }

    static func decode(_ root: YNode, file: String, reader: inout SchemaReader) -> HardwareProfile {
        var profile = HardwareProfile(file: file)
        guard let f = reader.mapping(root, path: "", keys: keys, required: ["nodes"]) else { return profile }
        profile.nodes = reader.list(f["nodes"], path: "nodes") { r, item, path in
            guard let n = r.mapping(item, path: path, keys: ["id", "cpus", "memory"], required: ["id", "cpus", "memory"]),
                  let id = r.int(n["id"], path: "\(path).id", range: 0...1023),
                  let cpus = r.cpuSet(n["cpus"], path: "\(path).cpus"),
                  let memory = r.size(n["memory"], path: "\(path).memory") else { return nil }
            return NumaNode(id: id, cpus: cpus, memory: memory)
        }
        profile.smt = reader.list(f["smt"], path: "smt") { r, item, path in r.cpuSet(item, path: path) }
        profile.cpuFlags = reader.strings(f["cpuFlags"], path: "cpuFlags")
        profile.memoryBelow4G = reader.size(f["memoryBelow4G"], path: "memoryBelow4G")
        if let below = profile.memoryBelow4G, below.value > 4 << 30 {
            reader.sink.error(below.location, "schema.value", "`memoryBelow4G` is \(Size.format(below.value)); RAM below 4G cannot be more than 4G",
                              hint: "give the end of the last System RAM range below 4G in /proc/iomem, e.g. 2G")
        }
        profile.pci = reader.list(f["pci"], path: "pci") { r, item, path in
            guard let d = r.mapping(item, path: path, keys: ["address", "id", "iommuGroup"], required: ["address"]),
                  let address = r.pciAddress(d["address"], path: "\(path).address") else { return nil }
            return PCIDevice(address: address, id: r.pciID(d["id"], path: "\(path).id"),
                             iommuGroup: r.int(d["iommuGroup"], path: "\(path).iommuGroup", range: 0...65535), location: item.location)
        }
        var seen: [Int: Located<Int>] = [:]
        for node in profile.nodes {
            if let first = seen[node.id.value] {
                reader.sink.error(node.id.location, "schema.value", "NUMA node \(node.id.value) is listed twice (first at line \(first.location.line))")
            }
            seen[node.id.value] = node.id
        }
        return profile
    }
}
