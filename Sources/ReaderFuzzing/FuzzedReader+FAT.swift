import FAT

extension FuzzedReader {
    static let volumePath = "/fuzz/esp.img"

    /// What `verify`, `sign` and the agent read of an ESP: the boot sector and FAT, FSInfo, the
    /// label, every directory listed and every file read (`FATWalk`); then boot counting's
    /// renames on a read-write open of the same bytes (`renameThereAndBack`; `MemoryFiles`
    /// takes the writes). Once the volume opens every step runs; the first error is thrown.
    static func espVolume() throws {
        let volume = try FAT.Volume(path: volumePath)
        var errors = FirstError()
        _ = volume.freeClusters
        errors.attempt { _ = try volume.fsInfo() }
        errors.attempt { _ = try volume.rootLabel() }
        var walk = FATWalk(volume)
        walk.directory("", depth: 0)
        if let error = walk.errors.error { errors.record(error) }
        if let target = walk.renameTarget { errors.attempt { try renameThereAndBack(target) } }
        try errors.check()
    }

    /// A file renamed to a long name (more slots than before: the directory may have to
    /// grow), to an 8.3 name and back to its own, on one read-write volume; then the
    /// directory listed and the file read from a fresh open.
    static func renameThereAndBack(_ file: (directory: String, name: String)) throws {
        let volume = try FAT.Volume(path: volumePath, access: .readWrite)
        let names = [file.name, "hostimg_fuzz_renamed_entry+2-1.efi", "HOSTIMG.EFI", file.name]
        for (old, new) in zip(names, names.dropFirst()) {
            try volume.rename(in: file.directory, from: old, to: new)
        }
        let reopened = try FAT.Volume(path: volumePath)
        _ = try reopened.list(file.directory)
        _ = try reopened.read(FATWalk.join(file.directory, file.name))
    }
}

/// Every directory of a volume listed and every file read (`read` looks it up with
/// `entry(at:)`), as `hostimg sign` walks an ESP.
///
/// A directory is entered once, by its first cluster: on a damaged volume an entry can point
/// back up the tree, which a plain recursion follows forever. The work per input is bounded
/// (the reader resolves each path from the root, so a lookup costs the directories on its
/// path, and cross-linked entries can name the same large file many times): at most
/// `maximumLookups` entries and `maximumReadBytes` of files.
struct FATWalk {
    static let maximumDepth = 8
    static let maximumLookups = 64
    static let maximumReadBytes: UInt64 = 64 << 20

    let volume: FAT.Volume
    var errors = FirstError()
    /// Files in the order walked.
    private(set) var files: [(directory: String, name: String)] = []
    private var entered: Set<UInt32> = []
    private var lookups = 0
    private var readBytes: UInt64 = 0

    init(_ volume: FAT.Volume) {
        self.volume = volume
        if volume.kind == .fat32 { entered.insert(volume.geometry.rootCluster) }
    }

    mutating func directory(_ path: String, depth: Int) {
        let volume = self.volume
        let entries: [FAT.DirectoryEntry]
        do {
            entries = try volume.list(path)
        } catch {
            errors.record(error)
            return
        }
        for entry in entries where lookups < Self.maximumLookups {
            lookups += 1
            let child = Self.join(path, entry.name)
            if entry.isDirectory {
                guard depth < Self.maximumDepth, entered.insert(entry.firstCluster).inserted else { continue }
                directory(child, depth: depth + 1)
            } else {
                files.append((path, entry.name))
                guard readBytes < Self.maximumReadBytes else { continue }
                readBytes += UInt64(entry.size)
                errors.attempt { _ = try volume.read(child) }
            }
        }
    }

    /// The file boot counting would rename: the first UKI in EFI/Linux, else the first file.
    var renameTarget: (directory: String, name: String)? {
        files.first { $0.directory.lowercased() == "efi/linux" } ?? files.first
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.isEmpty ? name : directory + "/" + name
    }
}
