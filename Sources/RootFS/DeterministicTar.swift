import Archive
import ContentStore
import FileTree
import Foundation

/// Writes a `FileTree` as a reproducible tar: the same tree and epoch give the same bytes.
///
/// Conventions (the ones dpkg-deb and mmdebstrap use, which `tar -x`, `bsdtar`, `docker
/// import` and `systemd-nspawn` all take):
/// - the root is the entry `./`, every other path is `./usr/bin/ls` (directories get the
///   trailing `/` libarchive adds); extracting into a directory gives a tree to `chroot` into,
///   and `./` carries the root's mode and owner;
/// - entries in bytewise path order, so parents always precede their children;
/// - pax restricted format: plain ustar headers unless a path, an id or xattrs need pax
///   records; xattrs as `SCHILY.xattr.*` (what GNU tar `--xattrs` and bsdtar read);
/// - every mtime is `sourceDateEpoch`; owners are numeric only (no user or group names);
/// - a set of hard links becomes one regular entry (the first path in order) and tar hard
///   links to it, whatever path the tree names as the original;
/// - sockets cannot be stored in tar and are left out (listed in the summary).
///
/// The output is written to a temporary file beside `path` and renamed over it when complete.
public enum DeterministicTar {
    public struct Summary: Sendable, Hashable {
        public var entries: Int
        public var bytes: UInt64
        /// Paths left out because tar cannot hold them (sockets).
        public var skipped: [String]
    }

    public static func write(_ tree: FileTree, store: ContentStore, to path: String, sourceDateEpoch: Int64,
                             filter: ArchiveWriter.Filter = .none) throws(RootFSError) -> Summary {
        let directory = FileTree.parent(of: path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path)
        let temporary = directory + "/.\(FileTree.name(of: path)).tmp-\(UUID().uuidString)"
        do throws(RootFSError) {
            let summary = try writeEntries(tree, store: store, to: temporary, destination: path,
                                           sourceDateEpoch: sourceDateEpoch, filter: filter)
            guard rename(temporary, path) == 0 else {
                throw .tarWrite(destination: path, path: nil, message: "cannot rename \(temporary) into place: \(String(cString: strerror(errno)))")
            }
            return summary
        } catch {
            unlink(temporary)
            throw error
        }
    }

    /// `/usr/bin/ls` → `./usr/bin/ls`; `/` → `./`.
    public static func archivePath(_ path: String) -> String {
        path == "/" ? "./" : "." + path
    }

    /// For every path that shares an inode: the path written as the regular file (the first
    /// in bytewise order) and the node holding the content.
    static func hardlinkLeaders(_ tree: FileTree) -> (leader: [String: String], content: [String: FileTree.Node]) {
        var groups: [String: [String]] = [:]
        for (path, node) in tree.entries {
            guard case let .hardlink(target) = node.kind else { continue }
            var original = target
            var hops = 0
            while case let .hardlink(next)? = tree[original]?.kind, hops < 40 {
                original = next
                hops += 1
            }
            groups[original, default: [original]].append(path)
        }
        var leader: [String: String] = [:]
        var content: [String: FileTree.Node] = [:]
        for (original, members) in groups {
            guard let node = tree[original], node.content != nil else { continue }
            let first = members.min { $0.utf8.lexicographicallyPrecedes($1.utf8) } ?? original
            for member in members { leader[member] = first }
            content[first] = node
        }
        return (leader, content)
    }

    private static func writeEntries(_ tree: FileTree, store: ContentStore, to temporary: String, destination: String,
                                     sourceDateEpoch: Int64, filter: ArchiveWriter.Filter) throws(RootFSError) -> Summary {
        let links = hardlinkLeaders(tree)
        var summary = Summary(entries: 0, bytes: 0, skipped: [])
        var current: String?
        do {
            let writer = try ArchiveWriter(path: temporary, format: .paxRestricted, filter: filter)
            for (path, treeNode) in tree.entries {
                current = path
                var node = treeNode
                var type: ArchiveEntry.FileType
                var hardlinkTarget: String?
                if let leader = links.leader[path] {
                    node = links.content[leader] ?? treeNode
                    if leader == path {
                        type = .regular
                    } else {
                        type = .hardlink
                        hardlinkTarget = archivePath(leader)
                    }
                } else if case .hardlink = node.kind {
                    throw RootFSError.tarWrite(destination: destination, path: path, message: "hard link to a path that is not a regular file in the tree")
                } else {
                    guard let known = entryType(of: node.kind) else {
                        summary.skipped.append(path)
                        continue
                    }
                    type = known
                }
                var entry = ArchiveEntry(path: archivePath(path), type: type, mode: node.mode, uid: node.uid, gid: node.gid,
                                         mtime: ArchiveEntry.Timestamp(seconds: sourceDateEpoch))
                entry.hardlinkTarget = hardlinkTarget
                entry.symlinkTarget = node.symlinkTarget
                switch node.kind {
                case let .characterDevice(major, minor), let .blockDevice(major, minor):
                    entry.deviceMajor = major
                    entry.deviceMinor = minor
                default:
                    break
                }
                entry.xattrs = node.xattrs.keys.sorted().map { ArchiveEntry.ExtendedAttribute(name: $0, value: node.xattrs[$0] ?? []) }
                if type == .regular, let ref = node.content {
                    entry.size = Int64(ref.size)
                    try writer.writeHeader(entry)
                    try copyContent(ref, store: store, into: writer)
                    summary.bytes += ref.size
                } else {
                    try writer.writeHeader(entry)
                }
                summary.entries += 1
            }
            current = nil
            try writer.finish()
        } catch let error as RootFSError {
            throw error
        } catch {
            throw .tarWrite(destination: destination, path: current, message: "\(error)")
        }
        return summary
    }

    private static func entryType(of kind: FileTree.Node.Kind) -> ArchiveEntry.FileType? {
        switch kind {
        case .directory: return .directory
        case .regular: return .regular
        case .symlink: return .symlink
        case .hardlink: return .hardlink
        case .characterDevice: return .characterDevice
        case .blockDevice: return .blockDevice
        case .fifo: return .fifo
        case .socket: return nil
        }
    }

    /// Streams a stored object into the current entry, 1 MiB at a time.
    private static func copyContent(_ ref: ContentStore.Ref, store: ContentStore, into writer: ArchiveWriter) throws {
        guard let handle = FileHandle(forReadingAtPath: store.path(for: ref)) else {
            throw ContentStore.StoreError.missing(ref)
        }
        defer { try? handle.close() }
        var remaining = ref.size
        while remaining > 0 {
            guard let chunk = try handle.read(upToCount: Int(min(remaining, 1 << 20))), !chunk.isEmpty else {
                throw ContentStore.StoreError.sizeMismatch(expected: ref.size, actual: ref.size - remaining, what: store.path(for: ref))
            }
            try chunk.withUnsafeBytes { try writer.writeData($0) }
            remaining -= UInt64(chunk.count)
        }
    }
}
