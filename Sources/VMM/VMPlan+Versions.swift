/// QEMU versions and the rule for crossing them in a switch.
///
/// A migration stream goes only forward: QEMU loads streams written by the same or an older
/// release (its machine types keep the old layout, `pc-q35-7.2` on 8.2 is 7.2's machine) but
/// not streams of a newer one. So, per VM, with `r` the running QEMU and `n` the new slot's:
///
/// - the new slot has no QEMU: the switch is refused (nothing could run the VMs after it,
///   not even a cold start), whatever `--allow-cold` says;
/// - `n < r` (major.minor.micro): the VM is cold: its state cannot be loaded by `n`, though
///   it can boot afresh on it (`--allow-cold`);
/// - `n` and `r` differ in major.minor and the VM's machine type is an alias (`pc`, `q35`,
///   none given): the VM is cold, because each QEMU resolves the alias to its own newest
///   machine and the stream would not load; a versioned type (`pc-q35-7.2`) crosses;
/// - `n` unknown (the new slot's version could not be read): not checked, and the plan says
///   so in its notes.
public struct QEMUVersion: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var micro: Int

    public init(major: Int, minor: Int, micro: Int) {
        self.major = major
        self.minor = minor
        self.micro = micro
    }

    /// "7.2.0" or "7.2" (micro 0), as `query-version` and `qemu-system-x86_64 --version` give
    /// it; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3 else { return nil }
        var numbers: [Int] = []
        for part in parts {
            guard !part.isEmpty, part.allSatisfy({ $0 >= "0" && $0 <= "9" }), let value = Int(part) else { return nil }
            numbers.append(value)
        }
        self.init(major: numbers[0], minor: numbers[1], micro: numbers.count == 3 ? numbers[2] : 0)
    }

    public var description: String { "\(major).\(minor).\(micro)" }

    public static func < (a: QEMUVersion, b: QEMUVersion) -> Bool {
        (a.major, a.minor, a.micro) < (b.major, b.minor, b.micro)
    }
}

/// What the new slot offers to run the VMs after the switch.
public enum NewSlotQEMU: Hashable, Sendable, CustomStringConvertible {
    /// The new slot's QEMU and its version.
    case version(QEMUVersion)
    /// The new slot has no QEMU.
    case absent
    /// The new slot's QEMU version could not be read.
    case unknown

    public var description: String {
        switch self {
        case let .version(version): return version.description
        case .absent: return "absent"
        case .unknown: return "unknown"
        }
    }
}

extension VMPlan {
    /// Why a VM running QEMU `running` with machine type `machineType` (nil: the default)
    /// cannot carry its state to `new`; empty when it can or when `new` is not a version.
    static func versionReasons(running: QEMUVersion, new: NewSlotQEMU, machineType: String?) -> [String] {
        guard case let .version(target) = new else { return [] }
        if target < running {
            return ["it runs QEMU \(running) and the new slot has QEMU \(target), an older one: "
                + "a migration stream loads only into the same or a newer QEMU"]
        }
        let crossing = (target.major, target.minor) != (running.major, running.minor)
        guard crossing, !isVersionedMachineType(machineType) else { return [] }
        let shown = machineType.map { "machine type '\($0)' is an alias" } ?? "no machine type is given (the default is an alias)"
        return ["\(shown) that QEMU \(target) resolves to another machine than \(running) does: "
            + "across QEMU versions the state moves only with a versioned type such as pc-q35-\(running.major).\(running.minor)"]
    }

    /// Whether `type` names one release's machine (`pc-q35-7.2`, `virt-8.1`): its last
    /// `-` separated part is MAJOR.MINOR.
    static func isVersionedMachineType(_ type: String?) -> Bool {
        guard let type, let last = type.split(separator: "-").last, type.contains("-") else { return false }
        return QEMUVersion(String(last)) != nil && last.split(separator: ".").count == 2
    }
}
