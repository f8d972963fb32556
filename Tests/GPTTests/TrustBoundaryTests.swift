import Foundation
import Testing
import TestSupport

@testable import GPT

/// A table that passes every CRC can still be hostile, and a path can be no file at all.
@Suite struct GPTTrustBoundaryTests {
    /// Writes `table` without `write`'s validation (CRCs and both copies consistent).
    static func writeUnchecked(_ table: GPT.Table, to path: String) throws {
        try GPT.write(try Fixtures.smallTable(), to: path)
        let lastLBA = table.diskSize / 512 - 1
        let sectors = GPT.encodedSectors(table)
        try Fixtures.overwrite(path, at: 512, with: sectors.primaryHeader + sectors.entries)
        try Fixtures.overwrite(path, at: (lastLBA - 32) * 512, with: sectors.entries + sectors.backupHeader)
    }

    @Test func overlappingPartitionsAreRefusedByTheReaders() throws {
        let image = try WrittenImage(Fixtures.smallTable())
        var bad = image.table
        bad.partitions[0].lastLBA = bad.partitions[1].firstLBA + 7  // "a" runs into "b"
        try Self.writeUnchecked(bad, to: image.path)
        let error = try #require(throws: GPTError.self) { try GPT.read(path: image.path) }
        #expect(error == .overlap(first: "1 (a)", second: "2 (b)", sharedLBA: bad.partitions[1].firstLBA), "\(error)")
        #expect(error.description.contains("overlap at LBA \(bad.partitions[1].firstLBA)"))
        #expect(throws: GPTError.self) { try GPT.readRecovering(path: image.path) }
    }

    @Test(.timeLimit(.minutes(1)))
    func aFIFOADirectoryOrADeviceNodeIsRefusedBeforeItIsRead() throws {
        let scratch = try ScratchDirectory()
        defer { withExtendedLifetime(scratch) {} }
        for (path, kind) in try scratch.nonFileInputs() {
            let error = try #require(throws: GPTError.self) { try GPT.read(path: path) }
            #expect(error.description.contains("it is \(kind), not a regular file or a block device"), "\(error)")
            #expect(throws: GPTError.self) { try GPT.readPrimary(path: path) }
            #expect(throws: GPTError.self) { try GPT.readRecovering(path: path) }
        }
    }
}
