import Foundation
import Testing
import TestSupport

@testable import FAT

/// `FAT.Volume.add`: a slot's UKI added to the ESP in place, checked by fsck.fat and mtools.
@Suite struct AddTests {
    @Test(.enabled(if: Edit.tools, Edit.skipReason), arguments: Edit.kinds)
    func anAddedUKIIsWhatTheToolsSee(kind: FAT.Kind) throws {
        let written = try Edit.esp(kind)
        let before = try written.open()
        let directoryBefore = try Edit.directoryClusters(written, "EFI/Linux")
        let uki = Fixtures.pattern(3 << 20, seed: 40)
        let entry = try written.open(.readWrite).add(path: "/EFI/Linux/" + Edit.ukiName, contents: uki, timestamp: Edit.timestamp)
        #expect(entry.name == Edit.ukiName)
        #expect(entry.shortName == "QEMU-D~3.EFI")
        #expect(entry.size == 3 << 20)
        #expect(entry.modified.unixTime == Edit.timestamp && entry.created.unixTime == Edit.timestamp)
        #expect(entry.attributes == FAT.ShortEntry.Attribute.archive)

        try RenameTests.expectClean(written, after: "adding \(Edit.ukiName)")
        let line = try Edit.mdirLine(written, "EFI/Linux", Edit.ukiName)
        #expect(line?.hasPrefix("QEMU-D~3 EFI") == true, "\(String(describing: line))")
        #expect(try Edit.mcopy(written, "EFI/Linux/" + Edit.ukiName) == uki)
        let after = try written.open()
        #expect(try after.read("efi/linux/" + Edit.ukiName.uppercased()) == uki)
        #expect(try after.entry(at: "EFI/Linux/" + Edit.ukiName) == entry)
        let clusterSize = UInt64(after.geometry.clusterSize)
        let grown = try Edit.directoryClusters(written, "EFI/Linux") - directoryBefore
        #expect(after.freeClusters == before.freeClusters - UInt32((3 << 20) / clusterSize) - UInt32(grown))
        try Edit.expectFreeCountsAgree(written)
        // The files that were there are untouched.
        for file in Fixtures.espFiles {
            #expect(try after.read(file.path) == file.contents, "\(file.path)")
        }
    }

    /// 40 long names: the directory grows by several clusters (zeroed, linked in both FATs).
    @Test(.enabled(if: Edit.tools, Edit.skipReason), arguments: Edit.kinds)
    func manyFilesGrowTheDirectory(kind: FAT.Kind) throws {
        let written = try Edit.esp(kind)
        let directoryBefore = try Edit.directoryClusters(written, "EFI/Linux")
        let volume = try written.open(.readWrite)
        let files = (0..<40).map { index in
            FAT.File(path: "EFI/Linux/slot-b kernel number \(index) with a long name.efi",
                     contents: Fixtures.pattern(700 * index + 1, seed: 200 + UInt64(index)))
        }
        for file in files {
            try volume.add(path: file.path, contents: file.contents, timestamp: Edit.timestamp + 2)
        }
        #expect(try Edit.directoryClusters(written, "EFI/Linux") > directoryBefore)
        try RenameTests.expectClean(written, after: "adding 40 files")
        let lines = try RenameTests.mdirNames(written, "EFI/Linux")
        let reread = try written.open()
        for file in files {
            let name = String(file.path.dropFirst("EFI/Linux/".count))
            #expect(lines.contains { $0.hasSuffix(" " + name) }, "\(name)")
            #expect(try reread.read(file.path) == file.contents, "\(name)")
        }
        #expect(try reread.list("EFI/Linux").count == 44)
        #expect(try Edit.mcopy(written, files[39].path) == files[39].contents)
        try Edit.expectFreeCountsAgree(written)
    }

