import HostTuning

/// Renders the `tuning` section into the files of the image (TUNING.md, "What the build
/// renders"), each with the manifest line that produced it, and into the promises the agent
/// applies and checks on the running host (`TuningPromises`).
///
/// ```
/// kernel command line                         hugepages, IOMMU, CPU isolation, memmap= (KernelCommandLine)
/// /usr/lib/hostimg/tuning.conf                the promises, for hostimg-agent
/// /etc/systemd/system/PATH.mount              one hugetlbfs mount per page size (pagesize=, gid=, mode=)
/// /usr/lib/systemd/system/hostimg-tuning.service   per-node pools, vfio-pci bindings (early)
/// /etc/udev/rules.d/40-hostimg-vfio.rules     driver_override before any driver loads; /dev/vfio group
/// /etc/modprobe.d/hostimg-vfio.conf           vfio-pci ids=, softdeps on the native drivers
/// /etc/systemd/system.conf.d/60-hostimg-cpu-affinity.conf   systemd on the housekeeping CPUs
/// /usr/lib/sysusers.d/hostimg-dpdk.conf       the DPDK group and its members
/// /etc/security/limits.d/60-hostimg-dpdk.conf and SERVICE.d/60-hostimg-memlock.conf   memlock
/// /usr/lib/systemd/system/hostimg-preserved.service   mounts the preserved region (DAX) early
/// ```
public struct TuningRender: Sendable {
    /// A file (or symlink) of the image and why it is there.
    public struct File: Sendable, Equatable {
        public var path: String
        /// The text of a regular file; nil for a symlink.
        public var text: String?
        /// The target of a symlink.
        public var target: String?
        public var why: String
        public var source: SourceLocation
    }

    /// One setting of the manifest and where it lands, for the report and `hostimg explain tuning`.
    public struct Setting: Sendable, Equatable, Codable {
        /// "tuning.hugepages.pools[0]: 64 × 2M".
        public var setting: String
        /// Where it lands: "command line: hugepagesz=2M hugepages=64", a file path, ...
        public var landsIn: [String]
        public var why: String
        public var source: SourceLocation
    }

    public var files: [File] = []
    public var settings: [Setting] = []
    public var promises = TuningPromises()
    /// The sysusers.d text of the DPDK group, applied to the tree by the build.
    public var sysusers: String?

    public static let unitDirectory = "/etc/systemd/system/"
    public static let tuningService = "hostimg-tuning.service"
    public static let tuningServicePath = "/usr/lib/systemd/system/" + tuningService
    public static let agent = "/usr/bin/hostimg-agent"

    /// `nativeDrivers` names the kernel modules (other than vfio-pci) that would claim a
    /// `vendor:device` id, from the image kernel's modules.alias.
    public static func render(_ tuning: Tuning, manifest: String, nativeDrivers: (String) -> [String] = { _ in [] }) -> TuningRender {
        var render = TuningRender()
        render.commandLine(tuning)
        render.hugepages(tuning, manifest: manifest)
        render.vfio(tuning, nativeDrivers: nativeDrivers)
        render.cpus(tuning)
        render.dpdk(tuning)
        render.service(tuning)
        render.preserved(tuning)
        if !render.promises.isEmpty {
            let header = ["hostimg tuning promises, rendered from \(manifest) by hostimg build.",
                          "hostimg-agent applies the run-time part at boot and checks every line in the health gate."]
            render.files.insert(File(path: TuningPromises.path, text: render.promises.encoded(header: header), target: nil,
                                     why: "what the agent applies and checks on the running host",
                                     source: tuning.hugepages?.location ?? tuning.preservedMemory?.location ?? .file(manifest)), at: 0)
        }
        return render
    }

    mutating func add(_ path: String, _ text: String, why: String, source: SourceLocation) {
        files.append(File(path: path, text: text, target: nil, why: why, source: source))
    }

    mutating func link(_ path: String, to target: String, why: String, source: SourceLocation) {
        files.append(File(path: path, text: nil, target: target, why: why, source: source))
    }

    mutating func note(_ setting: String, _ landsIn: [String], why: String, source: SourceLocation) {
        settings.append(Setting(setting: setting, landsIn: landsIn, why: why, source: source))
    }

    /// A comment naming the manifest line, for the top of each rendered file.
    static func banner(_ source: SourceLocation, _ what: String, comment: String = "#") -> String {
        "\(comment) Rendered by hostimg build from \(source) (\(what)); do not edit.\n"
    }

    /// The command-line parameters, each with its manifest line.
    mutating func commandLine(_ tuning: Tuning) {
        let arguments = KernelCommandLine.tuningArguments(tuning)
        promises.commandLine = arguments
        if let hugepages = tuning.hugepages, let defaultSize = hugepages.defaultSize {
            note("tuning.hugepages.default: \(Size.format(defaultSize.value))", ["command line: default_hugepagesz=\(Size.format(defaultSize.value))"],
                 why: "mappings without an explicit size (and /proc/meminfo HugePages_*) use this size", source: defaultSize.location)
        }
        switch tuning.iommu?.mode?.value {
        case .intel?, .amd?:
            guard let iommu = tuning.iommu else { break }
            let words = arguments.filter { $0.hasPrefix("intel_iommu=") || $0.hasPrefix("iommu=") }
            note("tuning.iommu.mode: \(iommu.mode?.value.rawValue ?? "")", words.map { "command line: \($0)" },
                 why: "vfio-pci needs the IOMMU; pass-through mode (iommu=pt) keeps host DMA fast", source: iommu.location)
        default: break
        }
        if let cpus = tuning.cpus, let isolated = cpus.isolated {
            let words = arguments.filter { ["isolcpus", "nohz_full", "rcu_nocbs", "irqaffinity"].contains(KernelCommandLine.name(of: $0)) }
            note("tuning.cpus.isolated: \(isolated.value)", words.map { "command line: \($0)" },
                 why: "no scheduler load balancing, timer ticks, RCU callbacks or device interrupts on the polling CPUs",
                 source: isolated.location)
        }
    }
}

extension TuningRender {
    /// systemd's unit name for a mount point (systemd-escape --path --suffix=mount).
    public static func mountUnitName(_ path: String) -> String {
        let parts = path.split(separator: "/").filter { !$0.isEmpty }
        guard !parts.isEmpty else { return "-.mount" }
        // Only a '.' that would start the whole name is escaped (systemd's unit_name_path_escape).
        var out = ""
        for (index, byte) in parts.joined(separator: "/").utf8.enumerated() {
            let plain = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ":") || (byte == UInt8(ascii: ".") && index > 0)
            if byte == UInt8(ascii: "/") {
                out += "-"
            } else {
                out += plain ? String(UnicodeScalar(byte)) : "\\x" + String(byte, radix: 16).leftPadded(to: 2)
            }
        }
        return out + ".mount"
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
