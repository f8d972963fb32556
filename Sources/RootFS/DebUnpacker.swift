import Archive
import ContentStore
import Debian
import FileTree

/// Unpacks Debian binary packages into a `FileTree` without running anything: no dpkg, no
/// maintainer scripts, no root.
///
/// A `.deb` is an ar archive (deb(5)) whose members must come in this order:
///
/// ```
/// debian-binary            "2.0\n"          format version; dpkg accepts major version 2
/// control.tar[.gz|.xz|.zst]                  control, md5sums, conffiles, maintainer scripts
/// data.tar[.gz|.xz|.zst|.bz2]                the files, streamed through libarchive
/// ```
///
/// Members whose name starts with `_` are ignored, as dpkg ignores them. Regular files go
/// into the `ContentStore` chunk by chunk; the tree only gets their references.
///
/// Unpacking is two steps: `stage` reads a whole package into a `StagedPackage` (checking
/// everything that concerns the package alone), `apply` puts it into a tree (checking it
/// against what is already there). A package that fails either step leaves the tree as it
/// was. `unpackAll` stages in parallel and applies in lock order.
public struct DebUnpacker: Sendable {
    public let store: ContentStore
    /// Store `/bin`, `/sbin`, `/lib*` entries under `/usr` and keep the top-level links.
    public var mergedUsr: Bool

    public init(store: ContentStore, mergedUsr: Bool = true) {
        self.store = store
        self.mergedUsr = mergedUsr
    }

    /// A package read completely, not yet in any tree.
    public struct StagedPackage: Sendable, Codable {
        public var package: InstalledPackage
        public var tree: StagedTree
    }

    /// Reads `path` and puts the package into `tree`.
    ///
    /// - Parameter name: how errors name the package (default: the file name).
    /// - Returns: the control data and the paths of other packages this one replaced.
    public func unpack(_ path: String, name: String? = nil,
                       into tree: inout FileTree) throws(RootFSError) -> (package: InstalledPackage, conflicts: [PathConflict]) {
        let staged = try stage(path, name: name)
        let conflicts = try apply(staged, to: &tree)
        return (staged.package, conflicts)
    }

    /// Puts a staged package into `tree` (adding the merged-/usr links first when enabled).
    public func apply(_ staged: StagedPackage, to tree: inout FileTree) throws(RootFSError) -> [PathConflict] {
        let conflicts = try staged.tree.apply(to: &tree, policy: .package)
        if mergedUsr { MergedUsr.addLinks(to: &tree) }
        return conflicts
    }

    /// Reads a whole `.deb`: control data into an `InstalledPackage`, data entries into a
    /// `StagedTree` (file contents into the store).
    public func stage(_ path: String, name: String? = nil) throws(RootFSError) -> StagedPackage {
        let cache = UnpackCache(store: store, mergedUsr: mergedUsr)
        if let cached = cache.load(debAt: path) { return cached }
        let staged = try stageUncached(path, name: name)
        cache.save(staged, debAt: path)
        return staged
    }

    func stageUncached(_ path: String, name: String? = nil) throws(RootFSError) -> StagedPackage {
        let source = name ?? FileTree.name(of: path)
        let outer: ArchiveReader
        do {
            outer = try ArchiveReader(path: path, formats: [.ar])
        } catch {
            throw .unreadable(SourceLocation(source: source), entry: nil, message: "\(error)")
        }
        var sawVersion = false
        var control: InstalledPackage?
        var staged: StagedTree?
        while true {
            let member: ArchiveEntry
            do {
                guard let next = try outer.nextEntry() else { break }
                member = next
            } catch {
                throw .unreadable(SourceLocation(source: source), entry: nil, message: "\(error)")
            }
            let location = SourceLocation(source: source, member: member.path)
            if member.path.hasPrefix("_") { continue }
            if !sawVersion {
                guard member.path == "debian-binary" else {
                    throw .notADebianPackage(source: source, reason: "the first member is '\(member.path)', expected 'debian-binary'")
                }
                try checkVersion(outer, location: location)
                sawVersion = true
            } else if Self.isMember(member.path, base: "control.tar", compressions: ["", ".gz", ".xz", ".zst"]) {
                guard control == nil, staged == nil else {
                    throw .notADebianPackage(source: source, reason: "'\(member.path)' comes after another control or data member")
                }
                control = try Self.readControl(nestedIn: outer, location: location)
            } else if Self.isMember(member.path, base: "data.tar", compressions: ["", ".gz", ".xz", ".zst", ".bz2"]) {
                guard let control else {
                    throw .notADebianPackage(source: source, reason: "'\(member.path)' comes before the control.tar member")
                }
                guard staged == nil else {
                    throw .notADebianPackage(source: source, reason: "a second data member '\(member.path)'")
                }
                staged = try readData(outer, location: location, origin: control.name)
            } else {
                throw .notADebianPackage(
                    source: source,
                    reason: "unexpected member '\(member.path)'; expected debian-binary, control.tar[.gz|.xz|.zst], data.tar[.gz|.xz|.zst|.bz2]")
            }
        }
        guard sawVersion else { throw .notADebianPackage(source: source, reason: "it has no debian-binary member (empty or not an ar archive)") }
        guard var package = control else { throw .notADebianPackage(source: source, reason: "it has no control.tar member") }
        guard let staged else { throw .notADebianPackage(source: source, reason: "it has no data.tar member") }
        package.files = staged.paths.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return StagedPackage(package: package, tree: staged)
    }

    static func isMember(_ name: String, base: String, compressions: [String]) -> Bool {
        compressions.contains { name == base + $0 }
    }

    private func checkVersion(_ outer: ArchiveReader, location: SourceLocation) throws(RootFSError) {
        let bytes: [UInt8]
        do {
            bytes = try outer.readAllData(limit: 64)
        } catch {
            throw .unreadable(location, entry: nil, message: "\(error)")
        }
        let text = String(decoding: bytes, as: UTF8.self)
        let version = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        guard version.hasPrefix("2.") else {
            throw .notADebianPackage(source: location.source, reason: "debian-binary says '\(version)', expected a 2.x format version")
        }
    }

    private func readData(_ outer: ArchiveReader, location: SourceLocation,
                          origin: String) throws(RootFSError) -> StagedTree {
        let inner: ArchiveReader
        do {
            inner = try ArchiveReader(entryDataOf: outer, formats: [.tar])
        } catch {
            throw .unreadable(location, entry: nil, message: "\(error)")
        }
        let mergedUsr = self.mergedUsr
        var staged = try StagedTree.read(inner, location: location, store: store, origin: origin) { path in
            mergedUsr ? MergedUsr.map(path) : path
        }
        if mergedUsr {
            // Which top-level links the entries used, before mapping: only lib32/libx32 are
            // optional, the others every merged tree has.
            var used: Set<String> = []
            for entry in staged.entries {
                guard let normal = try? FileTree.normalize(entry.original),
                      let directory = MergedUsr.linkedDirectory(of: normal),
                      !MergedUsr.alwaysLinked.contains(directory) else { continue }
                used.insert(directory)
            }
            staged.usrLinks = used
        }
        return staged
    }
}
