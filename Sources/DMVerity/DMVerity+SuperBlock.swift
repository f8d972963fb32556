extension DMVerity {
    /// The 512-byte superblock at the start of the hash device, little-endian
    /// (cryptsetup `lib/verity/verity.c`, `struct verity_sb`). The kernel never reads it: it
    /// is for veritysetup, which takes the parameters from it instead of the command line.
    ///
    /// ```
    /// offset size field (verity_sb)
    ///      0    8 signature        "verity\0\0"
    ///      8    4 version          1
    ///     12    4 hash_type        1 (0 = Chrome OS)
    ///     16   16 uuid
    ///     32   32 algorithm        "sha256", NUL-padded
    ///     64    4 data_block_size
    ///     68    4 hash_block_size
    ///     72    8 data_blocks
    ///     80    2 salt_size
    ///     82    6 _pad1
    ///     88  256 salt             zero-padded
    ///    344  168 _pad2
    /// ```
    public struct SuperBlock: Sendable, Equatable {
        public static let size = 512
        /// `signature`: "verity" and two NULs.
        public static let magic: [UInt8] = Array("verity".utf8) + [0, 0]

        /// `version`: the superblock format, always 1.
        public var version: UInt32 = 1
        /// `hash_type`
        public var hashType: UInt32
        /// `uuid`
        public var uuid: [UInt8]
        /// `algorithm`
        public var algorithm: String
        /// `data_block_size`
        public var dataBlockSize: UInt32
        /// `hash_block_size`
        public var hashBlockSize: UInt32
        /// `data_blocks`
        public var dataBlocks: UInt64
        /// `salt` (its first `salt_size` bytes)
        public var salt: [UInt8]

        public init(parameters: Parameters, dataBlocks: UInt64) {
            hashType = parameters.hashType
            uuid = parameters.uuid
            algorithm = parameters.algorithm
            dataBlockSize = UInt32(truncatingIfNeeded: parameters.dataBlockSize)
            hashBlockSize = UInt32(truncatingIfNeeded: parameters.hashBlockSize)
            self.dataBlocks = dataBlocks
            salt = parameters.salt
        }

        /// The parameters this superblock records.
        public var parameters: Parameters {
            var parameters = Parameters(salt: salt, uuid: uuid)
            parameters.dataBlockSize = Int(dataBlockSize)
            parameters.hashBlockSize = Int(hashBlockSize)
            parameters.hashType = hashType
            parameters.algorithm = algorithm
            return parameters
        }

        /// The 512 on-disk bytes. Fields longer than their slot (never produced by a validated
        /// `Parameters`) are cut to the slot.
        public func encoded() -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: Self.size)
            func put(_ value: UInt64, width: Int, at offset: Int) {
                for index in 0..<width { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
            }
            func put(_ field: [UInt8], at offset: Int, slot: Int) {
                for (index, byte) in field.prefix(slot).enumerated() { bytes[offset + index] = byte }
            }
            put(Self.magic, at: 0, slot: 8)
            put(UInt64(version), width: 4, at: 8)
            put(UInt64(hashType), width: 4, at: 12)
            put(uuid, at: 16, slot: 16)
            put(Array(algorithm.utf8), at: 32, slot: 32)
            put(UInt64(dataBlockSize), width: 4, at: 64)
            put(UInt64(hashBlockSize), width: 4, at: 68)
            put(dataBlocks, width: 8, at: 72)
            put(UInt64(min(salt.count, 256)), width: 2, at: 80)
            put(salt, at: 88, slot: 256)
            return bytes
        }

        /// Decode and check a superblock the way veritysetup does (`VERITY_read_sb`): magic,
        /// version 1, a known hash type, valid block sizes, a salt that fits. `bytes` must
        /// hold at least 512 bytes; the padding is not checked, as veritysetup does not.
        public init(decoding bytes: [UInt8]) throws {
            try self.init(decoding: bytes, path: "the superblock", offset: 0)
        }

        init(decoding bytes: [UInt8], path: String, offset: UInt64) throws(DMVerityError) {
            func invalid(_ reason: String) -> DMVerityError {
                .superBlockInvalid(path: path, offset: offset, reason: reason)
            }
            guard bytes.count >= Self.size else {
                throw invalid("only \(bytes.count) bytes; a superblock is \(Self.size)")
            }
            func value(at offset: Int, width: Int) -> UInt64 {
                (0..<width).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
            }
            guard Array(bytes[0..<8]) == Self.magic else {
                throw invalid("the signature is \(hexString(bytes[0..<8])), not \"verity\\0\\0\" (76657269747900 00)")
            }
            version = UInt32(value(at: 8, width: 4))
            guard version == 1 else { throw invalid("superblock version \(version); only version 1 exists") }
            hashType = UInt32(value(at: 12, width: 4))
            guard hashType <= 1 else { throw invalid("hash type \(hashType); only 0 and 1 exist") }
            uuid = Array(bytes[16..<32])
            let name = bytes[32..<64].prefix { $0 != 0 }
            algorithm = String(decoding: name, as: UTF8.self)
            dataBlockSize = UInt32(value(at: 64, width: 4))
            hashBlockSize = UInt32(value(at: 68, width: 4))
            for (field, size) in [("data", dataBlockSize), ("hash", hashBlockSize)] {
                guard size >= 512, size <= 512 * 1024 * 1024, size & (size - 1) == 0 else {
                    throw invalid("\(field) block size \(size) is not a power of two from 512 bytes to 512 MiB")
                }
            }
            dataBlocks = value(at: 72, width: 8)
            guard dataBlocks > 0 else { throw invalid("it describes 0 data blocks") }
            let saltSize = Int(value(at: 80, width: 2))
            guard saltSize <= 256 else { throw invalid("salt size \(saltSize) is larger than the 256-byte salt field") }
            salt = Array(bytes[88..<(88 + saltSize)])
        }
    }
}
