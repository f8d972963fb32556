import Archive
import ContentStore
import FileTree
import Foundation
import RootFS
import TestSupport

/// Builds `.deb` files for the tests: with dpkg-deb from a directory (the real tool), or by
/// hand — data.tar from `ArchiveWriter`, assembled with `ar` — when the test needs entries
/// dpkg-deb will not make (xattrs, devices, `..` paths, links through links).
struct DebFixtures {
    let scratch: ScratchDirectory
    let store: ContentStore

    init() throws {
        scratch = try ScratchDirectory()
        store = try ContentStore(root: scratch.path("store"))
    }

    static let hasDpkgDeb = Tools.find("dpkg-deb") != nil
    static let hasAr = Tools.find("ar") != nil

    static func control(_ name: String, version: String = "1.0") -> String {
        """
        Package: \(name)
        Version: \(version)
        Architecture: amd64
        Maintainer: Test <test@example.org>
        Description: test package \(name)
         A second description line.

        """
    }

    enum File {
        case file(String, mode: UInt16 = 0o644)
        case directory(mode: UInt16 = 0o755)
        case symlink(String)
        case hardlink(to: String)
    }

    /// Lays `files` out under a directory (in order; paths relative, no leading slash) and
    /// runs `dpkg-deb --root-owner-group -Z<compression> --build`.
    func dpkgDeb(_ name: String, files: [(String, File)], scripts: [String: String] = [:], conffiles: String? = nil,
                 md5sums: String? = nil, compression: String = "xz") throws -> String {
        let root = scratch.path("build-\(name)-\(compression)")
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/DEBIAN", withIntermediateDirectories: true)
        try Self.control(name).write(toFile: root + "/DEBIAN/control", atomically: true, encoding: .utf8)
        for (script, text) in scripts {
            try text.write(toFile: root + "/DEBIAN/" + script, atomically: true, encoding: .utf8)
            chmod(root + "/DEBIAN/" + script, 0o755)
        }
        if let md5sums {
            try md5sums.write(toFile: root + "/DEBIAN/md5sums", atomically: true, encoding: .utf8)
        }
        if let conffiles {
            try conffiles.write(toFile: root + "/DEBIAN/conffiles", atomically: true, encoding: .utf8)
        }
        for (path, file) in files {
            let full = root + "/" + path
            try fm.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            switch file {
            case let .file(text, mode):
                try text.write(toFile: full, atomically: false, encoding: .utf8)
                chmod(full, mode_t(mode))
            case let .directory(mode):
                try fm.createDirectory(atPath: full, withIntermediateDirectories: true)
                chmod(full, mode_t(mode))
            case let .symlink(target):
                try fm.createSymbolicLink(atPath: full, withDestinationPath: target)
            case let .hardlink(target):
                try fm.linkItem(atPath: root + "/" + target, toPath: full)
            }
        }
        let output = scratch.path("\(name)_1.0_amd64-\(compression).deb")
        let result = try Tools.run(Tools.find("dpkg-deb") ?? "dpkg-deb",
                                   ["--root-owner-group", "-Z\(compression)", "--build", root, output])
        guard result.status == 0 else { throw FixtureError("dpkg-deb failed: \(result.stderr)") }
        return output
    }

    /// A .deb assembled by hand: `debian-binary`, `control.tar.gz`, then a data.tar written by
    /// `ArchiveWriter` from `entries` (regular entries take their bytes from `contents`).
    func craft(_ name: String, entries: [ArchiveEntry], contents: [String: [UInt8]] = [:],
               dataFilter: ArchiveWriter.Filter = .none, control: String? = nil,
               debianBinary: String = "2.0\n") throws -> String {
        let directory = scratch.path("craft-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try debianBinary.write(toFile: directory + "/debian-binary", atomically: true, encoding: .utf8)
        let controlText = Array((control ?? Self.control(name)).utf8)
        let controlWriter = try ArchiveWriter(path: directory + "/control.tar.gz", format: .paxRestricted, filter: .gzip)
        try controlWriter.writeHeader(.directory("./"))
        try controlWriter.writeHeader(.file("./control", size: Int64(controlText.count)))
        try controlWriter.writeData(controlText)
        try controlWriter.finish()
        let dataName: String
        switch dataFilter {
        case .none: dataName = "data.tar"
        case .gzip: dataName = "data.tar.gz"
        case .xz: dataName = "data.tar.xz"
        case .zstd: dataName = "data.tar.zst"
        }
        let writer = try ArchiveWriter(path: directory + "/" + dataName, format: .paxRestricted, filter: dataFilter)
        for var entry in entries {
            let bytes = contents[entry.path] ?? []
            if entry.type == .regular { entry.size = Int64(bytes.count) }
            try writer.writeHeader(entry)
            if entry.type == .regular { try writer.writeData(bytes) }
        }
        try writer.finish()
        let output = scratch.path("\(name)_1.0_amd64.deb")
        try? FileManager.default.removeItem(atPath: output)
        // `U`: store real member modes (0100644). Deterministic `ar` writes "644" without the
        // file-type bits, which the Archive module currently refuses (reported).
        let result = try Tools.run(Tools.find("ar") ?? "ar", ["rcU", output, directory + "/debian-binary",
                                                               directory + "/control.tar.gz", directory + "/" + dataName])
        guard result.status == 0 else { throw FixtureError("ar failed: \(result.stderr)") }
        return output
    }

    func read(_ ref: ContentStore.Ref?) throws -> String {
        guard let ref else { throw FixtureError("no content") }
        return String(decoding: try store.read(ref), as: UTF8.self)
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A tree as a dictionary, to compare before and after a refused operation.
func snapshot(_ tree: FileTree) -> [String: FileTree.Node] {
    Dictionary(uniqueKeysWithValues: tree.entries.map { ($0.path, $0.node) })
}

/// The error an operation threw, as `RootFSError`, or nil when it did not throw.
func rootFSError(_ body: () throws -> Void) -> RootFSError? {
    do {
        try body()
        return nil
    } catch let error as RootFSError {
        return error
    } catch {
        return .unsupportedEntry(SourceLocation(source: "test"), entry: "", reason: "unexpected error \(error)")
    }
}

/// A `security.capability` value (vfs_cap_data revision 2) granting cap_net_raw, effective.
let netRawCapability: [UInt8] = [0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00] + [UInt8](repeating: 0, count: 12)
