import Foundation
import Testing
import TestSupport

@testable import GPT

/// `GPT.readPrimary`: the table as the kernel (and the initrd's init) reads it at boot.
@Suite struct ReadPrimaryTests {
    let image: WrittenImage
    var path: String { image.path }
    var table: GPT.Table { image.table }

    init() throws { image = try WrittenImage() }

    @Test func numbersEntriesAsTheKernelDoes() throws {
        let numbered = try GPT.readPrimary(path: path)
        #expect(numbered.map(\.partition) == table.partitions)
        #expect(numbered.map(\.number) == Array(1...table.partitions.count))
    }

    /// An image written to a larger disk leaves the backup in the middle: the strict reader
    /// says so, the kernel and readPrimary boot it anyway.
    @Test func aLargerDiskStillBoots() throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: table.diskSize + (64 << 20))
        try handle.close()
        #expect(throws: GPTError.self) { try GPT.read(path: path) }
        #expect(try GPT.readPrimary(path: path).map(\.partition) == table.partitions)
    }

    @Test func aDamagedPrimaryIsAnErrorEvenWithAnIntactBackup() throws {
        try Fixtures.flip(path, at: 512 + 60)  // DiskGUID, under the header CRC
        let error = try #require(throws: GPTError.self) { try GPT.readPrimary(path: path) }
        #expect(error.description.contains("primary GPT header CRC32 mismatch"), "\(error)")

        try GPT.write(table, to: path)
        try Fixtures.flip(path, at: 2 * 512 + 130)  // the second entry's type GUID
        let entries = try #require(throws: GPTError.self) { try GPT.readPrimary(path: path) }
        #expect(entries.description.contains("partition entry array"), "\(entries)")
    }

    @Test func noProtectiveMBRAndShortFilesAreErrors() throws {
        try Fixtures.flip(path, at: 510)
        #expect(throws: GPTError.self) { try GPT.readPrimary(path: path) }
        try Data(count: 700).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: GPTError.self) { try GPT.readPrimary(path: path) }
        guard case .truncated = error else {
            Issue.record("expected truncated, got \(error)")
            return
        }
    }

    /// sgdisk places entries where it is told: an unused entry before a used one keeps the
    /// used one's kernel number (entry index + 1).
    @Test(.enabled(if: Tools.find("sgdisk") != nil, "sgdisk is not installed (apt-get install gdisk)"))
    func holesKeepTheirNumbers() throws {
        let sgdisk = try #require(Tools.find("sgdisk"))
        let holey = image.scratch.path("holey.img")
        try Data().write(to: URL(fileURLWithPath: holey))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: holey))
        try handle.truncate(atOffset: 16 << 20)
        try handle.close()
        let made = try Tools.run(sgdisk, [
            "-n", "2:2048:+1M", "-t", "2:4f68bce3-e8cd-4db1-96e7-fbcaf984b709", "-c", "2:root",
            "-n", "5:0:+1M", "-t", "5:2c7357ed-ebd2-46d9-aec1-23d437ec2bf5", "-c", "5:verity", holey,
        ])
        #expect(made.status == 0, "\(made.stderr)")
        let numbered = try GPT.readPrimary(path: holey)
        #expect(numbered.map(\.number) == [2, 5])
        #expect(numbered.map(\.partition.name) == ["root", "verity"])
        #expect(numbered.map(\.partition.type) == [GPT.PartitionType.root, GPT.PartitionType.rootVerity])
    }
}
