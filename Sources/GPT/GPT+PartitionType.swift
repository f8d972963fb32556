extension GPT {
    /// Partition type GUIDs of the UAPI Discoverable Partitions Specification for x86-64
    /// (https://uapi-group.org/specifications/specs/discoverable_partitions_specification/),
    /// the ones a hostimg disk uses.
    public enum PartitionType {
        /// `SD_GPT_ROOT_X86_64`.
        public static let root = known("4f68bce3-e8cd-4db1-96e7-fbcaf984b709")
        /// `SD_GPT_ROOT_X86_64_VERITY`.
        public static let rootVerity = known("2c7357ed-ebd2-46d9-aec1-23d437ec2bf5")
        /// `SD_GPT_ROOT_X86_64_VERITY_SIG`.
        public static let rootVeritySignature = known("41092b05-9fc8-4523-994f-2def0408b176")
        /// EFI System Partition (UEFI 2.10 Table 5.7).
        public static let esp = known("c12a7328-f81f-11d2-ba4b-00a0c93ec93b")
        /// `SD_GPT_VAR`: mounted at /var (hostimg's state partition).
        public static let variableData = known("4d21b016-b534-45c2-a9fb-5c16e091fd2d")
        /// `SD_GPT_LINUX_GENERIC`: Linux data with no automatic meaning.
        public static let linuxData = known("0fc63daf-8483-4772-8e79-3d69d8477de4")

        /// The names systemd-repart uses in `Type=`, for messages and reports.
        public static func name(of type: GUID) -> String? {
            switch type {
            case root: "root-x86-64"
            case rootVerity: "root-x86-64-verity"
            case rootVeritySignature: "root-x86-64-verity-sig"
            case esp: "esp"
            case variableData: "var"
            case linuxData: "linux-generic"
            default: nil
            }
        }

        /// The reverse of `name(of:)`.
        public static func type(named name: String) -> GUID? {
            [root, rootVerity, rootVeritySignature, esp, variableData, linuxData].first { self.name(of: $0) == name }
        }

        /// The constants above are literals checked by the tests; a typo would stop at startup.
        private static func known(_ text: String) -> GUID {
            guard let guid = GUID(text) else { preconditionFailure("malformed built-in GUID \(text)") }
            return guid
        }
    }

    /// `Attributes` of a partition entry (UEFI 2.10 Table 5.8 for bits 0-2; bits 48-63 are
    /// type-specific, the meanings here are the Discoverable Partitions Specification's).
    public struct Attributes: OptionSet, Sendable, Hashable, Codable, CustomStringConvertible {
        public var rawValue: UInt64
        public init(rawValue: UInt64) { self.rawValue = rawValue }

        /// Bit 0: the platform needs this partition; partitioning tools must keep it.
        public static let requiredPartition = Attributes(rawValue: 1 << 0)
        /// Bit 1: firmware must not produce an EFI_BLOCK_IO_PROTOCOL for it.
        public static let noBlockIOProtocol = Attributes(rawValue: 1 << 1)
        /// Bit 2: legacy BIOS bootable.
        public static let legacyBIOSBootable = Attributes(rawValue: 1 << 2)
        /// Bit 59 (`SD_GPT_FLAG_GROWFS`): grow the file system to the partition on mount.
        public static let growFileSystem = Attributes(rawValue: 1 << 59)
        /// Bit 60 (`SD_GPT_FLAG_READ_ONLY`): mount read-only (set on verity and signature partitions).
        public static let readOnly = Attributes(rawValue: 1 << 60)
        /// Bit 63 (`SD_GPT_FLAG_NO_AUTO`): automatic discovery skips the partition.
        public static let noAuto = Attributes(rawValue: 1 << 63)

        /// "read-only, no-auto" or "0x..." for bits without a name here.
        public var description: String {
            let names: [(Attributes, String)] = [
                (.requiredPartition, "required"), (.noBlockIOProtocol, "no-block-io"),
                (.legacyBIOSBootable, "legacy-bios-bootable"), (.growFileSystem, "grow-fs"),
                (.readOnly, "read-only"), (.noAuto, "no-auto"),
            ]
            var parts = names.filter { contains($0.0) }.map(\.1)
            let unnamed = rawValue & ~names.reduce(0) { $0 | $1.0.rawValue }
            if unnamed != 0 { parts.append("0x" + String(unnamed, radix: 16)) }
            return parts.isEmpty ? "none" : parts.joined(separator: ", ")
        }
    }
}
