import Foundation
import Testing
import TestSupport

@testable import FAT

/// `FAT.Volume.remove`: a UKI taken off the ESP in place, checked by fsck.fat and mtools.
@Suite struct RemoveTests {
    static let target = Fixtures.espFiles[3]  // EFI/Linux/qemu-dev_0.1.0+3.efi, 2.5 MB, 2 long-name entries

    @Test(.enabled(if: Edit.tools, Edit.skipReason), arguments: Edit.kinds)
    func aRemovedFileIsGoneAndItsClustersFree(kind: FAT.Kind) throws {
        let written = try Edit.esp(kind)
        let before = try written.open()
        #expect(try Edit.mdirLine(written, "EFI/Linux", "qemu-dev_0.1.0+3.efi") != nil)
        try written.open(.readWrite).remove(path: "efi/linux/QEMU-DEV_0.1.0+3.EFI")

        try RenameTests.expectClean(written, after: "removing \(Self.target.path)")
        #expect(try Edit.mdirLine(written, "EFI/Linux", "qemu-dev_0.1.0+3.efi") == nil)
        let after = try written.open()
        let clusterSize = UInt64(after.geometry.clusterSize)
        let freed = UInt32((UInt64(Self.target.contents.count) + clusterSize - 1) / clusterSize)
        #expect(after.freeClusters == before.freeClusters + freed)
        try Edit.expectFreeCountsAgree(written)
        #expect(throws: FATError.notFound(path: "EFI/Linux/qemu-dev_0.1.0+3.efi")) { try after.read(Self.target.path) }
        for file in Fixtures.espFiles where file.path != Self.target.path {
            #expect(try after.read(file.path) == file.contents, "\(file.path)")
        }
        // Its three slots (two long-name entries and the short entry) are free.
        let directory = try after.directory(at: "EFI/Linux")
        let freeSlots = stride(from: 0, to: directory.bytes.count, by: 32).filter { directory.bytes[$0] == 0xE5 }
        #expect(freeSlots.count == 3)
    }

    /// Add then remove: the FAT copies are what they were, the free count too.
    @Test(.enabled(if: Edit.tools, Edit.skipReason), arguments: Edit.kinds)
    func addThenRemoveGivesTheFATBack(kind: FAT.Kind) throws {
        let written = try Edit.esp(kind)
        let volume = try written.open(.readWrite)
        let geometry = volume.geometry
        let fats = UInt64(geometry.bytesPerSector) * UInt64(geometry.sectorsPerFAT) * UInt64(geometry.fatCount)
        func tables() throws -> [UInt8] {
            try written.open().readVolume(at: geometry.firstFATSector * 512, count: Int(fats), what: "the FATs")
        }
        let pristine = try tables()
        let free = volume.freeClusters
        try volume.add(path: "loader/" + Edit.ukiName, contents: Fixtures.pattern(3 << 20, seed: 60), timestamp: Edit.timestamp)
        #expect(try tables() != pristine)
        try volume.remove(path: "loader/" + Edit.ukiName)
        #expect(try tables() == pristine)
        #expect(try written.open().freeClusters == free)
        try Edit.expectFreeCountsAgree(written)
        try RenameTests.expectClean(written, after: "adding and removing")
        #expect(try Edit.mdirLine(written, "loader", Edit.ukiName) == nil)
    }

    /// The next slot's UKI takes the slots the removed one left, without growing the directory.
    @Test func aRemovedNameMakesRoomForTheNext() throws {
        let written = try Edit.small(.fat32)
        let volume = try written.open(.readWrite)
        let slot = try #require(volume.listing(try volume.directory(at: "EFI/Linux")).find("qemu-dev_0.1.0+3.efi")).firstSlot
        let clusters = try Edit.directoryClusters(written, "EFI/Linux")
        try volume.remove(path: "EFI/Linux/qemu-dev_0.1.0+3.efi")
        let contents = Fixtures.pattern(70_000, seed: 61)
        try volume.add(path: "EFI/Linux/qemu-dev_0.1.1+3.efi", contents: contents, timestamp: Edit.timestamp)
        let reread = try written.open()
        let added = try #require(reread.listing(try reread.directory(at: "EFI/Linux")).find("qemu-dev_0.1.1+3.efi"))
        #expect(added.firstSlot == slot)
        #expect(added.entry.shortName == "QEMU-D~1.EFI")
        #expect(try Edit.directoryClusters(written, "EFI/Linux") == clusters)
        #expect(try reread.read("EFI/Linux/qemu-dev_0.1.1+3.efi") == contents)
        try RenameTests.expectClean(written, after: "remove, then add")
    }

    @Test func anEmptyFileIsRemoved() throws {
        let written = try Edit.small(.fat16)
        let volume = try written.open(.readWrite)
        try volume.add(path: "loader/empty.conf", contents: [], timestamp: Edit.timestamp)
        let free = volume.freeClusters
        try volume.remove(path: "loader/EMPTY.CONF")
        #expect(try written.open().list("loader").map(\.name) == ["loader.conf"])
        #expect(try written.open().freeClusters == free)
        try RenameTests.expectClean(written, after: "removing an empty file")
    }

    @Test func removeRefusesWhatItCannotDo() throws {
        let written = try Edit.small(.fat32)
        let image = try Edit.image(written)
        #expect(throws: FATError.readOnly(path: written.path)) { try written.open().remove(path: "loader/loader.conf") }
        let volume = try written.open(.readWrite)
        #expect(throws: FATError.isADirectory(path: "EFI/Linux")) { try volume.remove(path: "efi/linux/") }
        #expect(throws: FATError.isADirectory(path: "/")) { try volume.remove(path: "/") }
        #expect(throws: FATError.notFound(path: "EFI/Linux/nothing.efi")) { try volume.remove(path: "EFI/Linux/nothing.efi") }
        #expect(throws: FATError.notFound(path: "EFI/nothing")) { try volume.remove(path: "EFI/nothing/x.efi") }
        #expect(try Edit.image(written) == image)
    }

    /// A chain that loops, or runs into its directory's clusters, is refused before anything
    /// is written: freeing it would free what another entry uses.
    @Test func aDamagedChainIsNotFreed() throws {
        let written = try Edit.small(.fat32)
        let entry = try written.open().entry(at: "EFI/BOOT/BOOTX64.EFI")
        let last = entry.firstCluster + 9  // 5000 bytes: 10 clusters of 512.
        let position = HostileReaderTests.fatEntryPosition(written, cluster: last)
        try HostileReaderTests.patch(written.path, at: position, HostileReaderTests.le32(entry.firstCluster + 2))
        var image = try Edit.image(written)
        #expect(throws: FATError.chainLoop(path: written.path, what: "EFI/BOOT/BOOTX64.EFI", cluster: entry.firstCluster + 2)) {
            try written.open(.readWrite).remove(path: "EFI/BOOT/BOOTX64.EFI")
        }
        #expect(try Edit.image(written) == image)

        let boot = try written.open().entry(at: "EFI/BOOT")
        try HostileReaderTests.patch(written.path, at: position, HostileReaderTests.le32(boot.firstCluster))
        image = try Edit.image(written)
        let error = try #require(throws: FATError.self) { try written.open(.readWrite).remove(path: "EFI/BOOT/BOOTX64.EFI") }
        #expect(error == .corrupt(
            path: written.path, detail: "the cluster chain of EFI/BOOT/BOOTX64.EFI runs through cluster \(boot.firstCluster), "
                + "which holds a directory"))
        #expect(try Edit.image(written) == image)
    }
}
