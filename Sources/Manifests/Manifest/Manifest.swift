/// The manifest model, schema v1 (docs/manifest.md documents every field).
///
/// Values keep the place they were written (`Located`), so rules that run after `extends:`
/// merged several files still point at the right file, line and column.
public struct Manifest: Sendable {
    /// The file this manifest was loaded from (the child, not its bases).
    public var file: String
    /// A partial manifest exists to be extended; required fields are not checked in it.
    public var partial = false
    public var image = Image()
    public var packages: Packages?
    public var base: Base?
    /// Path of a `kernels/*.yaml` file, relative to the file that names it.
    public var kernel: Located<String>?
    /// Path of a hardware profile, relative to the file that names it.
    public var hardware: Located<String>?
    public var drivers = Drivers()
    public var locales = Locales()
    public var strip = Strip()
    /// Overlay directories, applied in order, relative to the file that names them.
    public var overlays: [Located<String>] = []
    public var tuning = Tuning()
    public var services = Services()
    public var disk = Disk()
    public var boot = Boot()
    public var signing: Signing?
    /// The project folder (real path) every path the manifest names was checked to stay in;
    /// the build confines what it copies to it (`ProjectRoot`). Set by `ManifestLoader`.
    public var projectRoot: String?
    /// Fields that were written but did not decode (already reported); see `isInvalid`.
    public var invalidFields: Set<String> = []

    public init(file: String) { self.file = file }

    /// True when `path` (e.g. `tuning.iommu.mode`) was written but did not decode: rules that
    /// need the value stay silent instead of reporting it as missing.
    public func isInvalid(_ path: String) -> Bool { invalidFields.contains(path) }

    public struct Image: Sendable {
        public var name: Located<String>?
        public var version: Located<String>?
        public var arch: Located<String>?
        public init() {}
    }

    public struct Packages: Sendable {
        /// nil: the builder's own apt sources.
        public var repository: Repository?
        /// Include the Essential/required set (default true).
        public var essential: Located<Bool>?
        public var include: [Located<String>] = []
        public var exclude: [Located<String>] = []
        public var location: SourceLocation
    }

    public struct Repository: Sendable {
        public var url: Located<String>?
        public var suite: Located<String>?
        public var components: [Located<String>] = []
        public var keyring: Located<String>?
    }

    public struct Base: Sendable {
        public var tarball: Located<String>?
        public var location: SourceLocation
    }

    public struct Drivers: Sendable {
        public var keep: [Located<String>] = []
        public var deny: [Located<String>] = []
        /// PCI `vendor:device` ids of the hardware the host runs on.
        public var hardware: [Located<String>] = []
    }

    public struct Locales: Sendable {
        public var keep: [Located<String>] = []
    }

    public struct Strip: Sendable {
        public var docs = true
        public var man = true
        public var foreignArch = true
    }

    /// systemd units the image enables (beyond what packages enable on install) and the target
    /// it boots into.
    public struct Services: Sendable {
        public var enable: [Located<String>] = []
        public var defaultTarget: Located<String>?

        public static let defaultTargetName = "multi-user.target"
    }

    public struct Disk: Sendable {
        public var size: Located<UInt64>?
        public var slotSize: Located<UInt64>?
        public var espSize: Located<UInt64>?
        public var stateSize: Located<UInt64>?

        public static let defaultSlotSize: UInt64 = 2 << 30
        public static let defaultESPSize: UInt64 = 256 << 20
        public static let defaultStateSize: UInt64 = 1 << 30
        /// GPT headers and entry arrays at both ends, rounded to the 1 MiB alignment.
        public static let gptOverhead: UInt64 = 2 << 20
    }

    /// How firmware boots the image (docs/manifest.md#boot): the BLS boot-counting tries a
    /// new slot's UKI gets, and whether systemd-boot, each UKI and the kernel inside it are
    /// signed for UEFI Secure Boot with the image key.
    public struct Boot: Sendable {
        public var tries: Located<Int>?
        public var secureBoot: Located<Bool>?

        public static let defaultTries = 3
        /// systemd-boot counts at most what fits its file-name parser; more tries than this
        /// only delays falling back to the other slot.
        public static let maximumTries = 9

        public var triesValue: Int { tries?.value ?? Self.defaultTries }
        public var secureBootValue: Bool { secureBoot?.value ?? false }
    }

