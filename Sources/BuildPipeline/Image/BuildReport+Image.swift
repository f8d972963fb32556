import Bundle
import ByteCodec
import DMVerity
import EROFS
import GPT
import Manifests
import Slots

extension BuildReport {
    /// The image stage's part of `report.json`: the disk, the slot's root hash, sizes, who
    /// signed it, and the bundle's payloads.
    public struct Image: Sendable, Codable {
        public struct Partition: Sendable, Codable {
            public var number: Int
            public var label: String
            public var type: String
            public var typeGUID: String
            public var uuid: String
            public var offset: UInt64
            public var size: UInt64
            public var readOnly: Bool
        }

        public struct FileSystem: Sendable, Codable {
            public var bytes: UInt64
            public var inodes: UInt64
            public var dataBytes: UInt64
            /// Of the root partition, in percent: how much room the slot has left to grow.
            public var partitionUsePercent: Double
        }

        public struct Verity: Sendable, Codable {
            public var dataBlocks: UInt64
            public var hashBytes: UInt64
            public var salt: String
            public var uuid: String
        }

        public struct Signing: Sendable, Codable {
            public var signed: Bool
            public var subject: String?
            public var certificateFingerprint: String?
            public var developmentKey: Bool
            public var source: String?
        }

        public struct Payload: Sendable, Codable {
            public var role: String
            public var size: UInt64
            public var compressedSize: UInt64
            public var sha256: String
        }

        public var path: String
        public var bundlePath: String
        public var label: String
        public var seed: String
        public var rootHash: String
        public var diskBytes: UInt64
        public var diskGUID: String
        public var partitions: [Partition]
        public var slot: ImageLayout.SlotGeometry
        public var fileSystem: FileSystem
        public var verity: Verity
        public var signing: Signing
        public var bundlePayloads: [Payload]

        init(path: String, bundlePath: String, label: String, seed: String, rootHash: String, table: GPT.Table,
             slot: ImageLayout.SlotGeometry, erofs: EROFS.WriteSummary, verity: DMVerity.FormatResult,
             signer: SigningIdentity?, bundle: UpdateBundle.Manifest) {
            self.path = path
            self.bundlePath = bundlePath
            self.label = label
            self.seed = seed
            self.rootHash = rootHash
            diskBytes = table.diskSize
            diskGUID = table.diskGUID.description
            partitions = table.partitions.enumerated().map { index, part in
                Partition(number: index + 1, label: part.name, type: Self.typeName(part.type),
                          typeGUID: part.type.description, uuid: part.uuid.description, offset: part.offset,
                          size: part.size, readOnly: part.attributes.contains(.readOnly))
            }
            self.slot = slot
            fileSystem = FileSystem(bytes: erofs.imageBytes, inodes: erofs.inodes, dataBytes: erofs.dataBytes,
                                    partitionUsePercent: (Double(erofs.imageBytes) * 1000 / Double(max(slot.rootSize, 1))).rounded() / 10)
            self.verity = Verity(dataBlocks: verity.dataBlocks, hashBytes: verity.hashBytes,
                                 salt: Hex.encode(verity.parameters.salt), uuid: Hex.encode(verity.parameters.uuid))
            signing = Signing(signed: signer != nil, subject: signer?.certificate.subject,
                              certificateFingerprint: signer?.certificate.sha256Fingerprint,
                              developmentKey: signer?.isDevelopment ?? false, source: signer?.source)
            bundlePayloads = bundle.payloads.map {
                Payload(role: $0.role.rawValue, size: $0.size, compressedSize: $0.compressedSize, sha256: $0.sha256)
            }
        }
    }
}

extension BuildReport.Image {
    /// A partition type as report.json names it: systemd-repart's name, or what hostimg's
    /// own unsigned verity-sig type stands for.
    static func typeName(_ type: GPT.GUID) -> String {
        if type == Slot.unsignedSignatureType { return "root-x86-64-verity-sig-unsigned" }
        return GPT.PartitionType.name(of: type) ?? "unknown"
    }

    /// After `hostimg sign`: the verity-sig partitions have their real type, as in a build
    /// signed in one step.
    mutating func markSigned() {
        for index in partitions.indices where partitions[index].typeGUID == Slot.unsignedSignatureType.description {
            partitions[index].typeGUID = Slot.signatureType.description
            partitions[index].type = Self.typeName(Slot.signatureType)
        }
    }
}
