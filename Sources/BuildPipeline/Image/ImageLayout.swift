import ByteCodec
import Crypto
import DMVerity
import GPT
import Slots
import Manifests

/// Where everything goes on the disk (ARCHITECTURE.md, "Disk layout"):
///
/// ```
/// LBA 0-33 │ 1 ESP │ 2 root A │ 3 verity A │ 4 sig A │ 5 root B │ 6 verity B │ 7 sig B │ 8 state │ backup GPT
/// ```
///
/// A slot is `disk.slotSize` split three ways: the verity-sig partition (1 MiB, holding 16 KiB
/// of JSON), a verity partition big enough for the hash tree of the largest root that fits,
/// and the root partition with the rest. Both slots have the same geometry so an update can
/// fill slot B with any root that fits slot A. Every partition starts on a 1 MiB boundary.
public struct ImageLayout: Sendable {
    public static let mebibyte: UInt64 = 1 << 20
    public static let signaturePartitionSize: UInt64 = 1 << 20

    public struct SlotGeometry: Sendable, Equatable, Codable {
        public var rootSize: UInt64
        public var veritySize: UInt64
        public var signatureSize: UInt64
        public var total: UInt64 { rootSize + veritySize + signatureSize }
    }

    /// Splits a slot so the verity partition holds the tree of a root partition filled to
    /// the last block.
    public static func slotGeometry(slotSize: UInt64, parameters: DMVerity.Parameters) throws -> SlotGeometry {
        let minimum = 8 * mebibyte
        guard slotSize >= minimum, slotSize % mebibyte == 0 else {
            throw ImageError.layout("disk.slotSize \(Size.describe(slotSize)) must be a whole number of MiB and at least \(Size.describe(minimum))")
        }
        var verity = mebibyte
        while true {
            let root = slotSize - verity - signaturePartitionSize
            let needed = DMVerity.hashDeviceSize(dataSize: root, parameters: parameters)
            if needed <= verity { return SlotGeometry(rootSize: root, veritySize: verity, signatureSize: signaturePartitionSize) }
            verity = (needed + mebibyte - 1) / mebibyte * mebibyte
        }
    }

    /// The smallest slot (whole MiB) whose root partition holds `rootBytes`.
    public static func minimumSlotSize(rootBytes: UInt64, parameters: DMVerity.Parameters) -> UInt64 {
        let tree = DMVerity.hashDeviceSize(dataSize: rootBytes, parameters: parameters)
        var size = max(8 * mebibyte, (rootBytes + tree + signaturePartitionSize + mebibyte - 1) / mebibyte * mebibyte)
        while let geometry = try? slotGeometry(slotSize: size, parameters: parameters), geometry.rootSize < rootBytes {
            size += mebibyte
        }
        return size
    }

    /// Deterministic identifiers from the build seed (FORMATS.md: as systemd-repart does).
    public struct Identifiers: Sendable {
        public let seed: [UInt8]

        public init(seed: [UInt8]) { self.seed = seed }

        /// The `index`-th partition of `type` (0 for the first; slot B's are 1).
        public func partition(_ type: GPT.GUID, index: UInt64 = 0) throws -> GPT.GUID {
            var message = type.bytes
            if index > 0 { message.appendInteger(index, endianness: .little) }
            return try derived(message)
        }

        /// systemd-repart's deterministic identifier: HMAC-SHA256(key: seed, message) as a
        /// version-4 GUID.
        func derived(_ message: [UInt8]) throws -> GPT.GUID {
            GPT.GUID.version4(from: try HMACSHA256.authenticationCode(for: message, key: seed))
        }

        public func disk() throws -> GPT.GUID { try derived(Array("disk-uuid".utf8)) }
        public func veritySalt() throws -> [UInt8] {
            try HMACSHA256.authenticationCode(for: Array("verity-salt".utf8), key: seed)
        }
        public func verityUUID() throws -> [UInt8] {
            try derived(Array("verity-uuid".utf8)).bytes
        }
        public func fileSystemUUID() throws -> [UInt8] {
            try derived(Array("erofs-uuid".utf8)).bytes
        }
    }

    /// The GPT for a disk whose slot A holds `rootHash` and whose slot B is empty.
    ///
    /// An unsigned image (`signed: false`) types its verity-sig partitions
    /// `Slot.unsignedSignatureType` until `hostimg sign` fills them and switches them to the
    /// real type; every other byte, their PARTUUIDs included (derived from the real type), is
    /// what a signed build writes, so signing later gives the signed build's table.
    public static func table(diskSize: UInt64, espSize: UInt64, stateSize: UInt64, slot: SlotGeometry,
                             label: String, rootHash: [UInt8], ids: Identifiers, signed: Bool = true) throws -> GPT.Table {
        typealias Request = GPT.Layout.Request
        let types = GPT.PartitionType.self
        let signatureType = signed ? types.rootVeritySignature : Slot.unsignedSignatureType
        let bound = Slot.boundUUIDs(rootHash: rootHash)
        let emptyLabel = Slot.emptyLabel
        let readOnly: GPT.Attributes = [.readOnly]
        let requests: [Request] = [
            Request(name: "esp", type: types.esp, uuid: try ids.partition(types.esp), size: espSize, attributes: []),
            Request(name: label, type: types.root, uuid: bound.root, size: slot.rootSize, attributes: readOnly),
            Request(name: label, type: types.rootVerity, uuid: bound.verity, size: slot.veritySize, attributes: readOnly),
            Request(name: label, type: signatureType, uuid: try ids.partition(types.rootVeritySignature),
                    size: slot.signatureSize, attributes: readOnly),
            Request(name: emptyLabel, type: types.root, uuid: try ids.partition(types.root, index: 1),
                    size: slot.rootSize, attributes: readOnly),
            Request(name: emptyLabel, type: types.rootVerity, uuid: try ids.partition(types.rootVerity, index: 1),
                    size: slot.veritySize, attributes: readOnly),
            Request(name: emptyLabel, type: signatureType,
                    uuid: try ids.partition(types.rootVeritySignature, index: 1), size: slot.signatureSize, attributes: readOnly),
            Request(name: "state", type: types.variableData, uuid: try ids.partition(types.variableData),
                    size: stateSize, attributes: []),
        ]
        do {
            return try GPT.Layout.plan(diskSize: diskSize, diskGUID: try ids.disk(), requests: requests)
        } catch {
            throw ImageError.layout("\(error)")
        }
    }
}

/// What the image stage can fail on, each naming the value and the fix.
public enum ImageError: Error, Sendable, CustomStringConvertible {
    case layout(String)
    case rootTooBig(root: UInt64, partition: UInt64, slotSize: UInt64, verity: UInt64, minimumSlotSize: UInt64)
    case input(String)

    public var description: String {
        switch self {
        case let .layout(message): return message
        case let .rootTooBig(root, partition, slotSize, verity, minimumSlotSize):
            return "the root image (\(Size.describe(root))) does not fit its partition (\(Size.describe(partition))): "
                + "disk.slotSize \(Size.describe(slotSize)) holds the root, its verity tree (\(Size.describe(verity))) "
                + "and the 1 MiB signature partition; raise disk.slotSize to at least "
                + "\(minimumSlotSize / ImageLayout.mebibyte)M or prune more"
        case let .input(message): return message
        }
    }
}
