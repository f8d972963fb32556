extension UpdateBundle {
    /// What a payload is for, and so where the agent writes it (FORMATS.md, "Update bundle").
    ///
    /// On the wire a role is a string (1 to 64 of a-z, 0-9 and '-'), so a newer bundle may
    /// carry a role this code does not know and a reader can still name it; in code the roles
    /// hostimg writes are these constants, never string literals compared in several files.
    public struct PayloadRole: RawRepresentable, Hashable, Comparable, Sendable, Codable, CustomStringConvertible,
        ExpressibleByStringLiteral
    {
        public let rawValue: String

        public init(rawValue: String) { self.rawValue = rawValue }
        public init(stringLiteral value: String) { rawValue = value }

        /// The EROFS root file system, into the slot's root partition.
        public static let root = PayloadRole(rawValue: "root")
        /// The dm-verity hash tree, into the slot's verity partition.
        public static let verity = PayloadRole(rawValue: "verity")
        /// The verity-sig JSON (PKCS#7 over the root hash), into the verity-sig partition.
        public static let veritySignature = PayloadRole(rawValue: "verity-sig")
        /// The slot's kernel, initrd and command line (for kexec and direct boot).
        public static let kernel = PayloadRole(rawValue: "kernel")
        public static let initrd = PayloadRole(rawValue: "initrd")
        public static let commandLine = PayloadRole(rawValue: "cmdline")
        /// The slot's unified kernel image, into the ESP.
        public static let uki = PayloadRole(rawValue: "uki")

        /// The roles whose payload goes into a partition of the slot, in the order written.
        public static let partitionRoles: [PayloadRole] = [.root, .verity, .veritySignature]

        /// The extension of the uncompressed payload in its member name `<role>.<ext>.zst`.
        public var fileExtension: String {
            switch self {
            case .root: return "erofs"
            case .verity: return "hashtree"
            case .veritySignature: return "p7s"
            case .uki: return "efi"
            default: return "bin"
            }
        }

        /// The largest uncompressed payload of this role a reader accepts: what its format
        /// allows, so no announced size makes a reader decompress (or a caller collect) more.
        /// verity-sig: the 16 KiB systemd-repart reserves (FORMATS.md); root: an EROFS image
        /// (2^32 blocks of at most 64 KiB); verity: the tree of such a root (below 2^45 bytes
        /// even with 512-byte blocks); kernel, initrd, uki: 4 GiB (the 32-bit sizes of the boot
        /// protocol and of PE images); cmdline: 64 KiB (kernels take 2 to 4 KiB). A role this
        /// code does not know keeps the format's own bound of 2^63 - 1 bytes.
        public var maximumSize: UInt64 {
            switch self {
            case .veritySignature: return 16 << 10
            case .root: return 1 << 48
            case .verity: return 1 << 45
            case .kernel, .initrd, .uki: return 4 << 30
            case .commandLine: return 64 << 10
            default: return UInt64(Int64.max)
            }
        }

        public var description: String { rawValue }

        public static func < (lhs: PayloadRole, rhs: PayloadRole) -> Bool { lhs.rawValue < rhs.rawValue }

        public init(from decoder: any Decoder) throws {
            rawValue = try decoder.singleValueContainer().decode(String.self)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }
    }
}