    public struct Signing: Sendable {
        public var key: KeySource?
        public var certificate: KeySource?
    }

    /// Key material is named, never written inline.
    public enum KeySource: Sendable {
        case file(Located<String>)
        case environment(Located<String>)
    }
}

public struct Tuning: Sendable {
    public var hugepages: Hugepages?
    public var hugetlbfs: [HugetlbfsMount] = []
    public var iommu: IOMMU?
    public var vfio = VFIO()
    public var managementNic: ManagementNIC?
    public var cpus: CPUs?
    public var dpdk: DPDK?
    /// Physical memory kept from the kernel for VM-preserving switches (Tuning+Preserved.swift).
    public var preservedMemory: PreservedMemory?

    public init() {}

    /// What a non-root DPDK process needs (TUNING.md, "memlock / permissions"): a group that
    /// owns `/dev/vfio/N` and (by default) the hugetlbfs mounts, its members, and the locked
    /// memory its sessions and services may pin for DMA.
    public struct DPDK: Sendable {
        public var group: Located<String>
        /// System users created (when missing) as members of the group.
        public var members: [Located<String>] = []
        /// nil: unlimited (`LimitMEMLOCK=infinity`, `memlock unlimited`).
        public var memlock: Located<UInt64>?
        /// Services that get `LimitMEMLOCK=` drop-ins (e.g. `ovs-vswitchd.service`).
        public var services: [Located<String>] = []
        public var location: SourceLocation
    }

    public struct Hugepages: Sendable {
        public var defaultSize: Located<UInt64>?
        public var pools: [Pool] = []
        /// Memory per NUMA node the host keeps for itself (default 2G).
        public var hostReserve: Located<UInt64>?
        public var location: SourceLocation

        public static let defaultHostReserve: UInt64 = 2 << 30
    }

    public struct Pool: Sendable {
        public var size: Located<UInt64>
        public var count: Located<Int>
        /// A pool on one NUMA node is allocated at run time by an early unit.
        public var node: Located<Int>?
        public var location: SourceLocation
    }

    public struct HugetlbfsMount: Sendable {
        public var path: Located<String>
        public var pageSize: Located<UInt64>
        public var group: Located<String>?
        public var mode: Located<String>?
        public var location: SourceLocation
    }

    public enum IOMMUMode: String, Sendable, CaseIterable {
        case intel, amd, off
    }

    public struct IOMMU: Sendable {
        public var mode: Located<IOMMUMode>?
        /// vfio-pci without an IOMMU; written out, never implied, never for passthrough.
        public var unsafeNoIommu: Located<Bool>?
        public var location: SourceLocation
    }

    public enum Purpose: String, Sendable, CaseIterable {
        /// Host DPDK drives the device from user space.
        case dpdk
        /// The device is handed to a VM.
        case passthrough
    }

    public struct VFIO: Sendable {
        public var devices: [VFIODevice] = []
        public var ids: [VFIOID] = []
        public var isInUse: Bool { !devices.isEmpty || !ids.isEmpty }
    }

    public struct VFIODevice: Sendable {
        public var address: Located<String>
        /// The device's `vendor:device`, when known; lets lint apply the mlx5 rule.
        public var id: Located<String>?
        public var purpose: Located<Purpose>?
        public var location: SourceLocation
    }

    public struct VFIOID: Sendable {
        public var id: Located<String>
        public var purpose: Located<Purpose>?
        public var location: SourceLocation
    }

    public struct ManagementNIC: Sendable {
        public var address: Located<String>?
        public var id: Located<String>?
        public var interface: Located<String>?
        public var location: SourceLocation
    }

    public struct CPUs: Sendable {
        public var housekeeping: Located<CPUSet>?
        public var isolated: Located<CPUSet>?
        /// Explicit kernel parameters; each defaults to what the isolated and housekeeping
        /// sets imply, and lint checks explicit ones against them.
        public var nohzFull: Located<CPUSet>?
        public var rcuNocbs: Located<CPUSet>?
        public var irqAffinity: Located<CPUSet>?
        /// Other named sets (e.g. `dpdk`, `vms`): disjoint from each other and from the above.
        public var sets: [(name: String, cpus: Located<CPUSet>)] = []
        public var location: SourceLocation
    }
}
