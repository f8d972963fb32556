import Glibc

/// What can go wrong writing or reading an EROFS image. Messages name the path (in the tree
/// or the image) and what would have been valid.
public enum EROFSError: Error, CustomStringConvertible, Sendable, Equatable {
    // Writing
    case nameTooLong(path: String, bytes: Int)
    case invalidOption(String)
    case contentMissing(path: String, content: String)
    case contentShort(path: String, expected: UInt64, actual: UInt64)
    case badHardLink(path: String, target: String, reason: String)
    case badSymlink(path: String, reason: String)
    case xattrTooLarge(path: String, name: String, bytes: Int, limit: Int)
    case xattrNameInvalid(path: String, name: String, reason: String)
    case imageTooLarge(blocks: UInt64)
    /// The image needs `bytes` but the place it goes (a partition) holds `limit`.
    case doesNotFit(bytes: UInt64, limit: UInt64)
    // Both
    case io(path: String, operation: String, errno: Int32)
    /// The path cannot be read as an image: it is missing, or a FIFO, socket or directory.
    case unreadable(path: String, reason: String)
    // Reading
    case truncated(path: String, what: String, needed: UInt64, size: UInt64)
    case badMagic(path: String, found: UInt32)
    case unsupported(path: String, what: String)
    case corrupt(path: String, detail: String)
    case directoryLoop(path: String, nid: UInt64)
    /// The tree is larger than a reader holds in memory (`EROFS.Reader.Limits`).
    case tooLarge(path: String, what: String, limit: String)
    case tree(String)

    public var description: String {
        switch self {
        case let .nameTooLong(path, bytes):
            return "\(path): the name is \(bytes) bytes long; EROFS allows at most \(EROFS.maximumNameLength)"
        case let .invalidOption(message):
            return "invalid EROFS option: \(message)"
        case let .contentMissing(path, content):
            return "\(path): content \(content) is not in the store"
        case let .contentShort(path, expected, actual):
            return "\(path): the stored content has \(actual) bytes, expected \(expected); the store is corrupt"
        case let .badHardLink(path, target, reason):
            return "\(path): hard link to \(target) \(reason)"
        case let .badSymlink(path, reason):
            return "\(path): symlink \(reason)"
        case let .xattrTooLarge(path, name, bytes, limit):
            return "\(path): extended attribute \(name) needs \(bytes) bytes; at most \(limit) fit in an inode"
        case let .xattrNameInvalid(path, name, reason):
            return "\(path): extended attribute name '\(name)' \(reason)"
        case let .doesNotFit(bytes, limit):
            return "the image needs \(bytes) bytes but only \(limit) bytes are available for it"
        case let .imageTooLarge(blocks):
            return "the image would need \(blocks) blocks of 4 KiB; EROFS block addresses stop at \(UInt32.max)"
        case let .io(path, operation, errno):
            return "\(path): \(operation) failed: \(String(cString: strerror(errno)))"
        case let .unreadable(path, reason):
            return "\(path): cannot read it as an EROFS image: \(reason)"
        case let .tooLarge(path, what, limit):
            return "\(path): \(what); a reader lists at most \(limit), so it refuses the image rather than exhaust memory"
        case let .truncated(path, what, needed, size):
            return "\(path): image truncated: \(what) needs bytes up to \(needed), the image has \(size)"
        case let .badMagic(path, found):
            return "\(path): not an EROFS image: magic at byte 1024 is 0x\(String(found, radix: 16)), expected 0xe0f5e1e2"
        case let .unsupported(path, what):
            return "\(path): unsupported EROFS feature: \(what)"
        case let .corrupt(path, detail):
            return "\(path): corrupt EROFS image: \(detail)"
        case let .directoryLoop(path, nid):
            return "corrupt EROFS image: directory \(path) (nid \(nid)) is reached twice; the directory tree has a loop"
        case let .tree(message):
            return "cannot build the file tree: \(message)"
        }
    }
}
