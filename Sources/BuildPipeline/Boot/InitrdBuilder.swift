import Archive
import ContentStore
import ELF
import FileTree
import Foundation
import Manifests
import SystemIO
import Zstd

/// The initrd: a cpio "newc" archive compressed with zstd (what the kernel unpacks into its
/// initramfs), holding the init, the modules boot needs, and exactly the shared libraries the
/// programs in it need — found by following ELF DT_NEEDED and PT_INTERP through the image's
/// own tree, so the initrd's libraries are the image's libraries. hostimg's own init is
/// statically linked and needs none; a dynamically linked one (HOSTIMG_INIT) still gets its own.
///
/// Deterministic: entries sorted by path, every mtime the build's epoch, owners root, no
/// inode numbers from the build host (the Archive writer numbers them in order).
public struct InitrdBuilder {
    public enum Content: Sendable, Equatable {
        case directory
        case symlink(String)
        /// A regular file from the content store.
        case stored(ContentStore.Ref)
        /// A regular file given as bytes (configuration the build writes).
        case bytes([UInt8])
        /// A regular file from the build host (the init program).
        case hostFile(String)
    }

    public struct Entry: Sendable, Equatable {
        public var content: Content
        public var mode: UInt16
    }

    public struct Summary: Sendable, Codable, Equatable {
        public var entries: Int
        public var files: Int
        public var uncompressedBytes: UInt64
        public var compressedBytes: UInt64
        public var libraries: [String]
    }

    let tree: FileTree
    /// Nil for a builder that re-packs an existing initrd (`reading`): no tree to copy from.
    let store: ContentStore?
    public private(set) var entries: [String: Entry] = ["/": Entry(content: .directory, mode: 0o755)]
    /// Shared libraries added for DT_NEEDED, for the report.
    public private(set) var libraries: Set<String> = []

    public init(tree: FileTree, store: ContentStore) {
        self.tree = tree
        self.store = store
    }

    public mutating func addDirectory(_ path: String, mode: UInt16 = 0o755) {
        addParents(of: path)
        entries[path] = Entry(content: .directory, mode: mode)
    }

    public mutating func add(_ bytes: [UInt8], at path: String, mode: UInt16 = 0o644) {
        addParents(of: path)
        entries[path] = Entry(content: .bytes(bytes), mode: mode)
    }

    public mutating func addSymlink(at path: String, target: String) {
        addParents(of: path)
        entries[path] = Entry(content: .symlink(target), mode: 0o777)
    }

    /// A program from the build host (the init), with the libraries it needs from the image.
    public mutating func addHostExecutable(_ hostPath: String, at path: String) throws {
        addParents(of: path)
        entries[path] = Entry(content: .hostFile(hostPath), mode: 0o755)
        let object: ELF.Object
        do {
            object = try ELF.Object(path: hostPath)
        } catch {
            throw BuildError(stage: .boot, cause: error, context: "\(hostPath) is not an ELF program")
        }
        try addLibraries(of: object, neededBy: path)
    }

    /// A path of the image's tree, with every symlink on the way to it, and — for ELF
    /// programs and libraries — what they need.
    public mutating func addFromTree(_ path: String, followELF: Bool = false) throws {
        guard let (resolved, _) = try copyChain(path) else {
            throw BuildError(stage: .boot, "\(path) is not in the image's tree")
        }
        guard followELF else { return }
        let object: ELF.Object?
        do {
            object = try sharedLibraries.object(at: resolved)
        } catch {
            throw Self.buildError(error)
        }
        if let object { try addLibraries(of: object, neededBy: resolved) }
    }

