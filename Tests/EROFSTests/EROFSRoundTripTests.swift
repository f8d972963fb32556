import ContentStore
import FileTree
import Foundation
import Testing
import TestSupport
@testable import EROFS

/// The writer's images read back by this module's own reader.
struct EROFSRoundTripTests {
    @Test func readerReturnsTheTree() throws {
        let fixture = try Fixture.make()
        let (image, summary) = try fixture.write()
        let reader = try EROFS.Reader(path: image)
        let back = try reader.fileTree(store: fixture.store)
        let expected = fixture.expectedTree
        #expect(Set(back.paths) == Set(expected.keys))
        for (path, node) in back.entries {
            #expect(node == expected[path], "\(path)")
        }
        #expect(summary.imageBytes == UInt64(try contents(image).count))
        #expect(summary.imageBytes % 4096 == 0 && summary.blocks * 4096 == summary.imageBytes)
        #expect(summary.inodes == UInt64(fixture.tree.count - 2))   // two hard links share /links/a
        #expect(reader.superBlock.inodeCount == summary.inodes)
        #expect(reader.superBlock.buildTime == UInt64(Fixture.buildTime))
        #expect(reader.superBlock.uuid == Fixture.uuid)
        #expect(reader.superBlock.volumeName == "hostimg-test")
        #expect(reader.superBlock.featureIncompat == 0)
    }

    @Test func listingReportsMetadata() throws {
        let fixture = try Fixture.make()
        let (image, _) = try fixture.write()
        let listing = try EROFS.Reader(path: image).listing()
        let byPath = Dictionary(uniqueKeysWithValues: listing.map { ($0.path, $0) })
        #expect(listing.map(\.path) == fixture.tree.paths)
        let a = try #require(byPath["/links/a"]), b = try #require(byPath["/links/b"])
        #expect(a.nid == b.nid && a.nlink == 3 && b.kind == .regular)
        let rootSubdirectories = fixture.tree.entries.filter { $0.path.split(separator: "/").count == 1 && $0.node.isDirectory }.count
        #expect(byPath["/"]?.nlink == UInt32(2 + rootSubdirectories))
        #expect(byPath["/files"]?.nlink == 3)
        #expect(byPath["/bin/ping"]?.mode == 0o4755)
        #expect(byPath["/bin/ping"]?.xattrs["security.capability"] == Fixture.pingCapability)
        #expect(byPath["/bin/sgid"]?.mode == 0o2755)
        #expect(byPath["/tmp"]?.mode == 0o1777)
        #expect(byPath["/dev/wide"].map { ($0.kind, $0.deviceMajor, $0.deviceMinor) } ?? (.fifo, nil, nil) == (.characterDevice, 300, 70_000))
        #expect(byPath["/dev/sda"]?.kind.letter == "b")
        #expect(byPath["/dev/fifo"]?.kind == .fifo && byPath["/dev/sock"]?.kind == .socket)
        #expect(byPath["/links/max"]?.symlinkTarget?.utf8.count == 4095)
        #expect(byPath["/owned/file"].map { ($0.uid, $0.gid) } ?? (0, 0) == (70_000, 70_001))
        #expect(byPath["/files/big"]?.size == 3 << 20 | 123)
        #expect(byPath["/files/empty"]?.size == 0)
        let bigDirectory = try #require(byPath["/big-dir"])
        #expect(bigDirectory.size > 16 * 4096, "3000 entries take many directory blocks")
        #expect(listing.allSatisfy { $0.mtime == Fixture.buildTime })
    }

