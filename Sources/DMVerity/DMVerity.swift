import Crypto

/// dm-verity hash trees, byte for byte as `veritysetup format` writes them, and the verity-sig
/// partition that carries a signature over the root hash.
///
/// The hash device (with the default 4 KiB blocks and SHA-256, 128 digests per hash block):
///
/// ```
///  hash block 0        1 ...                                                  last
/// ┌──────────────────┬───────────┬──────────────────┬───── … ─┬──────────────────────┐
/// │ superblock (512) │ level n-1 │ level n-2        │          │ level 0              │
/// │ zero to 4096     │ (1 block) │ digests of n-1…  │          │ digests of the data  │
/// └──────────────────┴───────────┴──────────────────┴───── … ─┴──────────────────────┘
///  root hash = SHA256(salt ‖ level n-1 block)
///  level 0 entry i = SHA256(salt ‖ data block i); level k entry i = SHA256(salt ‖ block i of level k-1)
/// ```
///
/// Levels are stored top-down: the single block nearest the root first, the level over the
/// data blocks last. Each level ends in a partly used block whose unused tail is zero (and
/// is hashed as such). The number of levels is the smallest `n` with
/// `(dataBlocks - 1) >> (7 n) == 0`, so a device of exactly one data block has no tree at
/// all: its root hash is `SHA256(salt ‖ data block 0)` and the hash device is only the
/// superblock block (cryptsetup `lib/verity/verity_hash.c`, `hash_levels`; the kernel's
/// `dm-verity-target.c` counts levels the same way).
public enum DMVerity {}

extension DMVerity {
    /// A byte range of a regular file (a partition inside a disk image, or a whole file).
    public struct Region: Sendable, Equatable {
        public var path: String
        public var offset: UInt64
        public var length: UInt64

        public init(path: String, offset: UInt64, length: UInt64) {
            self.path = path
            self.offset = offset
            self.length = length
        }
    }

    /// What the superblock records and the kernel table repeats. The defaults are
    /// veritysetup's: SHA-256, 4 KiB data and hash blocks, hash type 1 (salt first).
    public struct Parameters: Sendable, Equatable, Codable {
        /// Prepended to every hashed block; veritysetup draws 32 random bytes, up to 256 fit
        /// the superblock. Empty is allowed (the kernel table then says "-").
        public var salt: [UInt8]
        /// The superblock UUID, 16 bytes; veritysetup shows it as the device UUID.
        public var uuid: [UInt8]
        public var dataBlockSize: Int = 4096
        public var hashBlockSize: Int = 4096
        /// 1 = the normal format (salt before the block). Type 0 (Chrome OS) is not written.
        public var hashType: UInt32 = 1
        public var algorithm = "sha256"

        public init(salt: [UInt8], uuid: [UInt8]) {
            self.salt = salt
            self.uuid = uuid
        }

        /// Salt and UUID derived from a 16-byte build seed, as systemd-repart derives them:
        /// salt = HMAC-SHA256(seed, "verity-salt"), UUID = the first 16 bytes of
        /// HMAC-SHA256(seed, "verity-uuid") with the RFC 4122 version-4 bits set.
        public init(seed: [UInt8]) throws {
            let salt = try HMACSHA256.authenticationCode(for: Array("verity-salt".utf8), key: seed)
            var uuid = Array(try HMACSHA256.authenticationCode(for: Array("verity-uuid".utf8), key: seed).prefix(16))
            uuid[6] = (uuid[6] & 0x0f) | 0x40
            uuid[8] = (uuid[8] & 0x3f) | 0x80
            self.init(salt: salt, uuid: uuid)
        }

        /// A block size veritysetup accepts (`VERITY_BLOCK_SIZE_OK`): a power of two from
        /// 512 bytes to 512 KiB. The bound also caps what a reader buffers per block.
        static func isValidBlockSize(_ size: Int) -> Bool {
            size >= 512 && size <= maximumBlockSize && size & (size - 1) == 0
        }

        /// The largest data or hash block (512 KiB).
        public static let maximumBlockSize = 512 * 1024

        /// Digest size of `algorithm`.
        static let digestSize = SaltedBlockHasher.digestSize

        /// The checks veritysetup makes (`VERITY_BLOCK_SIZE_OK`, salt at most 256 bytes) plus
        /// what this implementation writes (hash type 1, SHA-256).
        func validate() throws(DMVerityError) {
            guard salt.count <= 256 else {
                throw .invalidParameters("salt of \(salt.count) bytes is too long; the superblock holds at most 256")
            }
            guard uuid.count == 16 else {
                throw .invalidParameters("UUID of \(uuid.count) bytes; it must be exactly 16")
            }
            for (name, size) in [("data", dataBlockSize), ("hash", hashBlockSize)] {
                guard Self.isValidBlockSize(size) else {
                    throw .invalidParameters(
                        "\(name) block size \(size) is not a power of two from 512 bytes to 512 KiB (4096 is the usual size)")
                }
            }
            guard hashType == 1 else {
                throw .invalidParameters("hash type \(hashType) is not supported; only type 1 (salt before each block) is")
            }
            guard algorithm == "sha256" else {
                throw .invalidParameters("hash algorithm \"\(algorithm)\" is not supported; only sha256 is")
            }
        }
    }
}