    /// The interpreter and the libraries `object` needs (`SharedLibraries`), copied from the tree.
    private mutating func addLibraries(of object: ELF.Object, neededBy user: String) throws {
        let needs: [SharedLibraries.Need]
        do {
            needs = try sharedLibraries.closure(of: object, neededBy: user, known: libraries)
        } catch {
            throw Self.buildError(error)
        }
        for need in needs {
            switch need {
            case let .interpreter(path) where entries[path] == nil:
                guard try copyChain(path) != nil else {
                    throw Self.buildError(.missingInterpreter(user: user, path: path))
                }
            case .interpreter:
                continue
            case let .library(name, path):
                libraries.insert(name)
                guard try copyChain(path) != nil else { throw Self.buildError(.missingLibrary(user: user, name: name)) }
            }
        }
    }

    private var sharedLibraries: SharedLibraries { SharedLibraries(tree: tree, store: store) }

    private static func buildError(_ failure: SharedLibraries.Failure) -> BuildError {
        switch failure {
        case .missingInterpreter: return BuildError(stage: .boot, failure.description)
        case .missingLibrary: return BuildError(stage: .boot, failure.description + "; add the package that ships it")
        case let .unreadable(path, cause): return BuildError(stage: .boot, cause: cause, context: path)
        }
    }

    /// Copies the file at `path` and every symlink met resolving it; returns the final node.
    private mutating func copyChain(_ path: String) throws -> (String, FileTree.Node)? {
        var current = path
        for _ in 0..<40 {
            // Parents first: a symlinked parent (/lib64 → usr/lib64) is copied and followed.
            var resolvedParent = "/"
            var redirected: String?
            for component in current.split(separator: "/").dropLast() {
                let candidate = resolvedParent == "/" ? "/" + component : resolvedParent + "/" + component
                if case let .symlink(target)? = tree[candidate]?.kind {
                    addSymlink(at: candidate, target: target)
                    guard let next = FileTree.join(FileTree.parent(of: candidate), target) else { return nil }
                    redirected = next + "/" + current.split(separator: "/").dropFirst(candidate.split(separator: "/").count).joined(separator: "/")
                    break
                }
                resolvedParent = candidate
            }
            if let redirected {
                current = redirected
                continue
            }
            guard let node = tree[current] else { return nil }
            switch node.kind {
            case let .symlink(target):
                addSymlink(at: current, target: target)
                guard let next = FileTree.join(FileTree.parent(of: current), target) else { return nil }
                current = next
            case let .hardlink(target):
                guard let original = tree[target] else { return nil }
                if let ref = original.content {
                    addParents(of: current)
                    entries[current] = Entry(content: .stored(ref), mode: original.mode)
                }
                return (current, original)
            case let .regular(ref):
                addParents(of: current)
                entries[current] = Entry(content: .stored(ref), mode: node.mode)
                return (current, node)
            case .directory:
                addDirectory(current, mode: node.mode)
                return (current, node)
            default:
                return nil
            }
        }
        return nil
    }

    private func contentStore() throws -> ContentStore {
        guard let store else { throw BuildError(stage: .boot, "no content store to read the image's files from") }
        return store
    }

    private mutating func addParents(of path: String) {
        var parent = FileTree.parent(of: path)
        while parent != "/", entries[parent] == nil {
            entries[parent] = Entry(content: .directory, mode: 0o755)
            parent = FileTree.parent(of: parent)
        }
    }

    /// The cpio "newc" archive, uncompressed: entries sorted, every time `mtime`, root-owned.
    /// `contentBytes` counts the files' bytes (what the report calls uncompressed).
    public func archive(mtime: Int64) throws -> (bytes: [UInt8], files: Int, contentBytes: UInt64) {
        var contentBytes: UInt64 = 0
        var files = 0
        do {
            let writer = try ArchiveWriter(format: .cpioNewc)
            let time = ArchiveEntry.Timestamp(seconds: mtime)
            func writeFile(_ name: String, _ bytes: [UInt8], mode: UInt16) throws {
                try writer.writeHeader(.file(name, size: Int64(bytes.count), mode: mode, mtime: time))
                try writer.writeData(bytes)
                contentBytes += UInt64(bytes.count)
                files += 1
            }
            for (path, entry) in entries.sorted(by: { $0.key < $1.key }) where path != "/" {
                let name = String(path.dropFirst())
                switch entry.content {
                case .directory:
                    try writer.writeHeader(.directory(name, mode: entry.mode, mtime: time))
                case let .symlink(target):
                    try writer.writeHeader(.symlink(name, target: target, mtime: time))
                case let .stored(ref):
                    try writeFile(name, try contentStore().read(ref), mode: entry.mode)
                case let .bytes(bytes):
                    try writeFile(name, bytes, mode: entry.mode)
                case let .hostFile(hostPath):
                    guard let data = FileManager.default.contents(atPath: hostPath) else {
                        throw BuildError(stage: .boot, "cannot read \(hostPath)")
                    }
                    try writeFile(name, [UInt8](data), mode: entry.mode)
                }
            }
            try writer.finish()
            return (writer.bytes, files, contentBytes)
        } catch let error as BuildError {
            throw error
        } catch {
            throw BuildError(stage: .boot, cause: error, context: "cannot write the initrd's cpio archive")
        }
    }

