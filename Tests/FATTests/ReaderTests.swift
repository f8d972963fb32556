import Foundation
import Testing
import TestSupport

@testable import FAT

/// The reader on what the writer wrote, and on what mkfs.fat and mcopy made.
@Suite struct ReaderTests {
    /// Every file under `directory`, by path, read through `list` and `read`.
    static func readTree(_ volume: FAT.Volume, _ directory: String = "") throws -> [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for entry in try volume.list(directory) {
            let path = directory.isEmpty ? entry.name : directory + "/" + entry.name
            if entry.isDirectory {
                files.merge(try readTree(volume, path)) { first, _ in first }
            } else {
                files[path] = try volume.read(path)
            }
        }
        return files
    }

    /// Every directory under `directory`, by path.
    static func directories(_ volume: FAT.Volume, _ directory: String = "") throws -> Set<String> {
        var found = Set<String>()
        for entry in try volume.list(directory) where entry.isDirectory {
            let path = directory.isEmpty ? entry.name : directory + "/" + entry.name
            found.insert(path)
            found.formUnion(try directories(volume, path))
        }
        return found
    }

    @Test func readsBackEveryFileAndDirectory() throws {
        let written = try WrittenVolume()
        let volume = try written.open()
        let expected = Dictionary(uniqueKeysWithValues: Fixtures.espFiles.map { ($0.path, $0.contents) })
        #expect(try Self.readTree(volume) == expected)
        let directories = try Self.directories(volume)
        #expect(directories == ["EFI", "EFI/BOOT", "EFI/systemd", "EFI/Linux", "EFI/empty-dir", "loader", "loader/entries", "many"])
        #expect(try volume.list("EFI/empty-dir").isEmpty)
    }

    @Test func bootSectorAndFSInfoAreWhatWasWritten() throws {
        let written = try WrittenVolume()
        let volume = try written.open()
        #expect(volume.kind == .fat32)
        #expect(volume.geometry == written.summary.geometry)
        #expect(volume.volumeID == 0x1234_ABCD)
        #expect(volume.bootSectorLabel == "ESP")
        #expect(try volume.rootLabel() == "ESP")
        #expect(volume.freeClusters == written.summary.freeClusters)
        let info = try #require(try volume.fsInfo())
        #expect(info.freeCount == written.summary.freeClusters)
        #expect(info.nextFree == 1 + written.summary.usedClusters)
    }

    @Test func namesAreLongWhereNeededAndShortAlways() throws {
        let volume = try WrittenVolume().open()
        let linux = try volume.list("EFI/Linux")
        let byName = Dictionary(uniqueKeysWithValues: linux.map { ($0.name, $0) })
        #expect(byName["QEMU-DEV.EFI"]?.hasLongName == false)
        #expect(byName["qemu-dev_0.0.9.efi"]?.shortName == "QEMU-D~1.EFI")
        #expect(byName["qemu-dev_0.1.0+3.efi"]?.shortName == "QEMU-D~2.EFI")
        #expect(byName[Fixtures.longName]?.shortName == "XXXXXX~1.EFI")
        let root = Dictionary(uniqueKeysWithValues: try volume.list().map { ($0.name, $0.shortName) })
        #expect(root["a.b.c.d"] == "A~1.D")
        #expect(root["empty.txt"] == "EMPTY.TXT")
        #expect(root["Mixed Case Name.txt"] == "MIXEDC~1.TXT")
        #expect(root["unicode-é-名前.txt"] == "UNICOD~1.TXT")
        #expect(try volume.list("loader").map(\.shortName) == ["ENTRIES", "LOADER~1.CON"])
        // Lookups ignore case and take short names too.
        #expect(try volume.read("efi/linux/QEMU-D~2.EFI") == Fixtures.espFiles[3].contents)
        #expect(try volume.read("/EFI/LINUX/Qemu-Dev_0.1.0+3.EFI") == Fixtures.espFiles[3].contents)
    }

    @Test func timesComeFromTheOptions() throws {
        let volume = try WrittenVolume().open()
        for entry in try volume.list("EFI/Linux") {
            #expect(entry.modified.unixTime == 1_700_000_000, "write times have 2-second steps")
            #expect(entry.created.unixTime == 1_700_000_001, "creation keeps the odd second in DIR_CrtTimeTenth")
            #expect(entry.accessed == entry.modified.date)
        }
    }

