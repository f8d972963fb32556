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
        /// version 1, a known hash type, valid block sizes, a salt that fits, and a data size
        /// (`data_blocks` × `data_block_size`) that fits in 64 bits, so `sectors` and every
        /// size computed from it cannot overflow. `bytes` must hold at least 512 bytes; the
        /// padding is not checked, as veritysetup does not. An error names the field and its
        /// byte in the superblock.
        public init(decoding bytes: [UInt8]) throws {
            try self.init(decoding: bytes, path: nil, offset: 0)
        }

        /// The same, naming the file and the byte offset the superblock was read from.
        public init(decoding bytes: [UInt8], path: String?, offset: UInt64) throws(DMVerityError) {
            guard bytes.count >= Self.size else {
                throw .superBlockInvalid(path: path, offset: offset, reason: "only \(bytes.count) bytes; a superblock is \(Self.size)")
            }
            func invalid(_ field: Field, _ problem: String) -> DMVerityError {
                .superBlockField(path: path, offset: offset, field: field.name, fieldOffset: field.offset, problem: problem)
            }
            guard Array(bytes[0..<8]) == Self.magic else {
                throw invalid(.signature, "is \(Hex.encode(bytes[0..<8])), not \"verity\\0\\0\" (7665726974790000)")
            }
            // Every field lies in the 512 bytes checked above, so the reads cannot fail.
            let fields = ByteReader(bytes, endianness: .little)
            let saltSize: UInt16
            do throws(ByteCodecError) {
                version = try fields.u32(at: Field.version.offset)
                hashType = try fields.u32(at: Field.hashType.offset)
                dataBlockSize = try fields.u32(at: Field.dataBlockSize.offset)
                hashBlockSize = try fields.u32(at: Field.hashBlockSize.offset)
                dataBlocks = try fields.u64(at: Field.dataBlocks.offset)
                saltSize = try fields.u16(at: Field.saltSize.offset)
            } catch {
                throw .superBlockInvalid(path: path, offset: offset, reason: "\(error)")
            }
            guard version == 1 else { throw invalid(.version, "is \(version); only version 1 exists") }
            guard hashType <= 1 else { throw invalid(.hashType, "is \(hashType); only 0 and 1 exist") }
            uuid = Array(bytes[16..<32])
            let name = bytes[32..<64].prefix { $0 != 0 }
            algorithm = String(decoding: name, as: UTF8.self)
            for (field, size) in [(Field.dataBlockSize, dataBlockSize), (Field.hashBlockSize, hashBlockSize)] {
                guard Parameters.isValidBlockSize(Int(size)) else {
                    throw invalid(field, "is \(size), not a power of two from 512 bytes to 512 KiB (veritysetup's VERITY_BLOCK_SIZE_OK)")
                }
            }
            guard dataBlocks > 0 else { throw invalid(.dataBlocks, "is 0; a verity device has at least one data block") }
            guard !dataBlocks.multipliedReportingOverflow(by: UInt64(dataBlockSize)).overflow else {
                throw invalid(.dataBlocks, "is \(dataBlocks): \(dataBlocks) blocks of \(dataBlockSize) bytes do not fit in 64 bits")
            }
            guard saltSize <= 256 else { throw invalid(.saltSize, "is \(saltSize), larger than the 256-byte salt field") }
            salt = Array(bytes[88..<(88 + Int(saltSize))])
        }

        /// Bytes of data the tree covers: `data_blocks` × `data_block_size` (fits: decoding
        /// checked it, and `init(parameters:dataBlocks:)` is given real sizes).
        public var dataBytes: UInt64 {
            let (bytes, overflow) = dataBlocks.multipliedReportingOverflow(by: UInt64(dataBlockSize))
            return overflow ? UInt64.max : bytes
        }

        /// The fields of `struct verity_sb` that errors name, with their byte offsets.
        public struct Field: Sendable, Equatable {
            public var name: String
            public var offset: Int

            public static let signature = Field(name: "signature", offset: 0)
            public static let version = Field(name: "version", offset: 8)
            public static let hashType = Field(name: "hash_type", offset: 12)
            public static let algorithm = Field(name: "algorithm", offset: 32)
            public static let dataBlockSize = Field(name: "data_block_size", offset: 64)
            public static let hashBlockSize = Field(name: "hash_block_size", offset: 68)
            public static let dataBlocks = Field(name: "data_blocks", offset: 72)
            public static let saltSize = Field(name: "salt_size", offset: 80)
        }
    }
}
