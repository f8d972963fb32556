import Agent
import BootEntries
import Bundle
import ByteCodec
import Crypto
import DMVerity
import GPT
import Slots
import SystemIO

/// Phases 0 and 1 of a switch (AGENT.md) on a disk: an image file offline (`hostimg switch
/// BUNDLE --disk FILE`, to provision an image's second slot), later the host's own disk.
///
/// Check (nothing written): the bundle's signature against the trusted certificates (none:
/// refused, never fail open), its architecture, its name against the disk's, each payload's
/// size against the target slot's partitions, then every payload's size and SHA-256 (a full
/// read of the bundle), so a bad bundle never touches the target slot. Install: the target
/// slot emptied first (`SlotEmptier`: unbootable and anonymous), the root, hash tree and
/// signature payloads streamed through zstd and SHA-256 into their partitions and fsynced,
/// the slot read back through its verity tree against the bundle's root hash, and only then
/// the labels `NAME_VERSION` and the root-hash PARTUUIDs written. A failure or a crash at any
/// point leaves the target `_empty` (or as it was, before the emptying) and the kept slot
/// untouched.
public struct SlotInstaller {
    public var disk: String
    public var trusted: [Certificate]
    /// The new entry's boot counter: `NAME_VERSION+3.efi` for a firmware boot; a kexec trial
    /// installs it as `+0-1` (tried once, no tries left: "bad" to systemd-boot), so a reset
    /// during the trial boots the previous slot until the new one blesses itself.
    public var counter = BootEntryName.Counter(left: 3)
    /// One line per step, for a progress display or a journal.
    public var report: (String) -> Void

    public init(disk: String, trusted: [Certificate], report: @escaping (String) -> Void = { _ in }) {
        self.disk = disk
        self.trusted = trusted
        self.report = report
    }

    /// What a check found: the slot to write and the bundle's identity.
    public struct Plan: Sendable, Equatable {
        public var slotIndex: Int
        public var slotLetter: String
        public var previousLabel: String
        public var name: String
        public var version: String
        public var rootHash: String
        public var signer: String
    }

    /// The slot that must survive the install: the running one on a host (by its root hash),
    /// or one named by index offline.
    public enum Keep: Sendable, Equatable {
        case rootHash([UInt8])
        case slot(Int)
    }

    /// Phase 0 with the running slot kept.
    public func check(_ bundle: UpdateBundle.Reader, keepRootHash: [UInt8]) throws -> Plan {
        try check(bundle, keep: .rootHash(keepRootHash))
    }

    /// Phase 0: every check, nothing written. `verifyPayloads` reads every payload once more
    /// (a file or a device); a stream read once (HTTP) is checked while it is written instead.
    public func check(_ bundle: UpdateBundle.Reader, keep: Keep, verifyPayloads: Bool = true) throws -> Plan {
        let signer = try verifySignature(bundle)
        let manifest = bundle.manifest
        guard manifest.architecture == UpdateBundle.defaultArchitecture else {
            throw InstallError.refused("the bundle is for \(manifest.architecture), this disk is \(UpdateBundle.defaultArchitecture)")
        }
        let table = try GPT.readRecovering(path: disk)
        let slots = SlotTable(table.partitions).slots
        guard slots.count == SlotTable.slotCount else {
            throw InstallError.refused("\(disk) has \(slots.count) slot(s), not \(SlotTable.slotCount): not a hostimg disk")
        }
        let keepIndex: Int
        switch keep {
        case let .rootHash(hash):
            guard let index = slots.firstIndex(where: { $0.holds(rootHash: hash) }) else {
                throw InstallError.refused("no slot of \(disk) holds the running root hash \(Hex.encode(hash).prefix(12))…")
            }
            keepIndex = index
        case let .slot(index):
            guard slots.indices.contains(index) else { throw InstallError.refused("\(disk) has no slot \(SlotTable.letter(index))") }
            keepIndex = index
        }
        let target = slots[1 - keepIndex]
        let kept = slots[keepIndex]
        if kept.state == .written, let keptName = Self.name(ofLabel: kept.label), keptName != manifest.name {
            throw InstallError.refused("the bundle installs \(manifest.name), the disk runs \(keptName)")
        }
        if Hex.encode(kept.rootHash) == manifest.rootHash.lowercased() {
            throw InstallError.refused("slot \(kept.letter) already holds root hash \(manifest.rootHash.prefix(12))…")
        }
        try checkSizes(manifest, target: target, sectorSize: table.sectorSize)
        report("check: \(manifest.name) \(manifest.version) signed by \(signer); writing slot \(target.letter) (\(target.label)), keeping slot \(kept.letter) (\(kept.label))")
        if verifyPayloads {
            try bundle.verifyPayloads()
            report("check: every payload's size and SHA-256 match the signed manifest")
        }
        return Plan(slotIndex: 1 - keepIndex, slotLetter: target.letter, previousLabel: target.label, name: manifest.name,
                    version: manifest.version, rootHash: manifest.rootHash.lowercased(), signer: signer)
    }

    func verifySignature(_ bundle: UpdateBundle.Reader) throws -> String {
        guard !trusted.isEmpty else {
            throw InstallError.refused("no trusted certificate: the trust store is missing or empty, so no bundle is installed")
        }
        guard bundle.isSigned else { throw InstallError.refused("the bundle is not signed") }
        var failures: [String] = []
        for certificate in trusted {
            do {
                try bundle.verifySignature(trusting: certificate)
                return certificate.subject
            } catch {
                failures.append("\(error)")
            }
        }
        throw InstallError.refused("the bundle's signature does not verify with any trusted certificate: " + failures.joined(separator: "; "))
    }

    func checkSizes(_ manifest: UpdateBundle.Manifest, target: Slot, sectorSize: UInt64) throws {
        for (role, partition) in [(UpdateBundle.PayloadRole.root, target.root), (.verity, target.verity), (.veritySignature, target.signature)] {
            guard let payload = manifest.payload(role: role) else {
                throw InstallError.refused("the bundle has no \(role) payload; a slot cannot be installed from it")
            }
            let room = partition.partition.size(sectorSize: sectorSize)
            guard payload.size <= room else {
                throw InstallError.refused("the \(role) payload is \(payload.size) bytes; slot \(target.letter)'s partition \(partition.number) holds \(room)")
            }
        }
    }

    /// `NAME` of a `NAME_VERSION` label.
    static func name(ofLabel label: String) -> String? {
        guard let underscore = label.lastIndex(of: "_"), underscore != label.startIndex else { return nil }
        return String(label[..<underscore])
    }
}

/// Why an install was refused or stopped; a refusal always means nothing was written.
public enum InstallError: Error, Sendable, CustomStringConvertible {
    case refused(String)
    case failed(String)

    public var description: String {
        switch self {
        case let .refused(reason): return "refused (nothing was written): \(reason)"
        case let .failed(reason): return "install failed: \(reason); the slot being written is left empty, the other slot untouched"
        }
    }

    /// What went wrong, without the words around it.
    public var reason: String {
        switch self {
        case let .refused(reason), let .failed(reason): return reason
        }
    }
}
