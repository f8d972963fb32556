/// Driver pruning: which kernel modules and firmware files an image keeps, and why.
///
/// The kernel package leaves `/usr/lib/modules/<version>` in the tree without depmod's
/// indexes (Debian's postinst makes them, and nothing runs during the build). `prune`:
///
///     tree (FileTree + ContentStore)
///       │ stage: <work>/all/lib/modules/<v>/kernel/**.ko  → symlinks to store objects
///       │        modules.order, modules.builtin, modules.builtin.modinfo
///       ▼
///     depmod -b <work>/all -C <empty> <v>          (indexes for the whole kernel)
///       │ libkmod: modinfo of every module, modules.dep dependencies,
///       │          softdep names resolved as modprobe resolves them
///       ▼
///     roots = requirements (tuning, initrd) + drivers.keep + hardware-id matches − drivers.deny
///     closure = roots + modules.dep dependencies + softdep pre/post (libkmod's first softdep line)
///       │
///       ▼
///     tree: drop other modules, firmware no kept (or built-in) module names, empty directories
///     depmod -b <work>/kept … → modules.dep, .alias, .symbols, .softdep, … (+ .bin) into the tree
///
/// Host configuration never leaks in: depmod runs with an empty `-C` directory and libkmod
/// gets no modprobe.d paths, so the build machine's `/etc` cannot change the result.
public enum Drivers {}

extension Drivers {
    /// A module something other than the manifest's `drivers.keep` needs, with the reason
    /// `explain` shows: ("vfio-pci", "tuning.vfio: 1 device bound to vfio-pci").
    public struct Requirement: Sendable, Codable, Equatable {
        public var module: String
        public var reason: String

        public init(module: String, reason: String) {
            self.module = module
            self.reason = reason
        }
    }

    /// What to keep. Names may be module names or aliases; `-` and `_` are equivalent.
    public struct Request: Sendable {
        /// `drivers.keep`.
        public var keep: [String]
        /// `drivers.deny`: never kept, even as a soft dependency or for a hardware id; a kept
        /// module that needs a denied one (modules.dep) is an error naming both.
        public var deny: [String]
        /// PCI ids "vvvv:dddd" (hex, either case).
        public var hardware: [String]
        /// Tuning needs and initrd modules.
        public var required: [Requirement]

        public init(keep: [String] = [], deny: [String] = [], hardware: [String] = [], required: [Requirement] = []) {
            self.keep = keep
            self.deny = deny
            self.hardware = hardware
            self.required = required
        }
    }

    /// The verdict on one module file.
    public struct Decision: Sendable, Codable, Equatable {
        /// Module name ("-" as "_", as the kernel knows it).
        public var module: String
        /// Tree path of the `.ko` file.
        public var path: String
        public var kept: Bool
        /// The chain, direct reason first: ["needed by dm_verity", "dm_verity: initrd (kernels/debian-cloud.yaml)"].
        public var reasons: [String]
        /// File size.
        public var bytes: UInt64

        public init(module: String, path: String, kept: Bool, reasons: [String], bytes: UInt64) {
            self.module = module
            self.path = path
            self.kept = kept
            self.reasons = reasons
            self.bytes = bytes
        }
    }

    /// A module compiled into the kernel image: it stays whatever the manifest says.
    public struct BuiltinModule: Sendable, Codable, Equatable {
        public var module: String
        /// "built into the kernel" and what selects or would select it.
        public var reasons: [String]

        public init(module: String, reasons: [String]) {
            self.module = module
            self.reasons = reasons
        }
    }

    public struct Report: Sendable, Codable, Equatable {
        public var kernelVersion: String
        public var modulesBefore: Int
        public var modulesAfter: Int
        public var bytesBefore: UInt64
        public var bytesAfter: UInt64
        public var firmwareFilesBefore: Int
        public var firmwareFilesAfter: Int
        public var firmwareBytesRemoved: UInt64
        /// Every module file, sorted by name.
        public var decisions: [Decision]
        /// Hardware ids that no module (loadable or built-in) matches.
        public var unmatchedHardware: [String]
        /// Built-in modules with device aliases (pci:, usb:, virtio:, ...) that none of the
        /// hardware ids match. They cannot be removed from a prebuilt kernel.
        public var builtinDriversWithoutHardware: [String]
        /// Every built-in module, sorted by name, for `explain`.
        public var builtins: [BuiltinModule]

