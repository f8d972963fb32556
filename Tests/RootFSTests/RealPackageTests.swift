import ContentStore
import FileTree
import Foundation
import RootFS
import Testing
import TestSupport

/// A real Debian package, compared entry by entry with what `dpkg-deb -c` lists.
@Suite(.enabled(if: DebFixtures.hasDpkgDeb, "dpkg-deb is not installed"))
struct RealPackageTests {
    /// A .deb from the apt cache, or busybox fetched with `apt-get download`; nil offline.
    static func realDeb(into scratch: ScratchDirectory) -> String? {
        let cache = "/var/cache/apt/archives"
        if let cached = (try? FileManager.default.contentsOfDirectory(atPath: cache))?
            .filter({ $0.hasSuffix(".deb") }).sorted().first {
            return cache + "/" + cached
        }
        guard let apt = Tools.find("apt-get") else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: apt)
        process.arguments = ["download", "busybox"]
        process.currentDirectoryURL = scratch.url
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        process.waitUntilExit()
        let found = (try? FileManager.default.contentsOfDirectory(atPath: scratch.url.path))?.first { $0.hasSuffix(".deb") }
        return found.map { scratch.path($0) }
    }

    /// `-rwsr-xr-x` → 0o4755.
    static func mode(_ text: Substring) -> UInt16 {
        let chars = Array(text.dropFirst())
        var mode: UInt16 = 0
        for (index, char) in chars.prefix(9).enumerated() {
            let bit = UInt16(1) << UInt16(8 - index)
            if char != "-" && char != "S" && char != "T" { mode |= bit }
        }
        if chars.count >= 9 {
            if chars[2] == "s" || chars[2] == "S" { mode |= 0o4000 }
            if chars[5] == "s" || chars[5] == "S" { mode |= 0o2000 }
            if chars[8] == "t" || chars[8] == "T" { mode |= 0o1000 }
        }
        return mode
    }

    @Test func unpackedTreeMatchesDpkgDebListing() throws {
        let scratch = try ScratchDirectory()
        guard let deb = Self.realDeb(into: scratch) else {
            Issue.record("no .deb in /var/cache/apt/archives and `apt-get download busybox` failed (offline?)")
            return
        }
        let store = try ContentStore(root: scratch.path("store"))
        var tree = MergedUsr.baseTree()
        let (package, conflicts) = try DebUnpacker(store: store).unpack(deb, into: &tree)
        #expect(conflicts.isEmpty)
        let fields = try Tools.run(Tools.find("dpkg-deb") ?? "dpkg-deb", ["--field", deb, "Package", "Version"])
        #expect(fields.stdoutText == "Package: \(package.name)\nVersion: \(package.version)\n")

        let listing = try Tools.run(Tools.find("dpkg-deb") ?? "dpkg-deb", ["-c", deb])
        try #require(listing.status == 0, "\(listing.stderr)")
        var listed: [String] = []
        for line in listing.stdoutText.split(separator: "\n") {
            // perms owner/group size date time path [-> target | link to target]
            let parts = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            try #require(parts.count == 6, "unexpected dpkg-deb line: \(line)")
            var name = String(parts[5])
            var linkTarget: String?
            if parts[0].hasPrefix("l"), let arrow = name.range(of: " -> ") {
                linkTarget = String(name[arrow.upperBound...])
                name = String(name[..<arrow.lowerBound])
            } else if parts[0].hasPrefix("h"), let link = name.range(of: " link to ") {
                linkTarget = MergedUsr.map(try FileTree.normalize(String(name[link.upperBound...])))
                name = String(name[..<link.lowerBound])
            }
            let path = MergedUsr.map(try FileTree.normalize(name))
            if path == "/" { continue }
            listed.append(path)
            let node = try #require(tree[path], "\(path) from the listing is not in the tree")
            #expect(parts[1] == "root/root" ? node.uid == 0 && node.gid == 0 : true, "\(path)")
            switch parts[0].first {
            case "d":
                #expect(node.isDirectory, "\(path)")
                #expect(node.mode == Self.mode(parts[0]), "\(path)")
            case "-":
                #expect(node.content?.size == UInt64(parts[2]), "size of \(path)")
                #expect(node.mode == Self.mode(parts[0]), "\(path)")
            case "l":
                #expect(node.symlinkTarget == linkTarget, "\(path)")
            case "h":
                #expect(node.kind == .hardlink(linkTarget ?? ""), "\(path)")
            default:
                Issue.record("unexpected type in \(line)")
            }
        }
        #expect(package.files == listed.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) })
        #expect(listed.count > 10)
        #expect(package.md5sums.isEmpty == false)
    }
}
