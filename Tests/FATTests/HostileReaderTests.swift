import Foundation
import Testing
import TestSupport

@testable import FAT

/// Damaged volumes: the reader throws a FATError that says what is wrong, or reads what it
/// can; it never traps and never loops.
@Suite struct HostileReaderTests {
    static let small: [FAT.File] = [
        FAT.File(path: "EFI/BOOT/BOOTX64.EFI", contents: Fixtures.pattern(5000, seed: 21)),
        FAT.File(path: "EFI/Linux/qemu-dev_0.1.0+3.efi", contents: Fixtures.pattern(3000, seed: 22)),
        FAT.File(path: "loader/loader.conf", contents: Array("default qemu-dev_*\n".utf8)),
    ] + (0..<25).map { FAT.File(path: "many/a long name number \($0).txt", contents: Fixtures.pattern($0 * 7, seed: UInt64($0))) }

    /// Overwrites `bytes` at `position` of the file.
    static func patch(_ path: String, at position: UInt64, _ bytes: [UInt8]) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seek(toOffset: position)
        try handle.write(contentsOf: Data(bytes))
        try handle.close()
    }

    /// Everything a caller can ask (with `rename` true, the edits too: renames, an add, two
    /// removes), bounded (the tree walk stops at depth 6 and 2000 entries, since a damaged
    /// directory may name an ancestor as its child); errors are the expected outcome and are
    /// dropped.
    static func exercise(_ written: WrittenVolume, rename: Bool) {
        guard let volume = try? FAT.Volume(path: written.path, offset: written.offset, size: written.size,
                                           access: rename ? .readWrite : .read)
        else { return }
        _ = volume.freeClusters
        _ = try? volume.fsInfo()
        _ = try? volume.rootLabel()
        var budget = 2000
        func walk(_ directory: String, depth: Int) {
            guard depth < 6, let entries = try? volume.list(directory) else { return }
            for entry in entries where budget > 0 {
                budget -= 1
                let path = directory.isEmpty ? entry.name : directory + "/" + entry.name
                if entry.isDirectory { walk(path, depth: depth + 1) } else { _ = try? volume.read(path) }
            }
        }
        walk("", depth: 0)
        _ = try? volume.read("EFI/Linux/qemu-dev_0.1.0+3.efi")
        if rename {
            _ = try? volume.rename(in: "EFI/Linux", from: "qemu-dev_0.1.0+3.efi", to: "qemu-dev_0.1.0+2-1 with a longer name.efi")
            _ = try? volume.rename(in: "many", from: "a long name number 3.txt", to: "B")
            _ = try? volume.add(path: "EFI/Linux/added to a damaged volume.efi", contents: Fixtures.pattern(3000, seed: 23),
                                timestamp: 1_700_000_000)
            _ = try? volume.remove(path: "loader/loader.conf")
            _ = try? volume.remove(path: "EFI/BOOT/BOOTX64.EFI")
        }
    }

    /// Random bytes of the BPB, the FATs and the directories changed, `rounds` times over,
    /// from a seeded generator (a failure names the round, and reproduces).
    @Test(.timeLimit(.minutes(3)), arguments: [UInt64(34) << 20, 8 << 20, 1 << 20])
    func randomDamageNeverTrapsOrHangs(size: UInt64) throws {
        let written = try WrittenVolume(files: Self.small, directories: ["EFI/empty"], offset: 4096, size: size)
        let geometry = written.summary.geometry
        let used = Int(geometry.offset(ofCluster: 2 + written.summary.usedClusters))
        let pristine = [UInt8](try Data(contentsOf: URL(fileURLWithPath: written.path))[4096..<(4096 + used)])
        let fatStart = Int(geometry.firstFATSector) * 512
        let regions: [Range<Int>] = [
            0..<90,
            fatStart..<min(fatStart + 1024, Int(geometry.rootDirectorySector) * 512),
            Int(geometry.rootDirectorySector) * 512..<used,
        ]
        var generator = SeededGenerator(seed: size)
        for round in 0..<90 {
            var bytes = pristine
            let region = regions[round % regions.count]
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bytes[Int.random(in: region, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            try Self.patch(written.path, at: 4096, bytes)
            Self.exercise(written, rename: round % 4 == 0)
        }
    }

    // MARK: Damage with a known answer

    static func le32(_ value: UInt32) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    static func fatEntryPosition(_ written: WrittenVolume, cluster: UInt32) -> UInt64 {
        written.offset + written.summary.geometry.firstFATSector * 512 + UInt64(cluster) * 4
    }

    @Test func aFileChainThatLoopsIsReported() throws {
        let written = try WrittenVolume(files: Self.small, directories: [], size: 34 << 20)
        let entry = try written.open().entry(at: "EFI/BOOT/BOOTX64.EFI")
        let last = entry.firstCluster + 9  // 5000 bytes: 10 clusters of 512.
        try Self.patch(written.path, at: Self.fatEntryPosition(written, cluster: last - 1), Self.le32(entry.firstCluster + 2))
        #expect(throws: FATError.chainLoop(path: written.path, what: "EFI/BOOT/BOOTX64.EFI", cluster: entry.firstCluster + 2)) {
            try written.open().read("EFI/BOOT/BOOTX64.EFI")
        }
    }

    @Test func aDirectoryChainThatLoopsIsReported() throws {
        let written = try WrittenVolume(files: Self.small, directories: [], size: 34 << 20)
        let many = try written.open().entry(at: "many")
        // 25 names of 2 long-name entries each, plus "." and "..": 77 slots, 5 clusters.
        try Self.patch(written.path, at: Self.fatEntryPosition(written, cluster: many.firstCluster + 4), Self.le32(many.firstCluster))
        let error = try #require(throws: FATError.self) { try written.open().list("many") }
        #expect(error == .chainLoop(path: written.path, what: "directory many", cluster: many.firstCluster))
        #expect(error.description.hasSuffix("the cluster chain of directory many returns to cluster \(many.firstCluster)"))
    }

    /// An entry that names its own directory: a walk of the tree (`hostimg sign`'s) would
    /// descend into it forever; the path that comes back is refused.
    @Test func aDirectoryThatNamesItselfIsALoop() throws {
        let written = try WrittenVolume(files: Self.small, directories: [], size: 34 << 20)
        let boot = try written.open().entry(at: "EFI/BOOT")
        let slot = written.offset + written.summary.geometry.offset(ofCluster: boot.firstCluster) + 2 * 32  // after "." and ".."
        let cluster = Self.le32(boot.firstCluster)
        try Self.patch(written.path, at: slot + 11, [0x10])  // BOOTX64.EFI becomes a directory...
        try Self.patch(written.path, at: slot + 20, Array(cluster[2...]))  // ...whose clusters are EFI/BOOT's
        try Self.patch(written.path, at: slot + 26, Array(cluster[..<2]))
        let volume = try written.open()
        #expect(try volume.list("EFI/BOOT").map(\.name) == ["BOOTX64.EFI"])
        let error = try #require(throws: FATError.self) { try volume.list("EFI/BOOT/BOOTX64.EFI") }
        #expect(error == .corrupt(
            path: written.path, detail: "directory EFI/BOOT/BOOTX64.EFI is EFI/BOOT again (cluster \(boot.firstCluster)): the tree loops"))
    }

    @Test func aChainIntoAFreeClusterOrNowhereIsCorrupt() throws {
        let written = try WrittenVolume(files: Self.small, directories: [], size: 34 << 20)
        let entry = try written.open().entry(at: "EFI/BOOT/BOOTX64.EFI")
        let position = Self.fatEntryPosition(written, cluster: entry.firstCluster + 3)
        try Self.patch(written.path, at: position, [0, 0, 0, 0])
        let free = try #require(throws: FATError.self) { try written.open().read("EFI/BOOT/BOOTX64.EFI") }
        let expected = "the cluster chain of EFI/BOOT/BOOTX64.EFI runs into free cluster \(entry.firstCluster + 3)"
        #expect(free.description.hasSuffix(expected), "\(free)")
        try Self.patch(written.path, at: position, Self.le32(0x00FF_FFF0))
        let nowhere = try #require(throws: FATError.self) { try written.open().read("EFI/BOOT/BOOTX64.EFI") }
        #expect(nowhere.description.contains("holds 16777200, which is no cluster"), "\(nowhere)")
    }

    @Test func aBrokenLongNameFallsBackToTheShortName() throws {
        let written = try WrittenVolume(files: Self.small, directories: [], size: 34 << 20)
        let volume = try written.open()
        let linux = try volume.entry(at: "EFI/Linux")
        let start = written.offset + volume.geometry.offset(ofCluster: linux.firstCluster)
        // ".", "..", then the two long-name entries of qemu-dev_0.1.0+3.efi: change the
        // checksum of the first.
        try Self.patch(written.path, at: start + 2 * 32 + 13, [0x00])
        let listed = try written.open().list("EFI/Linux")
        #expect(listed.map(\.name) == ["QEMU-D~1.EFI"])
        #expect(listed.first?.hasLongName == false)
        #expect(try written.open().read("EFI/Linux/QEMU-D~1.EFI") == Self.small[1].contents)
    }

    @Test func bootSectorDamageNamesTheField() throws {
        let written = try WrittenVolume(files: Self.small, directories: [], size: 34 << 20)
        func error(patching offset: UInt64, _ bytes: [UInt8]) throws -> String {
            let image = try Data(contentsOf: URL(fileURLWithPath: written.path))
            let pristine = [UInt8](image[Int(written.offset)..<Int(written.offset) + 512])
            try Self.patch(written.path, at: written.offset + offset, bytes)
            defer { try? Self.patch(written.path, at: written.offset, pristine) }
            return try #require(throws: FATError.self) { try written.open() }.description
        }
        #expect(try error(patching: 510, [0, 0]).contains("the signature at byte 510 is 0x0000, expected 0xaa55"))
        #expect(try error(patching: 11, [0xF4, 0x01]).contains("BPB_BytsPerSec is 500"))
        #expect(try error(patching: 13, [3]).contains("BPB_SecPerClus is 3"))
        #expect(try error(patching: 16, [0]).contains("BPB_NumFATs is 0"))
        #expect(try error(patching: 32, [0xFF, 0xFF, 0xFF, 0x0F]).contains("the total sector count is 268435455"))
        #expect(try error(patching: 44, [0xFF, 0xFF, 0xFF, 0x0F]).contains("BPB_RootClus is 268435455"))
        #expect(try error(patching: 36, [1, 0, 0, 0]).contains("the FAT size is 512 bytes"))
        #expect(try error(patching: 21, [0x12]).contains("BPB_Media is 18"))
    }

    @Test func aShortFileOrRegionIsTruncatedOrRefused() throws {
        let written = try WrittenVolume(files: Self.small, directories: [], offset: 1 << 20, size: 34 << 20)
        let tooLong = try #require(throws: FATError.self) {
            try FAT.Volume(path: written.path, offset: written.offset, size: 40 << 20)
        }
        #expect(tooLong.description.contains("the image is truncated"), "\(tooLong)")
        let smaller = try #require(throws: FATError.self) {
            try FAT.Volume(path: written.path, offset: written.offset, size: 16 << 20)
        }
        #expect(smaller.description.contains("what the 16777216-byte region holds"), "\(smaller)")
        #expect(throws: FATError.self) { try FAT.Volume(path: written.path, offset: 1 << 40) }
        let cut = try FileHandle(forWritingTo: URL(fileURLWithPath: written.path))
        try cut.truncate(atOffset: written.offset + 300)
        try cut.close()
        #expect(throws: FATError.self) { try FAT.Volume(path: written.path, offset: written.offset) }
    }

    @Test func aFIFOIsRefusedBeforeReading() throws {
        let scratch = try ScratchDirectory()
        let fifo = scratch.path("fifo")
        try #require(mkfifo(fifo, 0o600) == 0)
        let error = try #require(throws: FATError.self) { try FAT.Volume(path: fifo) }
        #expect(error.description.contains("it is a FIFO (named pipe), not a regular file or a block device"), "\(error)")
    }
}