        public init(
            kernelVersion: String, modulesBefore: Int, modulesAfter: Int, bytesBefore: UInt64, bytesAfter: UInt64,
            firmwareFilesBefore: Int, firmwareFilesAfter: Int, firmwareBytesRemoved: UInt64, decisions: [Decision],
            unmatchedHardware: [String], builtinDriversWithoutHardware: [String], builtins: [BuiltinModule] = []
        ) {
            self.kernelVersion = kernelVersion
            self.modulesBefore = modulesBefore
            self.modulesAfter = modulesAfter
            self.bytesBefore = bytesBefore
            self.bytesAfter = bytesAfter
            self.firmwareFilesBefore = firmwareFilesBefore
            self.firmwareFilesAfter = firmwareFilesAfter
            self.firmwareBytesRemoved = firmwareBytesRemoved
            self.decisions = decisions
            self.unmatchedHardware = unmatchedHardware
            self.builtinDriversWithoutHardware = builtinDriversWithoutHardware
            self.builtins = builtins
        }

        /// The note the build report prints next to `builtinDriversWithoutHardware`.
        public static let builtinNote = "built into the kernel: cannot be removed from a prebuilt kernel"

        /// What `hostimg explain module NAME` prints: the verdict, then the chain of reasons.
        /// Nil when the kernel has no such module (loadable or built-in).
        public func explain(_ module: String) -> [String]? {
            let name = Drivers.normalize(module)
            if let decision = decisions.first(where: { $0.module == name }) {
                return ["\(name): \(decision.kept ? "kept" : "removed") (\(decision.path), \(decision.bytes) bytes)"]
                    + decision.reasons
            }
            if let builtin = builtins.first(where: { $0.module == name }) {
                return ["\(name): built into the kernel \(kernelVersion)"] + builtin.reasons
            }
            return nil
        }

        /// Kept module names, sorted.
        public var keptModules: [String] { decisions.filter(\.kept).map(\.module) }
    }

    /// The kernel the tree holds, and the kept modules' load graph for the initrd.
    public struct Kernel: Sendable {
        public var version: String
        /// e.g. /boot/vmlinuz-6.1.0-56-cloud-amd64
        public var vmlinuzPath: String
        /// /usr/lib/modules/<version>
        public var modulesPath: String
        /// Kept modules by name.
        var modules: [String: LoadEntry]
        var builtins: Set<String>
        /// Literal (pattern-free) aliases of kept and built-in modules.
        var aliases: [String: [String]]

        public init(version: String, vmlinuzPath: String, modulesPath: String) {
            self.init(version: version, vmlinuzPath: vmlinuzPath, modulesPath: modulesPath, modules: [:], builtins: [], aliases: [:])
        }

        init(version: String, vmlinuzPath: String, modulesPath: String, modules: [String: LoadEntry],
             builtins: Set<String>, aliases: [String: [String]]) {
            self.version = version
            self.vmlinuzPath = vmlinuzPath
            self.modulesPath = modulesPath
            self.modules = modules
            self.builtins = builtins
            self.aliases = aliases
        }

        /// Names of the modules kept in the tree, sorted.
        public var keptModules: [String] { modules.keys.sorted() }
    }

    /// How one kept module loads: what modprobe would insert before and after it.
    struct LoadEntry: Sendable {
        var path: String
        /// modules.dep, in load order (every module after the ones it needs).
        var dependencies: [String]
        var pre: [String]
        var post: [String]
    }

    /// Module names as the kernel spells them: modprobe treats '-' and '_' alike.
    public static func normalize(_ name: String) -> String {
        name.replacingOccurrences(of: "-", with: "_")
    }
}
