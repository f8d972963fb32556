/// What a rule sees: the decoded manifest with its kernel file and hardware profile, and a
/// sink for findings.
struct RuleContext {
    let manifest: Manifest
    let kernel: KernelFile?
    let hardware: HardwareProfile?
    let previous: Manifest?
    var sink = DiagnosticSink()

    var tuning: Tuning { manifest.tuning }
    /// Where to report what belongs to no single value.
    var top: SourceLocation { .file(manifest.file) }
}

/// Every manifest rule, in a fixed order. Schema and reference problems are found while
/// loading; these rules run on what loaded.
public enum ManifestRules {
    public static func check(_ loaded: LoadedManifest, previous: Manifest? = nil) -> [Diagnostic] {
        guard let manifest = loaded.manifest else { return [] }
        var context = RuleContext(manifest: manifest, kernel: loaded.kernel, hardware: loaded.hardware, previous: previous)
        context.checkGeneral()
        context.checkHugepages()
        context.checkCPUs()
        context.checkDevices()
        context.checkDPDK()
        context.checkPreservedMemory()
        context.checkKernelCommandLine()
        if loaded.hardware != nil {
            context.checkHugepagesAgainstHardware()
            context.checkCPUsAgainstHardware()
            context.checkDevicesAgainstHardware()
            context.checkPreservedAgainstHardware()
        }
        return context.sink.diagnostics
    }
}

extension RuleContext {
    mutating func checkGeneral() {
        if !manifest.partial {
            switch (manifest.packages, manifest.base) {
            case (nil, nil):
                sink.error(top, "packages.source", "the manifest names no source for the root tree",
                           hint: "add `packages:` (Debian packages) or `base: {tarball: FILE}` (an existing rootfs archive)")
            case let (_?, base?):
                sink.error(base.location, "packages.source", "`packages` and `base.tarball` both provide the root tree",
                           hint: "keep one: packages are resolved and locked, a tarball is used as it is")
            default: break
            }
        }
        if let packages = manifest.packages {
            let excluded = Dictionary(packages.exclude.map { ($0.value, $0) }, uniquingKeysWith: { a, _ in a })
            for name in packages.include {
                if let exclusion = excluded[name.value] {
                    sink.error(exclusion.location, "packages.conflict", "'\(name.value)' is both included (line \(name.location.line)) and excluded",
                               hint: "remove it from one of the two lists")
                }
            }
        }
        let denied = Dictionary(manifest.drivers.deny.map { (Self.moduleKey($0.value), $0) }, uniquingKeysWith: { a, _ in a })
        for module in manifest.drivers.keep {
            if let denial = denied[Self.moduleKey(module.value)] {
                sink.error(denial.location, "drivers.conflict", "module '\(module.value)' is both kept (line \(module.location.line)) and denied",
                           hint: "remove it from `drivers.keep` or from `drivers.deny`")
            }
        }
        checkDisk()
    }

    /// Module names treat `-` and `_` alike, as modprobe does.
    static func moduleKey(_ name: String) -> String {
        name.replacingOccurrences(of: "-", with: "_")
    }

    private mutating func checkDisk() {
        let disk = manifest.disk
        let mib: UInt64 = 1 << 20
        for (field, value) in [("size", disk.size), ("slotSize", disk.slotSize), ("espSize", disk.espSize), ("stateSize", disk.stateSize)] {
            if let value, value.value % mib != 0 {
                sink.error(value.location, "disk.layout", "`disk.\(field)` \(Size.describe(value.value)) is not a whole number of MiB",
                           hint: "partitions are aligned to 1 MiB; round to e.g. \(Size.format((value.value / mib + 1) * mib))")
            }
        }
        if let esp = disk.espSize, esp.value < 64 * mib {
            sink.error(esp.location, "disk.layout", "`disk.espSize` \(Size.format(esp.value)) cannot hold two UKIs and the boot loader",
                       hint: "make the ESP at least 64M (256M is the default)")
        }
        if let slot = disk.slotSize, slot.value < 64 * mib {
            sink.error(slot.location, "disk.layout", "`disk.slotSize` \(Size.format(slot.value)) is too small for a root, its verity tree and signature",
                       hint: "make slots at least 64M (2G is the default)")
        }
        guard let size = disk.size else { return }
        let slot = disk.slotSize?.value ?? Manifest.Disk.defaultSlotSize
        let esp = disk.espSize?.value ?? Manifest.Disk.defaultESPSize
        let state = disk.stateSize?.value ?? Manifest.Disk.defaultStateSize
        let needed = Manifest.Disk.gptOverhead + esp + 2 * slot + state
        if size.value < needed {
            sink.error(size.location, "disk.layout",
                       "`disk.size` \(Size.format(size.value)) is smaller than the partitions need: ESP \(Size.format(esp)) + 2 × slot \(Size.format(slot)) + state \(Size.format(state)) + 2M of GPT = \(Size.format(needed))",
                       hint: "make the disk at least \(Size.format(needed)) or shrink the slots")
        }
    }
}
