/// What a switch would do to each running VM, decided before anything is paused (AGENT.md,
/// "VM preservation"; phase 0 of the transaction and `hostimg switch --plan`).
///
/// Per VM one path:
/// - `.preserve`: all guest RAM is `memory-backend-file,share=on` in files under the
///   preserved mount (a `memmap=` region the new kernel leaves alone), not on hugetlbfs. Only
///   the device state (well under a MiB) is written, into the region; RAM is never copied.
/// - `.save`: RAM that does not survive the kexec in place (anonymous `-m` RAM,
///   `memory-backend-ram`, memfd, a file elsewhere) goes in the migration stream, to a file
///   on the state partition. Correct, but the blackout grows with RAM, and it is planned only
///   when the state directory's free space holds every saved VM's stream plus a margin.
/// - `.cold(reasons)`: neither works (hugetlbfs RAM, a passed-through device, a stream that
///   does not fit, a QEMU that did not answer, a version that cannot load the stream...).
///
/// The policy: a plan with a cold VM is blocked unless `allowCold` (`--allow-cold`), under
/// which cold VMs are shut down before the kexec and started fresh with the same argv after
/// it. The QEMU version rule is in `VMPlan+Versions.swift`, the blackout model in
/// `VMPlan+Blackout.swift`, the renderings in `VMPlan+Text.swift` and `VMPlan+JSON.swift`.
public struct VMPlan: Sendable {
    /// How one VM crosses the switch.
    public enum Path: Hashable, Sendable {
        case preserve
        case save
        /// Each reason a sentence naming the object, device or path at fault.
        case cold([String])

        /// "preserve", "save" or "cold", the word the renderings use.
        public var word: String {
            switch self {
            case .preserve: return "preserve"
            case .save: return "save"
            case .cold: return "cold"
            }
        }
    }

    /// A guest-RAM file kept in place in the preserved region.
    public struct PreservedFile: Hashable, Sendable {
        public var path: String
        public var bytes: UInt64

        public init(path: String, bytes: UInt64) {
            self.path = path
            self.bytes = bytes
        }
    }

    /// One VM's plan.
    public struct Entry: Hashable, Sendable {
        public var name: String
        public var socketPath: String
        public var pid: Int32?
        public var qemuVersion: QEMUVersion?
        /// Its command line, when it could be read.
        public var arguments: QEMUArguments?
        /// All guest RAM (0 when the command line could not be read).
        public var ramBytes: UInt64 = 0
        /// Bytes of RAM in the migration stream (0 for `.preserve` and `.cold`).
        public var streamBytes: UInt64 = 0
        /// Whether the save sets `x-ignore-shared` (skipping the preserved files). False when
        /// a shared block outside the preserved region must be in the stream. Meaningful for
        /// `.preserve` (always true) and `.save`.
        public var ignoreShared = true
        public var path: Path = .cold([])
        /// The guest-RAM files kept in place (for the sentinel's sample).
        public var preservedFiles: [PreservedFile] = []
        /// Where the migration stream goes: the preserved region for `.preserve`, the state
        /// directory for `.save`; nil for `.cold`.
        public var stateFile: String?
        /// Seconds from `stop` to `cont` the model predicts; nil for a cold VM (it boots afresh).
        public var predictedBlackout: Double?

        init(vm: RunningVM) {
            name = vm.name
            socketPath = vm.socketPath
            pid = vm.pid
            qemuVersion = vm.qemuVersion
        }

        /// The reasons when cold, else none.
        public var reasons: [String] {
            if case let .cold(reasons) = path { return reasons }
            return []
        }

        public var isCold: Bool {
            if case .cold = path { return true }
            return false
        }
    }

    /// The inputs besides the VMs.
    public struct Settings: Sendable {
        /// Where the preserved region is mounted.
        public var preservedMount = "/run/hostimg/preserved"
        /// Where `.save` streams go, on the state partition.
        public var stateDirectory = "/var/lib/hostimg/vm-state"
        /// Free bytes in `stateDirectory` now.
        public var stateDirectoryFreeBytes: UInt64 = 0
        /// Room kept free beside each saved stream (device state, file system slack).
        public var saveMargin: UInt64 = 256 << 20
        /// `--allow-cold`.
        public var allowCold = false
        /// The new slot's QEMU.
        public var newQEMU: NewSlotQEMU = .unknown
        /// The host's last measured time from kexec to the agent's start, if known.
        public var measuredKexecSeconds: Double?
        public var blackout = BlackoutModel()
        public var fileSystem = FileSystemFacts.live

        public init() {}
    }

    public var entries: [Entry]
    public var allowCold: Bool
    public var newQEMU: NewSlotQEMU
    /// Why the whole switch is refused whatever the policy (the new slot has no QEMU).
    public var refusals: [String]
    /// What was not checked (the new slot's QEMU version unknown).
    public var notes: [String]
    /// The switch's predicted blackout: the longest VM's (they are handled in parallel); nil
    /// without a VM to keep.
    public var predictedBlackout: Double?

    /// The VMs that cannot be kept.
    public var coldEntries: [Entry] { entries.filter(\.isCold) }

    /// Whether the switch must not go ahead: a switch-wide refusal, or a cold VM without
    /// `--allow-cold`.
    public var isBlocked: Bool { !refusals.isEmpty || (!allowCold && !coldEntries.isEmpty) }

    /// Plans `vms` (sorted by name) under `settings`.
    public init(vms: [RunningVM], settings: Settings) {
        var entries = vms.sorted { $0.name < $1.name }.map { Self.assess($0, settings: settings) }
        Self.checkStateSpace(&entries, settings: settings)
        let kexec = settings.measuredKexecSeconds ?? settings.blackout.defaultKexecSeconds
        predictedBlackout = settings.blackout.apply(to: &entries, kexecSeconds: kexec)
        self.entries = entries
        allowCold = settings.allowCold
        newQEMU = settings.newQEMU
        refusals = []
        notes = []
        guard !vms.isEmpty else { return }
        switch settings.newQEMU {
        case .absent:
            refusals.append("the new slot has no QEMU, so none of the \(vms.count) VMs could run after the switch")
        case .unknown:
            notes.append("the new slot's QEMU version is unknown: whether it can load the VMs' state was not checked")
        case .version: break
        }
    }

    /// Turns `.save` VMs cold, in name order, once the streams planned so far and this one,
    /// each with `saveMargin`, no longer fit the state directory's free space.
    static func checkStateSpace(_ entries: inout [Entry], settings: Settings) {
        var planned: UInt64 = 0
        for index in entries.indices where entries[index].path == .save {
            let need = entries[index].streamBytes &+ settings.saveMargin
            let free = settings.stateDirectoryFreeBytes
            if planned <= free, need <= free - planned {
                planned += need
                continue
            }
            let others = planned == 0 ? "" : ", \(Self.bytes(planned)) of it for other VMs' saves"
            entries[index].path = .cold([
                "its RAM in the migration stream (\(Self.bytes(entries[index].streamBytes))) and a margin of "
                    + "\(Self.bytes(settings.saveMargin)) do not fit the free space of \(settings.stateDirectory) "
                    + "(\(Self.bytes(free)) free\(others))",
            ])
            entries[index].streamBytes = 0
            entries[index].stateFile = nil
        }
    }
}