    /// The initrd's bytes: `archive` compressed in one zstd frame with `compression`, or the
    /// same bytes from the content store's `InitrdCache` when this archive was compressed before.
    public func compressed(mtime: Int64, compression: Zstandard.Parameters = compression) throws -> (bytes: [UInt8], summary: Summary) {
        let (archive, files, contentBytes) = try archive(mtime: mtime)
        let cache = store.map(InitrdCache.init)
        let key = try? cache?.key(archive: archive, compression: compression)
        let bytes: [UInt8]
        if let cache, let key, let cached = cache.load(key: key, archive: archive) {
            bytes = cached
        } else {
            do {
                bytes = try Zstandard.compress(archive, parameters: compression)
            } catch {
                throw BuildError(stage: .boot, cause: error, context: "cannot compress the initrd (\(archive.count) bytes)")
            }
            if let cache, let key { cache.save(bytes, key: key) }
        }
        let summary = Summary(entries: entries.count - 1, files: files, uncompressedBytes: contentBytes,
                              compressedBytes: UInt64(bytes.count), libraries: libraries.sorted())
        return (bytes, summary)
    }

    /// `compressed`, written to `path` (replaced atomically).
    public func write(to path: String, mtime: Int64, compression: Zstandard.Parameters = compression) throws -> Summary {
        let (bytes, summary) = try compressed(mtime: mtime, compression: compression)
        do {
            try SystemIO.replace(path, with: bytes)
        } catch {
            throw BuildError(stage: .boot, cause: error, context: "cannot write \(path)")
        }
        return summary
    }
}

extension InitrdBuilder {
    /// A builder holding what an initrd `write` made, to change it and write it again: the
    /// same entries give the same bytes. Returns the entries' time (the build's epoch).
    public static func reading(_ initrd: [UInt8], name: String) throws -> (builder: InitrdBuilder, mtime: Int64) {
        var builder = InitrdBuilder()
        var mtime: Int64 = 0
        do {
            let reader = try ArchiveReader(bytes: initrd)
            while let entry = try reader.nextEntry() {
                var stored = Substring(entry.path)
                if stored.hasPrefix("./") { stored = stored.dropFirst(2) }
                let path = "/" + stored.drop { $0 == "/" }
                guard path != "/" else { continue }
                mtime = entry.mtime.seconds
                switch entry.type {
                case .directory:
                    builder.addDirectory(path, mode: entry.mode)
                case .symlink:
                    builder.addSymlink(at: path, target: entry.symlinkTarget ?? "")
                case .regular:
                    builder.add(try reader.readAllData(), at: path, mode: entry.mode)
                default:
                    throw BuildError(stage: .boot, "\(name): \(entry.path) is a \(entry.type.rawValue), which hostimg never writes into an initrd")
                }
            }
        } catch let error as BuildError {
            throw error
        } catch {
            throw BuildError(stage: .boot, cause: error, context: "\(name) is not an initrd hostimg can read")
        }
        return (builder, mtime)
    }

    private init() {
        tree = FileTree()
        store = nil
    }
}
