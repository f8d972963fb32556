import ContentStore
import FileTree
import Foundation
import BuildPipeline
import Testing
import TestSupport
import Zstd

/// The content store remembers compressed initrds by their archive: a cached entry is used
/// only when it decompresses to exactly the archive being built, so it can save a compression
/// but never change what the initrd holds.
@Suite struct InitrdCacheTests {
    let scratch: ScratchDirectory
    let store: ContentStore
    let builder: InitrdBuilder
    let compression = Zstandard.Parameters(level: 3, workers: 1)

    init() throws {
        scratch = try ScratchDirectory()
        store = try ContentStore(root: scratch.path("cache"))
        var builder = InitrdBuilder(tree: FileTree(), store: store)
        var random = SeededGenerator(seed: 7)
        builder.add((0..<200_000).map { _ in UInt8.random(in: 0...15, using: &random) }, at: "/usr/lib/hostimg/blob")
        builder.add(Array("/usr/lib/modules/x/erofs.ko\n".utf8), at: "/usr/lib/hostimg/modules")
        self.builder = builder
    }

    var entries: [String] {
        let directory = store.root + "/initrd/v1"
        return ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).map { directory + "/" + $0 }
    }

    /// Points the one cache entry at `bytes`, stored as a content-store object.
    func plant(_ bytes: [UInt8]) throws {
        let entry = try #require(entries.first)
        let ref = try store.put(bytes)
        try Data("\(ref.sha256) \(ref.size)\n".utf8).write(to: URL(fileURLWithPath: entry))
    }

    @Test func aSecondBuildTakesTheCompressedBytesFromTheStore() throws {
        let first = try builder.compressed(mtime: 1_700_000_000, compression: compression)
        #expect(entries.count == 1)
        let archive = try builder.archive(mtime: 1_700_000_000).bytes
        #expect(try Zstandard.decompress(first.bytes) == archive)
        #expect(try builder.compressed(mtime: 1_700_000_000, compression: compression).bytes == first.bytes)

        // Another valid compression of the same archive, planted: used, which shows the
        // build took it from the store instead of compressing.
        let other = try Zstandard.compress(archive, level: 1)
        try plant(other)
        #expect(try builder.compressed(mtime: 1_700_000_000, compression: compression).bytes == other)
    }

    @Test func anEntryForOtherContentIsIgnored() throws {
        let first = try builder.compressed(mtime: 1_700_000_000, compression: compression)
        try plant(try Zstandard.compress(Array("not this initrd".utf8)))
        #expect(try builder.compressed(mtime: 1_700_000_000, compression: compression).bytes == first.bytes)
        try plant(Array("not zstd at all".utf8))
        #expect(try builder.compressed(mtime: 1_700_000_000, compression: compression).bytes == first.bytes)
    }

    @Test func otherParametersOrContentAreOtherEntries() throws {
        _ = try builder.compressed(mtime: 1_700_000_000, compression: compression)
        _ = try builder.compressed(mtime: 1_700_000_001, compression: compression)
        var deeper = compression
        deeper.level = 9
        _ = try builder.compressed(mtime: 1_700_000_000, compression: deeper)
        var singleThreaded = compression
        singleThreaded.workers = 0
        _ = try builder.compressed(mtime: 1_700_000_000, compression: singleThreaded)
        #expect(entries.count == 4, "two archives, level 9, and zstd's single-threaded mode: \(entries)")
        var moreThreads = compression
        moreThreads.workers = 4
        _ = try builder.compressed(mtime: 1_700_000_000, compression: moreThreads)
        #expect(entries.count == 4, "the number of threads does not change the bytes, so it shares the entry")
    }
}
