import ByteCodec

/// The few pieces of ASN.1 DER (ITU-T X.690 section 10, over the BER rules of section 8) that
/// signature formats need around what OpenSSL parses: writing a tag-length-value and reading
/// one from untrusted bytes.
///
/// ```
/// ┌─────┬──────────────────────────────┬──────────────────┐
/// │ tag │ length                       │ contents octets  │
/// │ 1 B │ 0x00–0x7f: the length itself │ `length` bytes   │
/// │     │ 0x81–0x84: that many bytes   │                  │
/// │     │ follow, big-endian           │                  │
/// └─────┴──────────────────────────────┴──────────────────┘
/// ```
///
/// Only single-byte tags (numbers below 31, enough for every universal and context tag these
/// formats use) and definite lengths are accepted; the indefinite form (0x80) is BER, not DER.
/// Every read is bounds-checked and throws, never traps.
public enum DER {
    /// A universal or context-specific tag byte.
    public enum Tag {
        public static let bitString: UInt8 = 0x03
        public static let octetString: UInt8 = 0x04
        public static let null: UInt8 = 0x05
        public static let objectIdentifier: UInt8 = 0x06
        public static let sequence: UInt8 = 0x30
        /// `[n]` constructed (EXPLICIT tagging, or IMPLICIT of a constructed type).
        public static func contextConstructed(_ number: UInt8) -> UInt8 { 0xA0 | (number & 0x1F) }
        /// `[n]` primitive (IMPLICIT tagging of a primitive type).
        public static func contextPrimitive(_ number: UInt8) -> UInt8 { 0x80 | (number & 0x1F) }
    }

    /// One element: `tag`, then its length in the shortest form, then `contents`.
    public static func encode(tag: UInt8, _ contents: [UInt8]) -> [UInt8] {
        var out = [tag]
        if contents.count < 0x80 {
            out.append(UInt8(contents.count))
        } else {
            var length: [UInt8] = []
            var remaining = contents.count
            while remaining > 0 {
                length.insert(UInt8(truncatingIfNeeded: remaining), at: 0)
                remaining >>= 8
            }
            out.append(0x80 | UInt8(length.count))
            out += length
        }
        return out + contents
    }

    /// An element read from a buffer.
    public struct Element: Sendable, Equatable {
        public var tag: UInt8
        /// The contents octets, without tag and length.
        public var contents: ArraySlice<UInt8>
        /// The whole encoding: tag, length and contents.
        public var encoding: ArraySlice<UInt8>
    }

    /// Why bytes are not the DER that was expected.
    public struct DecodingError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// Reads elements one after another from `bytes`; each read names what it expected, so
    /// an error says where a structure broke.
    public struct Reader: Sendable {
        private let bytes: ArraySlice<UInt8>
        private var position: Int

        public init(_ bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            position = bytes.startIndex
        }

        public init(_ bytes: [UInt8]) { self.init(bytes[...]) }

        /// True when every byte has been read.
        public var isAtEnd: Bool { position == bytes.endIndex }

        /// The tag of the next element, without reading it; nil at the end.
        public var nextTag: UInt8? { isAtEnd ? nil : bytes[position] }

        /// The next element, which must carry `tag`; `what` names it in an error.
        public mutating func read(_ tag: UInt8, _ what: String) throws(DecodingError) -> Element {
            let element = try readAny(what)
            guard element.tag == tag else {
                throw DecodingError(
                    description: "\(what): expected tag 0x\(Self.hex(tag)), found 0x\(Self.hex(element.tag))")
            }
            return element
        }

        /// The next element, whatever its tag.
        public mutating func readAny(_ what: String) throws(DecodingError) -> Element {
            let start = position
            let end = bytes.endIndex
            guard end - start >= 2 else {
                throw DecodingError(description: "\(what): \(end - start) bytes left, too few for a tag and a length")
            }
            let tag = bytes[start]
            guard tag & 0x1F != 0x1F else {
                throw DecodingError(description: "\(what): multi-byte tag 0x\(Self.hex(tag)) is not supported")
            }
            let first = bytes[start + 1]
            var length = Int(first)
            var header = 2
            if first >= 0x80 {
                let count = Int(first & 0x7F)
                guard (1...4).contains(count) else {
                    throw DecodingError(
                        description: "\(what): length byte 0x\(Self.hex(first)) is indefinite or too long for DER")
                }
                guard end - start - 2 >= count else {
                    throw DecodingError(description: "\(what): the \(count)-byte length runs past the end")
                }
                length = bytes[(start + 2)..<(start + 2 + count)].reduce(0) { $0 << 8 | Int($1) }
                header += count
            }
            guard length <= end - start - header else {
                throw DecodingError(
                    description: "\(what): length \(length) runs past the end (\(end - start - header) bytes left)")
            }
            position = start + header + length
            return Element(
                tag: tag, contents: bytes[(start + header)..<position], encoding: bytes[start..<position])
        }

        /// Throws unless every byte was read; `what` names the enclosing structure.
        public func expectEnd(_ what: String) throws(DecodingError) {
            guard isAtEnd else {
                throw DecodingError(description: "\(what): \(bytes.endIndex - position) unexpected bytes at the end")
            }
        }

        private static func hex(_ byte: UInt8) -> String { Hex.encode(byte, digits: 2) }
    }

    /// The contents octets of `der`, which must be exactly one SEQUENCE: the part of a
    /// PKCS#7 content that its message digest covers (RFC 2315 section 9.3).
    public static func sequenceContents(of der: [UInt8], what: String) throws(DecodingError) -> ArraySlice<UInt8> {
        var reader = Reader(der)
        let element = try reader.read(Tag.sequence, what)
        try reader.expectEnd(what)
        return element.contents
    }
}
