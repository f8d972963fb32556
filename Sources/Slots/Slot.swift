import GPT

/// One A/B slot of a hostimg disk: its root, verity and verity-sig partitions.
///
/// The one slot model shared by the image layout (which creates slots), `verify` and
/// `inspect` (which read them), the initrd (which boots one) and the agent (which fills the
/// inactive one). ARCHITECTURE.md, "Disk layout":
///
/// ```
/// │ ESP │ root A │ verity A │ sig A │ root B │ verity B │ sig B │ state │
/// ```
///
/// Pairing (one rule, two directions; `SlotTable`):
/// - **by position**: the k-th root, the k-th verity and the k-th verity-sig partition in
///   entry order form slot k (A, B, ...), so an empty slot still has its place;
/// - **by root hash**: a written slot's root PARTUUID is the first half of its dm-verity
///   root hash and its verity PARTUUID the second half (FORMATS.md, "Verity binding"), which
///   is how a `roothash=` on the kernel command line finds its partitions.
public struct Slot: Sendable, Equatable {
    /// "A" for the first slot in entry order, "B" for the second.
    public var letter: String
    public var root: GPT.NumberedPartition
    public var verity: GPT.NumberedPartition
    public var signature: GPT.NumberedPartition

    public init(letter: String, root: GPT.NumberedPartition, verity: GPT.NumberedPartition,
                signature: GPT.NumberedPartition) {
        self.letter = letter
        self.root = root
        self.verity = verity
        self.signature = signature
    }

    /// The label of a slot that holds nothing (yet): FORMATS.md, "Labels".
    public static let emptyLabel = "_empty"

    /// The partition types of a slot, in the order a slot's partitions follow each other.
    public static let rootType = GPT.PartitionType.root
    public static let verityType = GPT.PartitionType.rootVerity
    public static let signatureType = GPT.PartitionType.rootVeritySignature
    /// The verity-sig partition's type while the image is unsigned (`hostimg build
    /// --unsigned`), until `hostimg sign` writes the signature and switches it to
    /// `signatureType`: an all-zero partition typed as a signature makes systemd-dissect fail.
    /// A derived "partial" type (FORMATS.md), the first 16 bytes of
    /// SHA-256("hostimg unsigned root-x86-64-verity-sig") as a version-4 GUID,
    /// b69eadbf-0fe3-4b5b-be6e-c16925fce5f7. Pairing counts it as a signature partition.
    public static let unsignedSignatureType = GPT.GUID(bytes: [
        0xb6, 0x9e, 0xad, 0xbf, 0x0f, 0xe3, 0x4b, 0x5b, 0xbe, 0x6e, 0xc1, 0x69, 0x25, 0xfc, 0xe5, 0xf7,
    ])

    /// Whether `type` is a slot's verity-sig partition, signed or not yet.
    public static func isSignatureType(_ type: GPT.GUID) -> Bool {
        type == signatureType || type == unsignedSignatureType
    }

    /// `NAME_VERSION`, the label all three partitions of a written slot carry.
    public static func label(name: String, version: String) -> String { "\(name)_\(version)" }

    /// The PARTUUIDs that bind a root hash to its root and verity partitions.
    public static func boundUUIDs(rootHash: [UInt8]) -> (root: GPT.GUID, verity: GPT.GUID) {
        (GPT.GUID(bytes: Array(rootHash.prefix(16))), GPT.GUID(bytes: Array(rootHash.dropFirst(16).prefix(16))))
    }

    /// The root partition's label: `NAME_VERSION`, or `_empty`.
    public var label: String { root.partition.name }

    /// What the slot holds, as far as the partition table tells (AGENT.md, "Slots").
    public var state: State { label == Self.emptyLabel ? .empty : .written }

    /// The root hash the PARTUUIDs carry; meaningful only for a written slot.
    public var rootHash: [UInt8] { root.partition.uuid.bytes + verity.partition.uuid.bytes }

    /// Whether this slot's PARTUUIDs carry `rootHash`.
    public func holds(rootHash: [UInt8]) -> Bool {
        rootHash.count == 32 && self.rootHash == rootHash
    }

    public enum State: String, Sendable, Equatable, Codable {
        /// Labelled `_empty`: nothing to boot, free for an update.
        case empty
        /// Labelled `NAME_VERSION` with root-hash PARTUUIDs.
        case written
    }
}