    @Test func pathErrorsNameThePath() throws {
        let volume = try WrittenVolume().open()
        #expect(throws: FATError.notFound(path: "EFI/nothing")) { try volume.read("EFI/nothing") }
        #expect(throws: FATError.notFound(path: "EFI/nothing")) { try volume.list("EFI/nothing/deeper") }
        #expect(throws: FATError.isADirectory(path: "EFI/BOOT")) { try volume.read("EFI/BOOT") }
        #expect(throws: FATError.notADirectory(path: "EFI/BOOT/BOOTX64.EFI")) { try volume.list("EFI/BOOT/BOOTX64.EFI") }
        #expect(FATError.notFound(path: "EFI/nothing").description == "/EFI/nothing: no such file or directory on the FAT volume")
    }

    @Test func fileLimitIsEnforced() throws {
        let written = try WrittenVolume()
        let volume = try FAT.Volume(path: written.path, offset: written.offset, limits: .init(maximumFileBytes: 1 << 20))
        let error = try #require(throws: FATError.self) { try volume.read("EFI/Linux/qemu-dev_0.1.0+3.efi") }
        #expect(error.description.contains("is 2500000 bytes"), "\(error)")
    }

    // MARK: Volumes made by dosfstools and mtools

    /// `mkfs.fat ARGUMENTS` on a new file of `size` bytes at `offset` of a larger one, then
    /// `mmd`/`mcopy` of the fixture tree into it.
    static func mkfsVolume(_ scratch: ScratchDirectory, size: UInt64, offset: UInt64, _ arguments: [String]) throws -> String {
        let image = scratch.path("mkfs-\(UUID().uuidString).img")
        try WrittenVolume.makeFile(image, size: offset + size)
        let mkfs = try Tools.run(try #require(Tools.find("mkfs.fat")),
                                 arguments + ["--offset", "\(offset / 512)", image, "\(size / 1024)"])
        try #require(mkfs.status == 0, "\(mkfs.stdoutText) \(mkfs.stderr)")
        let tree = scratch.path("tree-\(UUID().uuidString)")
        for file in Fixtures.espFiles {
            let path = tree + "/" + file.path
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(file.contents).write(to: URL(fileURLWithPath: path))
        }
        let target = "\(image)@@\(offset)"
        let names = try FileManager.default.contentsOfDirectory(atPath: tree).sorted().map { tree + "/" + $0 }
        let mcopy = try Upstream.mtools("mcopy", ["-s", "-i", target] + names + ["::/"])
        try #require(mcopy.status == 0, "\(mcopy.stderr)")
        return image
    }

    @Test(.enabled(if: Upstream.mkfsAvailable, "dosfstools or mtools is not installed"),
          arguments: [
            (["-F", "32", "-n", "MKFS"], UInt64(64) << 20, FAT.Kind.fat32),
            (["-F", "16", "-n", "MKFS"], 32 << 20, .fat16),
            (["-F", "12", "-n", "MKFS"], 8 << 20, .fat12),
          ])
    func readsWhatMkfsAndMcopyMade(arguments: [String], size: UInt64, kind: FAT.Kind) throws {
        let scratch = try ScratchDirectory()
        let offset: UInt64 = 1 << 20
        let image = try Self.mkfsVolume(scratch, size: size, offset: offset, arguments)
        let volume = try FAT.Volume(path: image, offset: offset)
        #expect(volume.kind == kind)
        #expect(volume.bootSectorLabel == "MKFS")
        #expect(try volume.rootLabel() == "MKFS")
        let expected = Dictionary(uniqueKeysWithValues: Fixtures.espFiles.map { ($0.path, $0.contents) })
        #expect(try Self.readTree(volume) == expected)
    }

    /// mtools cannot write to a volume of 4096-byte sectors, so this one stays empty.
    @Test(.enabled(if: Upstream.mkfsAvailable, "dosfstools is not installed"))
    func readsAVolumeOf4096ByteSectors() throws {
        let scratch = try ScratchDirectory()
        let image = scratch.path("4kn.img")
        try WrittenVolume.makeFile(image, size: 257 << 20)
        // --offset counts logical sectors: 256 × 4096 is 1 MiB.
        let mkfs = try Tools.run(try #require(Tools.find("mkfs.fat")),
                                 ["-F", "32", "-S", "4096", "-n", "FOURK", "-i", "0badf00d", "--offset", "256", image, "262144"])
        try #require(mkfs.status == 0, "\(mkfs.stderr)")
        let volume = try FAT.Volume(path: image, offset: 1 << 20)
        #expect(volume.kind == .fat32)
        #expect(volume.geometry.bytesPerSector == 4096)
        #expect(volume.volumeID == 0x0BAD_F00D)
        #expect(try volume.rootLabel() == "FOURK")
        #expect(try volume.list().isEmpty)
        #expect(volume.freeClusters == volume.geometry.clusterCount - 1)
    }
}
