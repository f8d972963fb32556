import ByteCodec

extension GPT {
    /// A GUID in its textual byte order: `bytes[0]` is the first two hex digits printed.
    ///
    /// On disk GPT stores the first three fields (`time_low` u32, `time_mid` u16,
    /// `time_hi_and_version` u16) little-endian and the remaining eight bytes as they are
    /// (UEFI 2.10 Appendix A, `EFI_GUID`), so `c12a7328-f81f-11d2-ba4b-00a0c93ec93b` is stored as
    /// `28 73 2a c1 1f f8 d2 11 ba 4b 00 a0 c9 3e c9 3b`.
    public struct GUID: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
        /// 16 bytes, textual order.
        public var bytes: [UInt8]

        /// Size of a GUID on disk.
        public static let size = 16

        /// `bytes` must hold exactly 16 bytes (a shorter or longer array is a programming error).
        public init(bytes: [UInt8]) {
            precondition(bytes.count == Self.size, "a GUID has 16 bytes, not \(bytes.count)")
            self.bytes = bytes
        }

        /// Parses `4f68bce3-e8cd-4db1-96e7-fbcaf984b709` (either case); nil for anything else.
        public init?(_ string: String) {
            let groups = string.split(separator: "-", omittingEmptySubsequences: false)
            guard groups.map(\.count) == [8, 4, 4, 4, 12] else { return nil }
            // Counting characters is not counting bytes: "é" is one character, two bytes.
            guard let bytes = Hex.decode(groups.joined()), bytes.count == Self.size else { return nil }
            self.bytes = bytes
        }

        /// The unused entry marker (`PartitionTypeGUID` of an empty slot).
        public static let zero = GUID(bytes: [UInt8](repeating: 0, count: 16))

        /// Lowercase 8-4-4-4-12.
        public var description: String {
            [bytes[0..<4], bytes[4..<6], bytes[6..<8], bytes[8..<10], bytes[10..<16]]
                .map { Hex.encode($0) }
                .joined(separator: "-")
        }

        /// The 16 bytes as GPT stores them.
        public func encodedMixedEndian() -> [UInt8] {
            Self.swapFirstFields(bytes[...])
        }

        /// Decodes 16 bytes stored mixed-endian (the slice must hold exactly 16).
        public init(mixedEndian: ArraySlice<UInt8>) {
            self.init(bytes: Self.swapFirstFields(mixedEndian))
        }

        public init(mixedEndian: [UInt8]) {
            self.init(mixedEndian: mixedEndian[...])
        }

        /// The first 16 of `digest`'s bytes as a random (version 4) GUID: the RFC 4122
        /// version set to 4 (`bytes[6]` high nibble) and the variant to 10xx (`bytes[8]` top
        /// bits), as systemd's `id128_make_v4_uuid` does. Which digest (systemd-repart's
        /// HMAC-SHA256 of the seed) is image-layout policy, not the GPT's: `ImageLayout`.
        public static func version4(from digest: [UInt8]) -> GUID {
            var bytes = Array(digest.prefix(size))
            bytes += [UInt8](repeating: 0, count: size - bytes.count)
            bytes[6] = (bytes[6] & 0x0F) | 0x40
            bytes[8] = (bytes[8] & 0x3F) | 0x80
            return GUID(bytes: bytes)
        }

        public static func < (lhs: GUID, rhs: GUID) -> Bool {
            lhs.bytes.lexicographicallyPrecedes(rhs.bytes)
        }

        /// Encoded as its text, so manifests and JSON reports show the usual form.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let guid = GUID(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container, debugDescription: "'\(text)' is not a GUID; expected 8-4-4-4-12 hex digits")
            }
            self = guid
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(description)
        }

        /// Reverses bytes 0-3, 4-5 and 6-7; its own inverse, so it both encodes and decodes.
        private static func swapFirstFields(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
            precondition(bytes.count == size, "a GUID has 16 bytes, not \(bytes.count)")
            let b = Array(bytes)
            return [b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6]] + b[8..<16]
        }
    }
}
