import Foundation
import Testing
import TestSupport

@testable import FAT

/// Which FAT type and cluster size a region gets, and the size errors.
@Suite struct GeometryTests {
    static let mebibyte: UInt64 = 1 << 20

    static let cases: [(UInt64, FAT.Kind, UInt32)] = [
        (128 << 20, .fat32, 1),
        (256 << 20, .fat32, 1),
        (260 << 20, .fat32, 1),
        (261 << 20, .fat32, 8),
        (512 << 20, .fat32, 8),
        (1 << 30, .fat32, 8),
        (34 << 20, .fat32, 1),
        (32 << 20, .fat16, 4),
        (16 << 20, .fat16, 4),
        (15 << 20, .fat16, 2),
        (4 << 20, .fat12, 2),
        (1 << 20, .fat12, 1),
        (64 << 10, .fat12, 1),
        ]

    @Test(arguments: cases)
    func typeAndClusterSizeFollowFatgen103(size: UInt64, kind: FAT.Kind, sectorsPerCluster: UInt32) throws {
        let geometry = try FAT.Geometry.plan(size: size)
        #expect(geometry.kind == kind)
        #expect(geometry.sectorsPerCluster == sectorsPerCluster)
        #expect(geometry.volumeSize == size)
        #expect(geometry.reservedSectors == (kind == .fat32 ? 32 : 1))
    }

    @Test func fat32StartsWhereTheTableAllows65525Clusters() throws {
        // DskTableFAT32: up to 66600 sectors is too small for FAT32.
        #expect(try FAT.Geometry.plan(size: 66600 * 512).kind == .fat16)
        let first = try FAT.Geometry.plan(size: 66601 * 512)
        #expect(first.kind == .fat32)
        #expect(first.clusterCount >= 65525)
        #expect(try FAT.Geometry.plan(size: 532_480 * 512).sectorsPerCluster == 1)
        #expect(try FAT.Geometry.plan(size: 532_481 * 512).sectorsPerCluster == 8)
    }

    /// For sizes from a seeded generator: the count matches the type, the FAT is the smallest
    /// that covers every cluster, and the data area fits in the volume.
    @Test func everyGeometryIsConsistent() throws {
        var generator = SeededGenerator(seed: 0xFA7)
        for _ in 0..<2000 {
            let sectors = UInt64.random(in: 128...(UInt64(8) << 21), using: &generator)
            let geometry = try FAT.Geometry.plan(size: sectors * 512)
            let count = geometry.clusterCount
            switch geometry.kind {
            case .fat12: #expect(count < 4085)
            case .fat16: #expect(count >= 4085 && count < 65525)
            case .fat32: #expect(count >= 65525)
            }
            let fatBytes = FAT.Geometry.fatBytes(kind: geometry.kind, clusters: UInt64(count))
            #expect(fatBytes <= UInt64(geometry.sectorsPerFAT) * 512)
            var smaller = geometry
            smaller.sectorsPerFAT -= 1
            let smallerNeeds = FAT.Geometry.fatBytes(kind: geometry.kind, clusters: UInt64(smaller.clusterCount))
            #expect(smallerNeeds > UInt64(smaller.sectorsPerFAT) * 512, "\(sectors) sectors: a FAT one sector smaller would do")
            #expect(geometry.firstDataSector + UInt64(count) * UInt64(geometry.sectorsPerCluster) <= sectors)
        }
    }

    @Test func sizesThatCannotBeFormattedSaySo() throws {
        let odd = try #require(throws: FATError.self) { try FAT.Geometry.plan(size: 128 * Self.mebibyte + 100) }
        #expect(odd.description.contains("must be a multiple of 512"), "\(odd)")
        let small = try #require(throws: FATError.self) { try FAT.Geometry.plan(size: 32 << 10) }
        #expect(small == .invalidSize(32 << 10, problem: .tooSmall(minimum: 64 << 10)))
        #expect(small.description.contains("the smallest FAT volume written is 65536 bytes (64 KiB); raise disk.espSize"))
        #expect(throws: FATError.invalidSize(4 << 40, problem: .tooLarge(maximum: FAT.Geometry.maximumSize))) {
            try FAT.Geometry.plan(size: 4 << 40)
        }
    }

    @Test func tooManyBytesNamesNeedAvailableAndTheFix() throws {
        let files = [FAT.File(path: "EFI/Linux/big.efi", contents: [UInt8](repeating: 1, count: 20 << 20))]
        let error = try #require(throws: FATError.self) {
            try WrittenVolume(files: files, directories: [], size: 16 << 20)
        }
        guard case .doesNotFit(let needed, let available, _, let kind, let clusterSize, let minimum) = error else {
            Issue.record("\(error)")
            return
        }
        #expect(kind == .fat16 && clusterSize == 2048)
        #expect(needed > 20 << 20 && available < 16 << 20)
        let fix = try #require(minimum)
        #expect(error.description.hasPrefix("the ESP contents need \(needed) bytes (20.0 MiB) in clusters of 2048 bytes, "
                                            + "but the FAT16 volume of 16 MiB has \(available) bytes (16.0 MiB) for files"),
                "\(error)")
        #expect(error.description.hasSuffix("; raise disk.espSize to at least \(FAT.describe(bytes: fix))"), "\(error)")
        // The size it names is enough.
        let written = try WrittenVolume(files: files, directories: [], size: fix)
        #expect(try written.open().read("EFI/Linux/big.efi") == files[0].contents)
        #expect(try FAT.minimumSize(files: files, options: Fixtures.options) == fix)
    }

    @Test func minimumSizeHoldsTheESP() throws {
        let size = try FAT.minimumSize(files: Fixtures.espFiles, directories: Fixtures.espDirectories, options: Fixtures.options)
        #expect(size % Self.mebibyte == 0)
        let written = try WrittenVolume(size: size)
        #expect(try ReaderTests.readTree(written.open()).count == Fixtures.espFiles.count)
        #expect(throws: FATError.self) { try WrittenVolume(size: size - Self.mebibyte) }
    }

    @Test func theRegionMustLieInTheFileOnASector() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("short.img")
        try WrittenVolume.makeFile(path, size: 100 << 20)
        #expect(throws: FATError.regionOutsideFile(path: path, offset: 1 << 20, size: 100 << 20, fileSize: 100 << 20)) {
            try FAT.write(files: [], to: path, at: 1 << 20, size: 100 << 20, options: Fixtures.options)
        }
        #expect(throws: FATError.invalidOffset(1000)) {
            try FAT.write(files: [], to: path, at: 1000, size: 64 << 20, options: Fixtures.options)
        }
        let missing = scratch.path("missing.img")
        let error = try #require(throws: FATError.self) {
            try FAT.write(files: [], to: missing, at: 0, size: 64 << 20, options: Fixtures.options)
        }
        #expect(error == .io(path: missing, operation: "open", message: "No such file or directory"))
    }

    @Test func anEmptyVolumeIsValid() throws {
        let written = try WrittenVolume(files: [], directories: [], options: FAT.Options(volumeID: 1, volumeLabel: "", timestamp: 0))
        let volume = try written.open()
        #expect(try volume.list().isEmpty)
        #expect(try volume.rootLabel() == nil)
        #expect(volume.bootSectorLabel == "NO NAME")
        #expect(written.summary.usedClusters == 1)
        if Upstream.fsckAvailable {
            let fsck = try Upstream.fsck(written)
            #expect(fsck.clean, "\(fsck.output)")
        }
    }
}
