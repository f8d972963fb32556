import Archive
import ContentStore
import FileTree

/// The entries of one source (a package's data.tar, a rootfs tarball, an overlay), read
/// completely and checked on their own before anything touches the `FileTree`.
///
/// Reading and applying are separate so that a truncated or hostile archive leaves the tree
/// as it was, and so that many packages can be read in parallel and applied in lock order.
public struct StagedTree: Sendable {
    public struct Entry: Sendable, Hashable, Codable {
        /// Normalised absolute path as it will be stored (after merged-/usr mapping).
        public var path: String
        /// The path as the archive spelled it, for error messages.
        public var original: String
        public var node: FileTree.Node
    }

    public let location: SourceLocation
    /// Entries in archive order; a path the archive repeats keeps its first position and its
    /// last node (as extracting the archive would leave it).
    public private(set) var entries: [Entry] = []
    /// The root directory's own entry (`./`), when the archive has one.
    public private(set) var root: FileTree.Node?
    /// Top-level merged-/usr links the entries need (`lib32` when something is under `/lib32`).
    public internal(set) var usrLinks: Set<String> = []
    private var index: [String: Int] = [:]

    init(location: SourceLocation) {
        self.location = location
    }

    public var paths: [String] { entries.map(\.path) }

    func node(at path: String) -> FileTree.Node? {
        index[path].map { entries[$0].node }
    }

    /// Add one entry. `path` is already normalised; the checks that need only this source
    /// (symlink targets, hard-link targets) happen here, the ones against the tree in `apply`.
    mutating func add(path: String, original: String, node: FileTree.Node) throws(RootFSError) {
        if path == "/" {
            if node.isDirectory { root = node }
            return
        }
        var node = node
        switch node.kind {
        case let .symlink(target):
            if target.isEmpty {
                throw .unsupportedEntry(location, entry: original, reason: "a symlink with an empty target")
            }
            if !target.hasPrefix("/"), FileTree.join(FileTree.parent(of: path), target) == nil {
                throw .symlinkEscapes(location, entry: original, target: target)
            }
        case let .hardlink(target):
            guard let targetNode = self.node(at: target) else {
                throw .badHardlink(location, entry: original, target: target, reason: "which is not an earlier entry of the same archive")
            }
            switch targetNode.kind {
            case .regular:
                break
            case let .hardlink(first):
                node.kind = .hardlink(first)
            default:
                throw .badHardlink(location, entry: original, target: target, reason: "which is not a regular file")
            }
            if target == path {
                throw .badHardlink(location, entry: original, target: target, reason: "which is itself")
            }
        default:
            break
        }
        if let existing = index[path] {
            entries[existing].node = node
        } else {
            index[path] = entries.count
            entries.append(Entry(path: path, original: original, node: node))
        }
    }
}

extension StagedTree {
    /// Read every entry of a tar stream into a staged tree: regular files go into `store`
    /// chunk by chunk, everything else into nodes. `mapPath` turns a normalised archive path
    /// into the path stored (merged-/usr remapping, or the identity).
    static func read(_ reader: ArchiveReader, location: SourceLocation, store: ContentStore, origin: String?,
                     mapPath: (String) -> String) throws(RootFSError) -> StagedTree {
        var staged = StagedTree(location: location)
        var last: String?
        while true {
            let entry: ArchiveEntry
            do {
                guard let next = try reader.nextEntry() else { break }
                entry = next
            } catch {
                throw .unreadable(location, entry: last.map { "after \($0)" }, message: "\(error)")
            }
            last = entry.path
            let path = try normalizedPath(entry.path, location: location, mapPath: mapPath)
            let node = try makeNode(entry, path: path, reader: reader, location: location, store: store,
                                    origin: origin, mapPath: mapPath)
            try staged.add(path: path, original: entry.path, node: node)
        }
        return staged
    }

    /// `./usr/bin/x` → `/usr/bin/x`; `..` anywhere is refused.
    static func normalizedPath(_ raw: String, location: SourceLocation,
                               mapPath: (String) -> String) throws(RootFSError) -> String {
        do {
            return mapPath(try FileTree.normalize(raw))
        } catch .dotDot {
            throw .escapesTree(location, entry: raw)
        } catch {
            throw .unsupportedEntry(location, entry: raw, reason: "\(error)")
        }
    }

    private static func makeNode(_ entry: ArchiveEntry, path: String, reader: ArchiveReader, location: SourceLocation,
                                 store: ContentStore, origin: String?,
                                 mapPath: (String) -> String) throws(RootFSError) -> FileTree.Node {
        let kind: FileTree.Node.Kind
        switch entry.type {
        case .regular:
            kind = .regular(try storeData(of: entry, reader: reader, location: location, store: store))
        case .directory:
            kind = .directory
        case .symlink:
            kind = .symlink(entry.symlinkTarget ?? "")
        case .hardlink:
            let target = try normalizedPath(entry.hardlinkTarget ?? "", location: location, mapPath: mapPath)
            kind = .hardlink(target)
        case .characterDevice:
            kind = .characterDevice(major: entry.deviceMajor, minor: entry.deviceMinor)
        case .blockDevice:
            kind = .blockDevice(major: entry.deviceMajor, minor: entry.deviceMinor)
        case .fifo:
            kind = .fifo
        case .socket:
            kind = .socket
        }
        var xattrs: [String: [UInt8]] = [:]
        for attribute in entry.xattrs { xattrs[attribute.name] = attribute.value }
        return FileTree.Node(kind, mode: entry.mode, uid: entry.uid, gid: entry.gid, mtime: entry.mtime.seconds,
                             xattrs: xattrs, origin: origin)
    }

    private static func storeData(of entry: ArchiveEntry, reader: ArchiveReader, location: SourceLocation,
                                  store: ContentStore) throws(RootFSError) -> ContentStore.Ref {
        do {
            return try store.put(what: "\(location) entry \(entry.path)") { write in
                try reader.readData { chunk in try write([UInt8](chunk)) }
            }
        } catch {
            throw .unreadable(location, entry: entry.path, message: "\(error)")
        }
    }
}

/// A staged tree round-trips through the unpack cache; the path index is rebuilt on decode.
extension StagedTree: Codable {
    private enum CodingKeys: String, CodingKey { case location, entries, root, usrLinks }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(location: try container.decode(SourceLocation.self, forKey: .location))
        entries = try container.decode([Entry].self, forKey: .entries)
        root = try container.decodeIfPresent(FileTree.Node.self, forKey: .root)
        usrLinks = try container.decode(Set<String>.self, forKey: .usrLinks)
        index = Dictionary(entries.enumerated().map { ($1.path, $0) }, uniquingKeysWith: { _, last in last })
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(location, forKey: .location)
        try container.encode(entries, forKey: .entries)
        try container.encodeIfPresent(root, forKey: .root)
        try container.encode(usrLinks.sorted(), forKey: .usrLinks)
    }
}
