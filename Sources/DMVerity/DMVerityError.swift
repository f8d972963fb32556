/// Errors from building or checking a dm-verity hash tree and from verity-sig partitions.
///
/// Verification failures say *what* failed and *where* (byte offsets into the files named),
/// so a corrupt image can be inspected with `hexdump -s OFFSET`.
public enum DMVerityError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A `Parameters` value veritysetup and the kernel would not accept.
    case invalidParameters(String)
    /// The data region is not a positive whole number of data blocks.
    case invalidDataSize(length: UInt64, dataBlockSize: Int)
    /// The hash region cannot hold the superblock and the tree.
    case hashRegionTooSmall(path: String, length: UInt64, needed: UInt64)
    /// The data and hash regions are in the same file and overlap.
    case regionsOverlap(path: String)
    /// A system call failed.
    case io(operation: String, path: String, message: String)
    /// OpenSSL failed while hashing (out of memory, or a broken provider).
    case hashing(String)
    /// A file ends before the region that was to be read from it.
    case truncated(path: String, offset: UInt64, needed: UInt64, fileSize: UInt64)
    /// The superblock at the start of the hash region is not a valid verity superblock
    /// (`path` nil: decoded from bytes whose file the caller knows).
    case superBlockInvalid(path: String?, offset: UInt64, reason: String)
    /// One field of the superblock holds a value that is invalid, or that disagrees with the
    /// partitions it describes (`data_blocks` larger than the data partition, a tree that
    /// does not fit the hash partition, or a tree built for another block count).
    case superBlockField(path: String?, offset: UInt64, field: String, fieldOffset: Int, problem: String)
    /// The given root hash has the wrong length or is not hex.
    case invalidRootHash(String)
    /// The top of the tree does not hash to the expected root hash.
    case rootHashMismatch(expected: String, computed: String, where: String)
    /// A stored hash block does not match its digest in the level above. Level 0 holds the
    /// digests of the data blocks; higher levels hold digests of the level below.
    case hashBlockMismatch(level: Int, index: UInt64, path: String, offset: UInt64)
    /// A data block does not match its stored digest: this block of the data is corrupt.
    case dataBlockMismatch(index: UInt64, path: String, offset: UInt64)
    /// Streamed data: one of data blocks `first...last` does not match the tree (a stream
    /// keeps the level above the data digests, not the digests themselves).
    case dataBlockRangeMismatch(first: UInt64, last: UInt64, path: String, offset: UInt64)
    /// Verifying would hold more than `limit` bytes of tree in memory.
    case treeTooLarge(path: String, bytes: UInt64, limit: UInt64)
    /// A verity-sig partition's content is not what `VeritySignature.encoded` writes.
    case signatureMalformed(String)
    /// The encoded signature does not fit the partition.
    case signatureTooLarge(bytes: Int, partitionSize: Int)
    /// The signature names a different signer certificate than the trusted one.
    case signatureCertificateMismatch(signed: String, trusted: String)
    /// The signature names a different root hash than the one expected.
    case signatureRootHashMismatch(signed: String, expected: String)
    /// The PKCS#7 signature does not verify over the root hash with the trusted certificate.
    case signatureDoesNotVerify(rootHash: String, reason: String)

    public var description: String {
        switch self {
        case .invalidParameters(let text):
            return "invalid dm-verity parameters: \(text)"
        case .invalidDataSize(let length, let blockSize):
            return "data region of \(length) bytes is not a positive multiple of the \(blockSize)-byte data block size; "
                + "pad the file system image to a whole number of blocks"
        case .hashRegionTooSmall(let path, let length, let needed):
            return "hash region of \(length) bytes in \(path) is too small: the superblock and hash tree need \(needed) bytes"
        case .regionsOverlap(let path):
            return "the data and hash regions overlap in \(path); place the hash tree after the data"
        case .io(let operation, let path, let message):
            return "could not \(operation) \(path): \(message)"
        case .hashing(let text):
            return "SHA-256 hashing failed: \(text)"
        case .truncated(let path, let offset, let needed, let fileSize):
            return "\(path) is \(fileSize) bytes long, but \(needed) bytes at offset \(offset) were to be read; "
                + "the file is truncated or the region is wrong"
        case .superBlockInvalid(let path, let offset, let reason):
            return "no valid dm-verity superblock \(Self.place(path, offset)): \(reason)"
        case .superBlockField(let path, let offset, let field, let fieldOffset, let problem):
            return "dm-verity superblock \(Self.place(path, offset)): field \(field) (byte \(fieldOffset) of the superblock) "
                + problem
        case .invalidRootHash(let text):
            return "invalid root hash: \(text)"
        case .rootHashMismatch(let expected, let computed, let location):
            return "root hash mismatch: expected \(expected), but \(location) hashes to \(computed) "
                + "(either the root hash is wrong or that block is corrupt)"
        case .hashBlockMismatch(let level, let index, let path, let offset):
            return "hash block \(index) of tree level \(level) (level 0 holds the data-block digests) "
                + "at byte offset \(offset) of \(path) does not match its digest in the level above: the hash tree is corrupt"
        case .dataBlockRangeMismatch(let first, let last, let path, let offset):
            return "one of data blocks \(first)...\(last) (from byte offset \(offset) of \(path)) does not match its "
                + "digest in the hash tree: the data is corrupt"
        case .treeTooLarge(let path, let bytes, let limit):
            return "the hash tree in \(path) would need \(bytes) bytes of memory to check as a stream; the limit is \(limit) "
                + "(enough for 1 TiB of data in 4 KiB blocks); write the payloads to a disk and verify them there"
        case .dataBlockMismatch(let index, let path, let offset):
            return "data block \(index) at byte offset \(offset) of \(path) does not match its digest in the hash tree: "
                + "the data is corrupt"
        case .signatureMalformed(let text):
            return "malformed verity signature partition: \(text)"
        case .signatureTooLarge(let bytes, let partitionSize):
            return "the verity signature needs \(bytes) bytes but the partition holds \(partitionSize); "
                + "use a smaller key (ECDSA P-256) or a larger partition"
        case .signatureCertificateMismatch(let signed, let trusted):
            return "the verity signature was made with the certificate \(signed), not the trusted certificate \(trusted) "
                + "(SHA-256 fingerprints)"
        case .signatureRootHashMismatch(let signed, let expected):
            return "the verity signature is for root hash \(signed), but the image's root hash is \(expected)"
        case .signatureDoesNotVerify(let rootHash, let reason):
            return "the verity signature over root hash \(rootHash) does not verify: \(reason)"
        }
    }

    /// "at byte 1048576 of disk.img", or "(given as bytes)" when no file was named.
    private static func place(_ path: String?, _ offset: UInt64) -> String {
        path.map { "at byte \(offset) of \($0)" } ?? "(given as bytes)"
    }
}