    /// A source file copied in 4 MiB pieces, through the streaming form.
    @Test(.enabled(if: Edit.tools, Edit.skipReason))
    func aTwentyMegabyteUKIIsCopiedFromAFile() throws {
        let written = try Edit.small(.fat32)
        let uki = Fixtures.pattern(20_000_017, seed: 41)
        let source = written.scratch.path("uki.efi")
        try Data(uki).write(to: URL(fileURLWithPath: source))
        try written.open(.readWrite).add(path: "EFI/Linux/" + Edit.ukiName, copying: source, timestamp: Edit.timestamp)
        try RenameTests.expectClean(written, after: "copying a 20 MB UKI")
        #expect(try Edit.mcopy(written, "EFI/Linux/" + Edit.ukiName) == uki)
        #expect(try written.open().read("EFI/Linux/" + Edit.ukiName) == uki)
        try Edit.expectFreeCountsAgree(written)
    }

    /// Contents given in odd pieces land where they belong, across cluster boundaries.
    @Test func piecesOfAnySizeMakeOneFile() throws {
        let written = try Edit.small(.fat16)
        let contents = Fixtures.pattern(100_003, seed: 42)
        let pieces = [1, 510, 2, 4096, 7, 30_000]
        let volume = try written.open(.readWrite)
        try volume.add(path: "loader/pieces.bin", size: UInt64(contents.count), timestamp: Edit.timestamp) { sink throws(FATError) in
            var start = 0
            var index = 0
            while start < contents.count {
                let end = min(contents.count, start + pieces[index % pieces.count])
                try sink.write(Array(contents[start..<end]))
                start = end
                index += 1
            }
            #expect(sink.written == sink.size)
        }
        #expect(try written.open().read("loader/pieces.bin") == contents)
        try RenameTests.expectClean(written, after: "adding in pieces")
    }

    /// Removed files leave gaps; a larger file fills them (FAT16 has no FSInfo hint: the
    /// search starts at cluster 2), its chain jumping from gap to gap, and pieces that
    /// straddle a jump land on both sides.
    @Test(.enabled(if: Upstream.fsckAvailable, "fsck.fat (dosfstools) is not installed"))
    func aFragmentedVolumeTakesAFileInItsGaps() throws {
        let written = try Edit.small(.fat16)
        let volume = try written.open(.readWrite)
        let clusterSize = Int(volume.geometry.clusterSize)
        for index in 0..<8 {
            let contents = Fixtures.pattern(3 * clusterSize, seed: UInt64(index))
            try volume.add(path: "loader/gap\(index)", contents: contents, timestamp: Edit.timestamp)
        }
        for index in stride(from: 0, to: 8, by: 2) { try volume.remove(path: "loader/gap\(index)") }
        let contents = Fixtures.pattern(20 * clusterSize - 5, seed: 43)
        let piece = 5 * clusterSize / 2
        try volume.add(path: "loader/spread.bin", size: UInt64(contents.count), timestamp: Edit.timestamp) { sink throws(FATError) in
            for start in stride(from: 0, to: contents.count, by: piece) {
                try sink.write(Array(contents[start..<min(contents.count, start + piece)]))
            }
        }
        let reread = try written.open()
        let entry = try reread.entry(at: "loader/spread.bin")
        let chain = try reread.chain(from: entry.firstCluster, what: "spread.bin", maximum: 20, toEnd: true)
        let jumps = zip(chain, chain.dropFirst()).filter { $0.1 != $0.0 + 1 }.count
        #expect(jumps >= 4, "\(chain)")
        #expect(try reread.read("loader/spread.bin") == contents)
        for index in stride(from: 1, to: 8, by: 2) {
            #expect(try reread.read("loader/gap\(index)") == Fixtures.pattern(3 * clusterSize, seed: UInt64(index)))
        }
        try RenameTests.expectClean(written, after: "filling the gaps")
    }

    @Test func anEmptyFileHasNoCluster() throws {
        let written = try Edit.small(.fat12)
        let free = try written.open().freeClusters
        let entry = try written.open(.readWrite).add(path: "EMPTY.TXT", contents: [], timestamp: Edit.timestamp)
        #expect(entry.firstCluster == 0 && entry.size == 0 && !entry.hasLongName)
        #expect(try written.open().read("empty.txt") == [])
        #expect(try written.open().freeClusters == free)
        try RenameTests.expectClean(written, after: "adding an empty file")
    }
}
