import SystemIO

/// The journal of a switch (AGENT.md, "The transaction"): which bundle goes into which slot,
/// and each phase with when it started and how it ended. It is rewritten whole and atomically
/// (temporary file, fsync, rename, fsync of the directory) at every phase boundary, so after
/// a crash, a power cut or a kill at any instruction the boot-time agent reads one consistent
/// journal and knows what to finish or undo (`SwitchRecovery`), and `status` can say which
/// phase was hit.
///
/// On disk it is lines of words (`SwitchJournal+Text.swift`), not JSON: the agent reads it
/// with no JSON library and no Foundation, and `hostimg status --json` renders it for fleet
/// tooling, which never reads this file itself.
public struct SwitchJournal: Sendable, Equatable {
    public enum Phase: String, Sendable, CaseIterable, Comparable {
        /// Phase 0: signature, trust store, name, version, sizes (nothing written).
        case check
        /// Phase 1: the inactive slot made unbootable, written, read back, relabelled, its UKI added.
        case install
        /// Phase 2: the new kernel loaded with kexec_file_load, the try counted, the watchdog armed.
        case stage
        /// Phase 3: sync and kexec (or a firmware reboot).
        case reboot
        /// Phase 4: on the new kernel: the health gate, then bless or roll back.
        case finish

        public static func < (a: Phase, b: Phase) -> Bool {
            allCases.firstIndex(of: a) ?? 0 < allCases.firstIndex(of: b) ?? 0
        }
    }

    public enum Outcome: Sendable, Equatable {
        case started
        case done
        case failed(String)
    }

    /// When something happened: wall-clock seconds (CLOCK_REALTIME, with milliseconds) and
    /// the boot it happened in (/proc/sys/kernel/random/boot_id).
    public struct Moment: Sendable, Equatable {
        public var seconds: Double
        public var bootID: String

        public init(seconds: Double, bootID: String) {
            self.seconds = seconds
            self.bootID = bootID
        }
    }

    public struct Step: Sendable, Equatable {
        public var phase: Phase
        public var outcome: Outcome
        public var at: Moment
    }

    /// How the host is to reach the new slot.
    public enum Method: String, Sendable {
        case kexec
        case reboot
        /// `--no-reboot`: install and stop.
        case none
    }

    /// How the transaction ended; nil while it is open.
    public enum Result: Sendable, Equatable {
        /// The host runs the new slot, which was blessed.
        case switched
        /// Installed and stopped there (`--no-reboot`).
        case installed
        /// Refused or failed before the host left the old slot; `reason` says why.
        case failed(String)
        /// The new slot did not come up healthy; the host is back on the old one.
        case rolledBack(String)
    }

    public var transaction: String
    public var name: String
    public var version: String
    /// The bundle's root hash: the new slot's.
    public var rootHash: String
    /// The root hash the host ran when the switch began.
    public var previousRootHash: String
    /// The slot written (its index in `SlotTable`, from 0).
    public var targetSlot: Int
    public var method: Method
    public var steps: [Step] = []
    /// The VMs of a VM-preserving switch (`SwitchJournal+VMs.swift`); empty otherwise.
    public var vms: [VM] = []
    public var result: Result?

    public init(transaction: String, name: String, version: String, rootHash: String, previousRootHash: String,
                targetSlot: Int, method: Method) {
        self.transaction = transaction
        self.name = name
        self.version = version
        self.rootHash = rootHash
        self.previousRootHash = previousRootHash
        self.targetSlot = targetSlot
        self.method = method
    }

    public var isOpen: Bool { result == nil }

    /// The last phase that started, and how it stands.
    public var lastStep: Step? { steps.last }

    /// True when `phase` started and ended done.
    public func completed(_ phase: Phase) -> Bool {
        steps.contains { $0.phase == phase && $0.outcome == .done }
    }

    public mutating func begin(_ phase: Phase, at moment: Moment) {
        steps.append(Step(phase: phase, outcome: .started, at: moment))
    }

    public mutating func end(_ phase: Phase, at moment: Moment) {
        steps.append(Step(phase: phase, outcome: .done, at: moment))
    }

    public mutating func fail(_ phase: Phase, reason: String, at moment: Moment) {
        steps.append(Step(phase: phase, outcome: .failed(reason), at: moment))
    }

    /// The blackout of the last switch: from the moment the journal recorded the kexec or
    /// reboot to the agent's start on the new kernel (wall-clock seconds across two boots);
    /// nil until the new slot's agent started.
    public var blackout: Double? {
        guard let reboot = steps.last(where: { $0.phase == .reboot && $0.outcome == .started }),
              let start = steps.first(where: { $0.phase == .finish && $0.at.bootID != reboot.at.bootID }) else { return nil }
        return start.at.seconds - reboot.at.seconds
    }

    /// The phase that was started and never ended (the one a crash interrupted), if any.
    public var interrupted: Phase? {
        guard let last = steps.last, last.outcome == .started else { return nil }
        return last.phase
    }
}

extension SwitchJournal {
    public static let defaultPath = "/var/lib/hostimg/journal"

    /// The journal at `path`; nil when there is none (no switch ever began on this host).
    public static func load(_ path: String = defaultPath) throws -> SwitchJournal? {
        guard SystemIO.exists(path) else { return nil }
        let bytes = try SystemIO.readFile(path, limit: 1 << 20)
        return try parse(String(decoding: bytes, as: UTF8.self))
    }

    /// Writes the journal atomically and durably: a reader after any crash sees the old or
    /// the new text, whole.
    public func save(_ path: String = defaultPath) throws {
        try SystemIO.replace(path, with: Array(encoded().utf8), permissions: 0o600)
    }
}