    /// The layout choices: tails inline where they fit, whole blocks otherwise, extended
    /// inodes only where compact ones cannot hold the values.
    @Test func layoutChoices() throws {
        let fixture = try Fixture.make()
        let (image, _) = try fixture.write()
        let reader = try EROFS.Reader(path: image)
        var byPath: [String: (nid: UInt64, inode: EROFS.Inode)] = [:]
        for item in try reader.walk() { byPath[item.path] = (item.nid, item.inode) }
        func layout(_ path: String) -> UInt8? { byPath[path]?.inode.layout }
        #expect(layout("/files/f4096") == 0)       // block-aligned: FLAT_PLAIN
        #expect(layout("/files/empty") == 0)
        #expect(layout("/files/one") == 2)         // tail inline
        #expect(layout("/files/f4097") == 2)
        #expect(layout("/links/rel") == 2)
        #expect(layout("/links/max") == 0)         // a 4095-byte tail does not pay for the padding
        #expect(byPath["/owned/file"]?.inode.extended == true)
        #expect(byPath["/owned/dir"]?.inode.extended == true)   // uid 70000
        #expect(byPath["/files/big"]?.inode.extended == false)
        #expect(byPath["/"]?.nid == 36)
        // Nids follow sorted path order.
        let nids = fixture.tree.paths.compactMap { path -> UInt64? in
            if case .hardlink = fixture.tree[path]?.kind { return nil }
            return byPath[path]?.nid
        }
        #expect(nids == nids.sorted() && Set(nids).count == nids.count)
        // Every inline tail stays inside one block (dataMap throws otherwise).
        for (_, item) in byPath where item.inode.fileType.hasData {
            let map = try reader.dataMap(item.inode, nid: item.nid)
            #expect(map.inlineBytes == 0 || map.inlineStart % 4096 + map.inlineBytes <= 4096)
        }
    }

    @Test func writesAreDeterministic() throws {
        let fixture = try Fixture.make()
        let first = try contents(fixture.write("one.erofs").path)
        let second = try contents(fixture.write("two.erofs").path)
        #expect(first == second)

        var options = fixture.options
        options.uuid = Array(repeating: 0xAB, count: 16)
        let other = try contents(fixture.write("three.erofs", options: options).path)
        #expect(other.count == first.count)
        let differing = first.indices.filter { first[$0] != other[$0] }
        #expect(!differing.isEmpty)
        #expect(differing.allSatisfy { (1024 + 48)..<(1024 + 64) ~= $0 }, "only the superblock uuid differs")
    }

    @Test func treeMtimesAndInsertionOrderDoNotMatter() throws {
        let fixture = try Fixture()
        let reference = try contents(fixture.write("a.erofs").path)
        for (path, _) in fixture.tree.entries.reversed() {
            try fixture.tree.update(path) { $0.mtime = 42; $0.origin = "elsewhere" }
        }
        #expect(try contents(fixture.write("b.erofs").path) == reference)
    }

    @Test func readsAtAnOffset() throws {
        let fixture = try Fixture.make()
        let (image, _) = try fixture.write()
        let embedded = fixture.scratch.path("disk.img")
        var bytes = [UInt8](repeating: 0xEE, count: 1 << 20)
        bytes += try contents(image)
        bytes += [UInt8](repeating: 0xEE, count: 4096)
        try Data(bytes).write(to: URL(fileURLWithPath: embedded))
        let listing = try EROFS.Reader(path: embedded, offset: 1 << 20).listing()
        #expect(listing.count == fixture.tree.count)
        #expect(throws: EROFSError.self) { try EROFS.Reader(path: embedded) }
    }

    @Test func progressIsReported() throws {
        let fixture = try Fixture.make()
        let calls = Calls()
        let summary = try EROFS.write(fixture.tree, store: fixture.store, to: fixture.scratch.path("p.erofs"),
                                      options: fixture.options) { done, total in calls.add(done, total) }
        let seen = calls.values
        #expect(!seen.isEmpty)
        #expect(seen.last.map { $0.0 == summary.imageBytes && $0.1 == summary.imageBytes } == true)
        #expect(seen.map(\.0) == seen.map(\.0).sorted())
    }

    @Test func emptyTreeIsARootDirectory() throws {
        let scratch = try ScratchDirectory()
        let store = try ContentStore(root: scratch.path("store"))
        let path = scratch.path("empty.erofs")
        let summary = try EROFS.write(FileTree(), store: store, to: path,
                                      options: .init(buildTime: 0, uuid: Array(repeating: 0, count: 16)))
        #expect(summary.inodes == 1 && summary.blocks == 1)
        #expect(try EROFS.Reader(path: path).listing().map(\.path) == ["/"])
        if let fsck = Tools.find("fsck.erofs") { #expect(try Tools.run(fsck, [path]).status == 0) }
    }
}

final class Calls: @unchecked Sendable {
    private var list: [(UInt64, UInt64)] = []
    private let lock = NSLock()
    func add(_ a: UInt64, _ b: UInt64) { lock.lock(); list.append((a, b)); lock.unlock() }
    var values: [(UInt64, UInt64)] { lock.lock(); defer { lock.unlock() }; return list }
}
