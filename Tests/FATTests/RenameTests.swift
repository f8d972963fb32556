import Foundation
import Testing
import TestSupport

@testable import FAT

/// Boot counting's renames, checked by fsck.fat and mdir after each step.
@Suite struct RenameTests {
    static let uki = Fixtures.espFiles[3].contents

    /// mdir's listing of `directory`: the long names (or short names) in the last column.
    static func mdirNames(_ volume: WrittenVolume, _ directory: String) throws -> [String] {
        let result = try Upstream.mtools("mdir", ["-i", volume.mtoolsImage, "-a", "::/" + directory])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdoutText.split(separator: "\n").map(String.init)
    }

    static func expectClean(_ volume: WrittenVolume, after step: String) throws {
        guard Upstream.fsckAvailable else { return }
        let fsck = try Upstream.fsck(volume)
        #expect(fsck.clean, "after \(step): \(fsck.output)")
    }

    @Test(.enabled(if: Upstream.fsckAvailable && Upstream.mtoolsAvailable, "dosfstools or mtools is not installed"))
    func bootCounterRenamesKeepTheVolumeClean() throws {
        let written = try WrittenVolume()
        let steps = ["qemu-dev_0.1.0+3.efi", "qemu-dev_0.1.0+2-1.efi", "qemu-dev_0.1.0.efi"]
        for (from, to) in zip(steps, steps.dropFirst()) {
            let volume = try written.open(.readWrite)
            try volume.rename(in: "EFI/Linux", from: from, to: to)
            try Self.expectClean(written, after: "\(from) → \(to)")
            let lines = try Self.mdirNames(written, "EFI/Linux")
            #expect(lines.contains { $0.hasSuffix(" " + to) }, "\(lines)")
            #expect(!lines.contains { $0.hasSuffix(" " + from) }, "\(lines)")
            let reread = try written.open()
            #expect(try reread.read("EFI/Linux/" + to) == Self.uki)
            #expect(throws: FATError.notFound(path: "EFI/Linux/" + from)) { try reread.read("EFI/Linux/" + from) }
            let entry = try reread.entry(at: "EFI/Linux/" + to)
            #expect(entry.hasLongName)
            #expect(entry.modified.unixTime == 1_700_000_000, "a rename keeps the file's times")
        }
        // The other files of the directory are untouched.
        let volume = try written.open()
        #expect(try volume.read("EFI/Linux/QEMU-DEV.EFI") == Fixtures.espFiles[5].contents)
        #expect(try volume.read("EFI/Linux/qemu-dev_0.0.9.efi") == Fixtures.espFiles[4].contents)
        #expect(try volume.list("EFI/Linux").count == 4)
    }

    @Test func renameToAnEightDotThreeNameDropsTheLongName() throws {
        let written = try WrittenVolume()
        let volume = try written.open(.readWrite)
        try volume.rename(in: "EFI/Linux", from: "qemu-dev_0.1.0+3.efi", to: "LINUX.EFI")
        let entry = try written.open().entry(at: "EFI/Linux/LINUX.EFI")
        #expect(!entry.hasLongName)
        #expect(entry.shortName == "LINUX.EFI")
        try Self.expectClean(written, after: "the rename to LINUX.EFI")
        // And back to a long name, which then needs four slots where one was.
        try volume.rename(in: "EFI/Linux", from: "linux.efi", to: "qemu-dev_0.1.0+3.efi")
        #expect(try written.open().read("EFI/Linux/qemu-dev_0.1.0+3.efi") == Self.uki)
        try Self.expectClean(written, after: "the rename back")
    }

    /// A directory whose one cluster is full: a longer name makes it grow by a cluster, linked
    /// in both FATs, with FSInfo's free count one lower.
    @Test func aLongerNameGrowsAFullDirectory() throws {
        // 512-byte clusters hold 16 slots: ".", "..", and 14 short names.
        let files = (1...14).map { FAT.File(path: "full/F\($0)", contents: Fixtures.pattern($0, seed: UInt64($0))) }
        let written = try WrittenVolume(files: files, directories: [])
        let before = try written.open()
        let freeBefore = before.freeClusters
        let longName = "a name that needs three long-name entries.efi"
        try written.open(.readWrite).rename(in: "full", from: "F1", to: longName)
        let after = try written.open()
        #expect(after.freeClusters == freeBefore - 1)
        #expect(try after.fsInfo()?.freeCount == freeBefore - 1)
        #expect(try after.read("full/" + longName) == files[0].contents)
        #expect(try after.list("full").count == 14)
        try Self.expectClean(written, after: "growing the directory")
        if Upstream.mtoolsAvailable {
            #expect(try Self.mdirNames(written, "full").contains { $0.hasSuffix(" " + longName) })
        }
    }

    @Test func renameRefusesWhatItCannotDo() throws {
        let written = try WrittenVolume()
        let readOnly = try written.open()
        #expect(throws: FATError.readOnly(path: written.path)) {
            try readOnly.rename(in: "EFI/Linux", from: "qemu-dev_0.1.0+3.efi", to: "x.efi")
        }
        let volume = try written.open(.readWrite)
        #expect(throws: FATError.nameExists(directory: "EFI/Linux", name: "QEMU-dev_0.0.9.EFI", existing: "qemu-dev_0.0.9.efi")) {
            try volume.rename(in: "EFI/Linux", from: "qemu-dev_0.1.0+3.efi", to: "QEMU-dev_0.0.9.EFI")
        }
        // A short name of another entry is taken as well.
        #expect(throws: FATError.self) { try volume.rename(in: "EFI/Linux", from: "qemu-dev_0.1.0+3.efi", to: "qemu-d~1.efi") }
        #expect(throws: FATError.notFound(path: "EFI/Linux/nothing.efi")) {
            try volume.rename(in: "EFI/Linux", from: "nothing.efi", to: "x.efi")
        }
        let invalid = try #require(throws: FATError.self) {
            try volume.rename(in: "EFI/Linux", from: "qemu-dev_0.1.0+3.efi", to: "a/b.efi")
        }
        #expect(invalid.description.contains("contains '/'"), "\(invalid)")
        // Nothing changed.
        #expect(try written.open().read("EFI/Linux/qemu-dev_0.1.0+3.efi") == Self.uki)
    }

    @Test func renameCanChangeOnlyTheCase() throws {
        let written = try WrittenVolume()
        try written.open(.readWrite).rename(in: "EFI/Linux", from: "qemu-dev_0.1.0+3.efi", to: "QEMU-dev_0.1.0+3.efi")
        #expect(try written.open().list("EFI/Linux").contains { $0.name == "QEMU-dev_0.1.0+3.efi" })
        try Self.expectClean(written, after: "a change of case")
    }

    /// The FAT12/16 root has 512 slots and cannot grow.
    @Test func aFullFAT16RootCannotTakeALongerName() throws {
        let files = (1...511).map { FAT.File(path: "F\($0)", contents: []) }
        let written = try WrittenVolume(files: files, directories: [], size: 16 << 20)
        #expect(written.summary.geometry.kind == .fat16)
        let volume = try written.open(.readWrite)
        #expect(throws: FATError.directoryFull(directory: "", entries: 514, limit: 512)) {
            try volume.rename(in: "", from: "F1", to: "a longer name.txt")
        }
        try volume.rename(in: "/", from: "F1", to: "G1")
        #expect(try written.open().list().contains { $0.name == "G1" })
        try Self.expectClean(written, after: "a rename in a full FAT16 root")
    }
}
