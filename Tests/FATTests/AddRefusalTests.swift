import Foundation
import Testing
import TestSupport

@testable import FAT

/// What `add` refuses, each before writing anything: the image's bytes are compared whole.
@Suite struct AddRefusalTests {
    /// `add` through the streaming form, recording whether it asked for the contents.
    static func attempt(_ volume: FAT.Volume, _ path: String, size: UInt64) -> (error: FATError?, askedForContents: Bool) {
        var asked = false
        do {
            try volume.add(path: path, size: size, timestamp: Edit.timestamp) { sink throws(FATError) in
                asked = true
                try sink.write(Fixtures.pattern(Int(size), seed: 50))
            }
            return (nil, asked)
        } catch {
            return (error, asked)
        }
    }

    /// A full volume: one byte more than the free clusters hold is refused, saying how many
    /// bytes are needed and free; exactly that many is added, leaving no cluster free.
    @Test(.enabled(if: Edit.tools, Edit.skipReason), arguments: [FAT.Kind.fat12, .fat32])
    func aFullVolumeIsRefusedAndAnExactFitIsNot(kind: FAT.Kind) throws {
        let written = try Edit.small(kind)
        let volume = try written.open(.readWrite)
        let clusterSize = UInt64(volume.geometry.clusterSize)
        let free = UInt64(volume.freeClusters) * clusterSize
        let image = try Edit.image(written)
        let refused = Self.attempt(volume, "EFI/Linux/" + Edit.ukiName, size: free + 1)
        #expect(refused.error == .noSpace(
            path: written.path, file: "EFI/Linux/" + Edit.ukiName, bytesNeeded: free + clusterSize, bytesFree: free))
        #expect(refused.error?.description.contains("needs \(free + clusterSize) bytes") == true)
        #expect(!refused.askedForContents)
        #expect(try Edit.image(written) == image)

        let fits = Self.attempt(volume, "EFI/Linux/" + Edit.ukiName, size: free)
        #expect(fits.error == nil, "\(String(describing: fits.error))")
        let after = try written.open()
        #expect(after.freeClusters == 0)
        #expect(try after.read("EFI/Linux/" + Edit.ukiName) == Fixtures.pattern(Int(free), seed: 50))
        try RenameTests.expectClean(written, after: "filling the volume")
        try Edit.expectFreeCountsAgree(written)
    }

    /// The data would fit, but the directory must grow for the name: that cluster counts.
    @Test func aDirectoryThatMustGrowCountsItsCluster() throws {
        let files = (1...14).map { FAT.File(path: "full/F\($0)", contents: Fixtures.pattern($0, seed: UInt64($0))) }
        let written = try WrittenVolume(files: files, directories: [], size: 34 << 20)
        let volume = try written.open(.readWrite)
        let clusterSize = UInt64(volume.geometry.clusterSize)
        let free = UInt64(volume.freeClusters) * clusterSize
        let image = try Edit.image(written)
        let refused = Self.attempt(volume, "full/a name that needs long-name entries.efi", size: free)
        #expect(refused.error == .noSpace(
            path: written.path, file: "full/a name that needs long-name entries.efi", bytesNeeded: free + clusterSize,
            bytesFree: free))
        #expect(try Edit.image(written) == image)
        // One cluster less of data leaves the one the directory grows by.
        #expect(Self.attempt(volume, "full/a name that needs long-name entries.efi", size: free - clusterSize).error == nil)
        #expect(try written.open().freeClusters == 0)
        #expect(try written.open().directory(at: "full").clusters.count == 2)
    }

    @Test func namesAndPathsItCannotTakeAreRefused() throws {
        let written = try Edit.small(.fat32)
        let volume = try written.open(.readWrite)
        let image = try Edit.image(written)
        let cases: [(String, FATError?)] = [
            ("EFI/Linux/QEMU-DEV_0.1.0+3.EFI",
             .nameExists(directory: "EFI/Linux", name: "QEMU-DEV_0.1.0+3.EFI", existing: "qemu-dev_0.1.0+3.efi")),
            // The short name the existing file has.
            ("efi/linux/qemu-d~1.efi", .nameExists(directory: "EFI/Linux", name: "qemu-d~1.efi", existing: "qemu-dev_0.1.0+3.efi")),
            ("EFI/missing/x.efi", .notFound(path: "EFI/missing")),
            ("loader/loader.conf/x.efi", .notADirectory(path: "loader/loader.conf")),
            ("EFI/Linux/a:b.efi", nil), ("EFI/Linux/what?.efi", nil), ("EFI/Linux/tab\there.efi", nil),
            ("EFI/Linux/trailing dot.", nil), ("EFI/Linux/", nil), ("EFI/Linux/" + String(repeating: "n", count: 256), nil),
        ]
        for (path, expected) in cases {
            let (error, asked) = Self.attempt(volume, path, size: 100)
            if let expected {
                #expect(error == expected, "\(path)")
            } else if case .invalidName? = error {
            } else {
                Issue.record("\(path): \(String(describing: error)), expected .invalidName")
            }
            #expect(!asked, "\(path)")
        }
        #expect(Self.attempt(volume, "EFI/Linux/huge.efi", size: UInt64(UInt32.max) + 1).error
            == .fileTooLarge(path: "EFI/Linux/huge.efi", bytes: UInt64(UInt32.max) + 1))
        #expect(Self.attempt(try written.open(), "EFI/Linux/x.efi", size: 1).error == .readOnly(path: written.path))
        #expect(try Edit.image(written) == image)
    }

    /// The FAT16 root has 512 slots and cannot grow (511 files and the label fill it).
    @Test func aFullFAT16RootIsRefused() throws {
        let files = (1...511).map { FAT.File(path: "F\($0)", contents: []) }
        let written = try WrittenVolume(files: files, directories: [], size: 16 << 20)
        let image = try Edit.image(written)
        let error = Self.attempt(try written.open(.readWrite), "G", size: 10).error
        #expect(error == .directoryFull(directory: "", entries: 513, limit: 512))
        #expect(try Edit.image(written) == image)
    }

    /// Contents that come short, run long or fail: only free clusters were written, so the
    /// volume shows nothing new and fsck.fat finds it clean.
    @Test(.enabled(if: Upstream.fsckAvailable, "fsck.fat (dosfstools) is not installed"))
    func contentsThatFailLeaveNothingVisible() throws {
        let written = try Edit.small(.fat16)
        let volume = try written.open(.readWrite)
        let free = volume.freeClusters
        let path = "EFI/Linux/" + Edit.ukiName
        let short = #expect(throws: FATError.self) {
            try volume.add(path: path, size: 5000, timestamp: Edit.timestamp) { sink throws(FATError) in
                try sink.write(Fixtures.pattern(4999, seed: 1))
            }
        }
        #expect(short == .sizeMismatch(path: written.path, file: path, declared: 5000, written: 4999))
        let long = #expect(throws: FATError.self) {
            try volume.add(path: path, size: 5000, timestamp: Edit.timestamp) { sink throws(FATError) in
                try sink.write(Fixtures.pattern(4000, seed: 1))
                try sink.write(Fixtures.pattern(1001, seed: 1))
            }
        }
        #expect(long == .sizeMismatch(path: written.path, file: path, declared: 5000, written: 5001))
        let failing = FATError.io(path: "uki.efi", operation: "read", message: "Input/output error")
        #expect(throws: failing) {
            try volume.add(path: path, size: 5000, timestamp: Edit.timestamp) { _ throws(FATError) in throw failing }
        }
        let after = try written.open()
        #expect(after.freeClusters == free)
        #expect(try after.list("EFI/Linux").map(\.name) == ["qemu-dev_0.1.0+3.efi"])
        try RenameTests.expectClean(written, after: "failed adds")
        // The volume is still usable for the same name.
        try volume.add(path: path, contents: [1, 2, 3], timestamp: Edit.timestamp)
        #expect(try written.open().read(path) == [1, 2, 3])
    }
}
