import ByteCodec

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
            func put(_ field: [UInt8], at offset: Int, slot: Int) {
                for (index, byte) in field.prefix(slot).enumerated() { bytes[offset + index] = byte }
            }
            put(Self.magic, at: 0, slot: 8)
            bytes.setInteger(version, at: 8, endianness: .little)
            bytes.setInteger(hashType, at: 12, endianness: .little)
            put(uuid, at: 16, slot: 16)
            put(Array(algorithm.utf8), at: 32, slot: 32)
            bytes.setInteger(dataBlockSize, at: 64, endianness: .little)
            bytes.setInteger(hashBlockSize, at: 68, endianness: .little)
            bytes.setInteger(dataBlocks, at: 72, endianness: .little)
            bytes.setInteger(UInt16(min(salt.count, 256)), at: 80, endianness: .little)
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
            guard Array(bytes[0..<8]) == Self.magic else {
                throw invalid("the signature is \(Hex.encode(bytes[0..<8])), not \"verity\\0\\0\" (76657269747900 00)")
            }
            // Every field lies in the 512 bytes checked above, so the reads cannot fail.
            let fields = ByteReader(bytes, endianness: .little)
            let saltSize: UInt16
            do throws(ByteCodecError) {
                version = try fields.u32(at: 8)
                hashType = try fields.u32(at: 12)
                dataBlockSize = try fields.u32(at: 64)
                hashBlockSize = try fields.u32(at: 68)
                dataBlocks = try fields.u64(at: 72)
                saltSize = try fields.u16(at: 80)
            } catch {
                throw invalid("\(error)")
            }
            guard version == 1 else { throw invalid("superblock version \(version); only version 1 exists") }
            guard hashType <= 1 else { throw invalid("hash type \(hashType); only 0 and 1 exist") }
            uuid = Array(bytes[16..<32])
            let name = bytes[32..<64].prefix { $0 != 0 }
            algorithm = String(decoding: name, as: UTF8.self)
            for (field, size) in [("data", dataBlockSize), ("hash", hashBlockSize)] {
                guard size >= 512, size <= 512 * 1024 * 1024, size & (size - 1) == 0 else {
                    throw invalid("\(field) block size \(size) is not a power of two from 512 bytes to 512 MiB")
                }
            }
            guard dataBlocks > 0 else { throw invalid("it describes 0 data blocks") }
            guard saltSize <= 256 else { throw invalid("salt size \(saltSize) is larger than the 256-byte salt field") }
            salt = Array(bytes[88..<(88 + Int(saltSize))])
        }
    }
}
