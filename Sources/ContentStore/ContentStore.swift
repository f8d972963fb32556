import ByteCodec
import Crypto
import Foundation

/// A content-addressed store on disk: every blob lives under the lowercase hex SHA-256 of its
/// bytes (`objects/sha256/ab/abcdef…`). The package cache (.debs, indices) and the file tree's
/// file contents share it, so a file is never held in memory and never stored twice.
///
/// Writes are atomic: bytes stream into a temporary file in the same directory, are hashed on
/// the way, fsynced, and renamed into place only when complete (and, for `put(expecting:)`,
/// only when the hash matches). An interrupted write leaves at most a `tmp/` file that a later
/// `open` removes, never a partial object. Several processes (and several stores in one
/// process) may share a root: temporary files carry their process id, and `open` removes only
/// those of processes that are gone.
public struct ContentStore: Sendable {
    public let root: String

    /// A reference to stored bytes.
    public struct Ref: Hashable, Sendable, Codable, Comparable, CustomStringConvertible {
        /// Lowercase hex SHA-256.
        public var sha256: String
        public var size: UInt64

        public init(sha256: String, size: UInt64) {
            self.sha256 = sha256
            self.size = size
        }

        public var description: String { "sha256:\(sha256) (\(size) bytes)" }
        public static func < (a: Ref, b: Ref) -> Bool { a.sha256 < b.sha256 }
    }

    public enum StoreError: Error, CustomStringConvertible {
        case io(String, path: String)
        case hashMismatch(expected: String, actual: String, what: String)
        case sizeMismatch(expected: UInt64, actual: UInt64, what: String)
        case missing(Ref)

        public var description: String {
            switch self {
            case let .io(message, path): return "\(path): \(message)"
            case let .hashMismatch(expected, actual, what):
                return "\(what): SHA-256 is \(actual), expected \(expected); the download is corrupt or was tampered with"
            case let .sizeMismatch(expected, actual, what):
                return "\(what): \(actual) bytes, expected \(expected)"
            case let .missing(ref): return "content \(ref) is not in the store"
            }
        }
    }

    /// Opens (creating if needed) a store; removes temporary files an interrupted run left.
    public init(root: String) throws {
        self.root = root
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: root + "/objects/sha256", withIntermediateDirectories: true)
            try fm.createDirectory(atPath: root + "/tmp", withIntermediateDirectories: true)
        } catch {
            throw StoreError.io("cannot create the content store: \(error.localizedDescription)", path: root)
        }
        for name in (try? fm.contentsOfDirectory(atPath: root + "/tmp")) ?? [] where Self.isStale(temporary: name) {
            try? fm.removeItem(atPath: root + "/tmp/" + name)
        }
    }

    /// "PID.UUID": stale when no process PID runs (a name without one is from an older
    /// hostimg and stale too). A live writer in another process keeps its file.
    static func isStale(temporary name: String) -> Bool {
        guard let dot = name.firstIndex(of: "."), let pid = Int32(name[..<dot]), pid > 0 else { return true }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    /// `$XDG_CACHE_HOME/hostimg` or `~/.cache/hostimg`.
    public static var defaultRoot: String {
        let env = ProcessInfo.processInfo.environment
        if let xdg = env["XDG_CACHE_HOME"], xdg.hasPrefix("/") { return xdg + "/hostimg" }
        return (env["HOME"] ?? NSHomeDirectory()) + "/.cache/hostimg"
    }

    public func path(for ref: Ref) -> String { path(forHash: ref.sha256) }

    public func path(forHash sha256: String) -> String {
        "\(root)/objects/sha256/\(sha256.prefix(2))/\(sha256)"
    }

    public func contains(_ ref: Ref) -> Bool {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path(for: ref)),
              let size = attributes[.size] as? UInt64 else { return false }
        return size == ref.size
    }

    /// Reads a whole blob (for small files: configuration, control data).
    public func read(_ ref: Ref) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path(for: ref)) else { throw StoreError.missing(ref) }
        return [UInt8](data)
    }

    /// Stores bytes already in memory.
    @discardableResult
    public func put(_ bytes: [UInt8]) throws -> Ref {
        let writer = try Writer(store: self)
        try writer.write(bytes)
        return try writer.commit(expecting: nil, what: "content")
    }

    /// Streams bytes in through `body`, which calls the `write` closure it is given as often as
    /// it likes. With `expecting`, the object is only stored when its hash and size match.
    @discardableResult
    public func put(expecting expected: Ref? = nil, what: String = "content",
                    _ body: (_ write: ([UInt8]) throws -> Void) throws -> Void) throws -> Ref {
        let writer = try Writer(store: self)
        do {
            try body { try writer.write($0) }
        } catch {
            writer.abandon()
            throw error
        }
        return try writer.commit(expecting: expected, what: what)
    }

    /// One object being written: a temporary file plus a running hash.
    public final class Writer {
        let store: ContentStore
        let temporary: String
        let handle: FileHandle
        var hasher: SHA256
        var size: UInt64 = 0
        var finished = false

        public init(store: ContentStore) throws {
            self.store = store
            temporary = "\(store.root)/tmp/\(getpid()).\(UUID().uuidString)"
            guard FileManager.default.createFile(atPath: temporary, contents: nil),
                  let handle = FileHandle(forWritingAtPath: temporary) else {
                throw StoreError.io("cannot create a temporary file", path: temporary)
            }
            self.handle = handle
            hasher = try SHA256()
        }

        public func write(_ bytes: [UInt8]) throws {
            guard !bytes.isEmpty else { return }
            try hasher.update(bytes)
            size += UInt64(bytes.count)
            do {
                try handle.write(contentsOf: bytes)
            } catch {
                throw StoreError.io("write failed: \(error.localizedDescription)", path: temporary)
            }
        }

        public func abandon() {
            guard !finished else { return }
            finished = true
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temporary)
        }

        /// Verifies, fsyncs and renames the object into place; returns its reference.
        public func commit(expecting expected: Ref?, what: String) throws -> Ref {
            guard !finished else { throw StoreError.io("object already committed", path: temporary) }
            finished = true
            var digestHasher = try SHA256()
            swap(&digestHasher, &hasher)
            let digest = Hex.encode(try digestHasher.finalize())
            do {
                try handle.synchronize()
                try handle.close()
            } catch {
                try? FileManager.default.removeItem(atPath: temporary)
                throw StoreError.io("cannot flush: \(error.localizedDescription)", path: temporary)
            }
            if let expected {
                if expected.size != size {
                    try? FileManager.default.removeItem(atPath: temporary)
                    throw StoreError.sizeMismatch(expected: expected.size, actual: size, what: what)
                }
                if expected.sha256.lowercased() != digest {
                    try? FileManager.default.removeItem(atPath: temporary)
                    throw StoreError.hashMismatch(expected: expected.sha256, actual: digest, what: what)
                }
            }
            let ref = Ref(sha256: digest, size: size)
            let destination = store.path(for: ref)
            let directory = (destination as NSString).deletingLastPathComponent
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if rename(temporary, destination) != 0 {
                let reason = String(cString: strerror(errno))
                try? FileManager.default.removeItem(atPath: temporary)
                throw StoreError.io("cannot move into place: \(reason)", path: destination)
            }
            return ref
        }

        deinit { abandon() }
    }
}
