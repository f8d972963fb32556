import Foundation
import Testing
import TestSupport

@testable import GPT

/// Damaged images: every one must give a GPTError that says what is wrong, never a crash.
@Suite struct HostileReaderTests {
    let image: WrittenImage
    var path: String { image.path }
    var table: GPT.Table { image.table }

    init() throws { image = try WrittenImage(Fixtures.smallTable()) }

    var lastLBA: UInt64 { table.diskSize / 512 - 1 }

    func readError() throws -> GPTError {
        try #require(throws: GPTError.self) { try GPT.read(path: path) }
    }

    @Test func intactImageReads() throws {
        #expect(try GPT.read(path: path) == table)
    }

    @Test func missingAndTinyFiles() throws {
        #expect(throws: GPTError.self) { try GPT.read(path: image.scratch.path("nope")) }
        for size in [0, 100, 1023] {
            try Data(count: size).write(to: URL(fileURLWithPath: path))
            let error = try readError()
            guard case .truncated = error else {
                Issue.record("size \(size): \(error)")
                continue
            }
            #expect(error.description.contains("the image is truncated"))
        }
    }

    @Test func truncatedImageNamesTheMissingBackup() throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 1 << 20)
        try handle.close()
        let error = try readError()
        #expect(error == .truncated(path: path, fileSize: 1 << 20, what: "backup GPT header (at LBA \(lastLBA))", needed: table.diskSize))

        // Cut inside the primary entry array.
        let cut = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try cut.truncate(atOffset: 10 * 512)
        try cut.close()
        #expect(try readError() == .truncated(path: path, fileSize: 10 * 512, what: "backup GPT header (at LBA \(lastLBA))", needed: table.diskSize))
    }

    @Test func grownImageIsReported() throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: table.diskSize + (1 << 20))
        try handle.close()
        let error = try readError()
        #expect(error.description.hasPrefix("primary GPT header: AlternateLBA is \(lastLBA)"))
    }

    @Test func flippedPrimaryHeaderByteNamesPrimaryCRCAndIntactBackup() throws {
        try Fixtures.flip(path, at: 512 + 60)  // inside DiskGUID
        let error = try readError()
        guard case .primaryDamaged(let inner, let backupIntact, _) = error,
            case .checksumMismatch(.primary, "header", let stored, let computed) = inner
        else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(backupIntact)
        #expect(stored != computed)
        #expect(error.description.hasPrefix("primary GPT header CRC32 mismatch: stored 0x"))
        #expect(error.description.contains("backup header is intact"))
    }

    @Test func wrongSignatureAndRevision() throws {
        try Fixtures.overwrite(path, at: 512, with: Array("EFI PARX".utf8))
        let error = try readError()
        #expect(error.description.hasPrefix("primary GPT header: signature is \"EFI PARX\", expected \"EFI PART\""))
        #expect(error.description.contains("backup header is intact"))

        try GPT.write(table, to: path)
        try Fixtures.overwrite(path, at: 512 + 8, with: [0, 0, 2, 0])
        #expect(try readError().description.hasPrefix("primary GPT header: revision is 0x20000"))
    }

    @Test func flippedEntryByteNamesTheEntryArrayCRC() throws {
        try Fixtures.flip(path, at: 2 * 512 + 40)  // EndingLBA of entry 1
        let error = try readError()
        guard case .primaryDamaged(.checksumMismatch(.primary, "partition entry array", _, _), true, nil) = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(error.description.hasPrefix("primary GPT partition entry array CRC32 mismatch"))
    }

    @Test func bothCopiesDamagedSaysSo() throws {
        try Fixtures.flip(path, at: 512 + 60)
        try Fixtures.flip(path, at: lastLBA * 512 + 60)
        let error = try readError()
        guard case .primaryDamaged(_, false, let backupProblem) = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(backupProblem?.hasPrefix("backup GPT header CRC32 mismatch") == true)
        #expect(error.description.contains("the backup table is damaged too"))
    }

    @Test func flippedBackupHeaderByteNamesTheBackup() throws {
        try Fixtures.flip(path, at: lastLBA * 512 + 40)  // FirstUsableLBA
        let error = try readError()
        guard case .checksumMismatch(.backup, "header", _, _) = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(error.description.hasPrefix("backup GPT header CRC32 mismatch"))
    }

    @Test func flippedBackupEntryByteNamesTheBackupArray() throws {
        try Fixtures.flip(path, at: (lastLBA - 32) * 512 + 130)
        let error = try readError()
        guard case .checksumMismatch(.backup, "partition entry array", let stored, let computed) = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(stored != computed)
        #expect(error.description.hasPrefix("backup GPT partition entry array CRC32 mismatch"))
    }

    @Test func consistentButDisagreeingCopies() throws {
        // Rewrite the backup as a valid header of a different disk GUID.
        var other = table
        other.diskGUID = Fixtures.uuid(GPT.PartitionType.esp, 9)
        let sectors = GPT.encodedSectors(other)
        try Fixtures.overwrite(path, at: lastLBA * 512, with: sectors.backupHeader)
        let error = try readError()
        #expect(error == .copiesDisagree(field: "DiskGUID", primary: "\(table.diskGUID)", backup: "\(other.diskGUID)"))
    }

    @Test func wrongMBR() throws {
        try Fixtures.overwrite(path, at: 510, with: [0x55, 0xAB])
        #expect(try readError().description == "LBA 0 is not a protective MBR: boot signature is 55 ab, expected 55 aa at byte 510")
        try GPT.write(table, to: path)
        try Fixtures.overwrite(path, at: 446 + 4, with: [0x83])
        #expect(try readError().description.contains("no partition record of type 0xee starting at LBA 1 (record types: 0x83, 0x00, 0x00, 0x00)"))
    }

    @Test func entryWithReversedLBAsIsRejected() throws {
        // A consistent table (CRCs recomputed) whose entry lies about its extent.
        var bad = table
        bad.partitions[1].firstLBA = bad.partitions[1].lastLBA + 1
        let sectors = GPT.encodedSectors(bad)
        try Fixtures.overwrite(path, at: 512, with: sectors.primaryHeader + sectors.entries)
        try Fixtures.overwrite(path, at: (lastLBA - 32) * 512, with: sectors.entries + sectors.backupHeader)
        let error = try readError()
        guard case .invalidEntry(1, _) = error else {
            Issue.record("unexpected error \(error)")
            return
        }
        #expect(error.description.hasPrefix("GPT partition entry 2: StartingLBA"))
    }

    @Test func hostileHeaderFieldsWithValidCRC() throws {
        // Headers that pass their CRC but ask for absurd entry arrays or positions.
        let cases: [(offset: Int, value: [UInt8], message: String)] = [
            (80, [0xFF, 0xFF, 0xFF, 0xFF], "NumberOfPartitionEntries is 4294967295"),
            (84, [0x00, 0x00, 0x00, 0x80], "SizeOfPartitionEntry is 2147483648"),
            (72, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], "PartitionEntryLBA is 18446744073709551615"),
            (48, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], "LastUsableLBA is 9223372036854775807"),
            (12, [0x00, 0x10, 0x00, 0x00], "header size is 4096"),
        ]
        for (offset, value, message) in cases {
            try GPT.write(table, to: path)
            var sector = try Fixtures.bytes(path, at: 512, count: 512)
            sector.replaceSubrange(offset..<(offset + value.count), with: value)
            sector.replaceSubrange(16..<20, with: [0, 0, 0, 0])
            let crc = CRC32.checksum(sector[0..<92])
            sector.replaceSubrange(16..<20, with: (0..<4).map { UInt8(truncatingIfNeeded: crc >> ($0 * 8)) })
            try Fixtures.overwrite(path, at: 512, with: sector)
            let error = try readError()
            #expect(error.description.contains(message), "\(error)")
        }
    }

    @Test func randomDamageNeverCrashes() throws {
        var generator = SeededGenerator(seed: 42)
        let tableSectors = Array(0..<(34 * 512)) + Array(Int(table.diskSize) - 33 * 512..<Int(table.diskSize))
        var failures = 0
        for round in 0..<150 {
            try GPT.write(table, to: path)
            for _ in 0..<(1 + round % 4) {
                let offset = tableSectors[Int.random(in: 0..<tableSectors.count, using: &generator)]
                try Fixtures.overwrite(path, at: UInt64(offset), with: [UInt8.random(in: 0...255, using: &generator)])
            }
            do {
                _ = try GPT.read(path: path)
            } catch let error as GPTError {
                failures += 1
                #expect(!error.description.isEmpty)
            }
        }
        // Most random bytes land in MBR boot code or zero entries the CRC covers: nearly all fail.
        #expect(failures > 100)
    }
}
