import ContentStore
import FileTree
import Foundation
import RootFS
import Testing
import TestSupport

/// The unpack cache: a .deb stored under its hash is decompressed once; a second unpack gives
/// the same package and the same tree from the cache, and a cache entry whose contents left the
/// store is not used.
@Suite("Unpack cache")
struct UnpackCacheTests {
    static func storedDeb(_ fixtures: DebFixtures) throws -> String {
        let built = try fixtures.dpkgDeb("cached", files: [
            ("usr/bin/cached", .file("#!/bin/sh\necho cached\n", mode: 0o755)),
            ("usr/share/cached/a", .file("shared inode\n")),
            ("usr/share/cached/b", .hardlink(to: "usr/share/cached/a")),
            ("usr/bin/cached-link", .symlink("cached")),
        ], scripts: ["postinst": "#!/bin/sh\nexit 0\n"])
        // Put the .deb into the store, as the fetch stage does: its object name is its hash.
        let ref = try fixtures.store.put([UInt8](try Data(contentsOf: URL(fileURLWithPath: built))))
        return fixtures.store.path(for: ref)
    }

    static func cacheEntries(_ store: ContentStore) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: store.root + "/unpacked/v2")) ?? []
    }

    @Test(.enabled(if: DebFixtures.hasDpkgDeb, "dpkg-deb is not installed"))
    func secondUnpackComesFromTheCacheAndIsIdentical() throws {
        let fixtures = try DebFixtures()
        let deb = try Self.storedDeb(fixtures)
        let unpacker = DebUnpacker(store: fixtures.store)
        var first = MergedUsr.baseTree()
        let (package, _) = try unpacker.unpack(deb, into: &first)
        #expect(Self.cacheEntries(fixtures.store) == [FileTree.name(of: deb) + ".plist"])

        // Make the .deb unreadable as a .deb: only the cache can answer now.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: deb))
        try Data(bytes.prefix(100)).write(to: URL(fileURLWithPath: deb))
        var second = MergedUsr.baseTree()
        let (cachedPackage, _) = try unpacker.unpack(deb, into: &second)
        #expect(cachedPackage == package)
        #expect(second.entries.map(\.path) == first.entries.map(\.path))
        #expect(second.entries.map(\.node) == first.entries.map(\.node))
    }

    @Test(.enabled(if: DebFixtures.hasDpkgDeb, "dpkg-deb is not installed"))
    func anEntryWhoseContentsLeftTheStoreIsNotUsed() throws {
        let fixtures = try DebFixtures()
        let deb = try Self.storedDeb(fixtures)
        let unpacker = DebUnpacker(store: fixtures.store)
        var tree = MergedUsr.baseTree()
        _ = try unpacker.unpack(deb, into: &tree)
        let script = try #require(tree["/usr/bin/cached"]?.content)
        try FileManager.default.removeItem(atPath: fixtures.store.path(for: script))

        // The cache is bypassed: the .deb is read again and the content comes back.
        var again = MergedUsr.baseTree()
        _ = try unpacker.unpack(deb, into: &again)
        #expect(again["/usr/bin/cached"]?.content == script)
        #expect(fixtures.store.contains(script))
    }

    @Test(.enabled(if: DebFixtures.hasDpkgDeb, "dpkg-deb is not installed"))
    func aDebOutsideTheStoreIsNotCached() throws {
        let fixtures = try DebFixtures()
        let deb = try fixtures.dpkgDeb("loose", files: [("usr/bin/loose", .file("x\n", mode: 0o755))])
        var tree = MergedUsr.baseTree()
        _ = try DebUnpacker(store: fixtures.store).unpack(deb, into: &tree)
        #expect(Self.cacheEntries(fixtures.store).isEmpty)
    }
}
