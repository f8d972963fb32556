import Foundation
import SystemIO
import Testing
import TestSupport

@testable import GPT

/// `GPT.update`: entries 5-7 (slot B) changed in place on disks of 512- and 4096-byte sectors,
/// checked by our strict reader and by util-linux and gdisk.
@Suite struct UpdateTests {
    static let sectorSizes: [UInt64] = [512, 4096]

    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }

    /// A fresh disk whose every partition starts with a marker sector, so a test sees that
    /// the update left their contents alone.
    func disk(_ sectorSize: UInt64, name: String = "disk.img") throws -> (path: String, table: GPT.Table) {
        let path = scratch.path(name)
        let table = try SlotDisk.table(sectorSize: sectorSize)
        try GPT.write(table, to: path)
        let file = try SystemIO.File(path: path, flags: O_RDWR)
        for (index, partition) in table.partitions.enumerated() {
            try file.write([UInt8](repeating: UInt8(index + 1), count: 512), at: partition.offset(sectorSize: sectorSize))
        }
        return (path, table)
    }

    @Test(arguments: sectorSizes)
    func changesEntriesFiveToSevenAndNothingElse(sectorSize: UInt64) throws {
        let (path, table) = try disk(sectorSize)
        let before = try SlotDisk.contents(path)
        let result = try GPT.update(path: path, changes: SlotDisk.changes, sectorSize: sectorSize)
        let expected = SlotDisk.updated(table)
        #expect(result.partitions == SlotDisk.numbered(expected))
        #expect(result.repaired == nil)
        #expect(result.kernelNotice == nil)
        #expect(try GPT.read(path: path, sectorSize: sectorSize) == expected)
        #expect(try GPT.readRecovering(path: path, sectorSize: sectorSize).otherCopyProblem == nil)
        // Only the two headers and the two entry arrays changed: MBR and partitions did not.
        let after = try SlotDisk.contents(path)
        let arrayBytes = Int(table.entryArraySectors * sectorSize)
        let size = Int(sectorSize)
        let changed = (0..<after.count).filter { after[$0] != before[$0] }
        let backupEntries = Int(table.backupEntriesLBA * sectorSize)
        let allowed: [Range<Int>] = [
            size..<(2 * size), (2 * size)..<(2 * size + arrayBytes), backupEntries..<(backupEntries + arrayBytes + size),
        ]
        #expect(changed.allSatisfy { index in allowed.contains { $0.contains(index) } })
        #expect(!changed.isEmpty)
    }

    @Test(.enabled(if: UtilLinux.sfdisk != nil && UtilLinux.fdisk != nil, "sfdisk or fdisk is not installed"), arguments: sectorSizes)
    func utilLinuxListsTheChangedAndTheUnchangedEntries(sectorSize: UInt64) throws {
        let (path, table) = try disk(sectorSize)
        #expect(try UtilLinux.list(path, sectorSize: sectorSize) == UtilLinux.expected(table))
        _ = try GPT.update(path: path, changes: SlotDisk.changes, sectorSize: sectorSize)
        let listed = try UtilLinux.list(path, sectorSize: sectorSize)
        #expect(listed == UtilLinux.expected(SlotDisk.updated(table)))
        #expect(listed[4].name == "qemu-dev_0.2.0" && listed[6].attributes == "GUID:60,63")
        #expect(Array(listed[0..<4]) == Array(UtilLinux.expected(table)[0..<4]))
        let verify = try UtilLinux.verify(path, sectorSize: sectorSize)
        #expect(verify.ok, "\(verify.output)")
    }

    /// sgdisk 1.0.9 reads an image file with 512-byte sectors only (it has no sector size
    /// option), so it checks the 512-byte disk; fdisk's verify checks the 4096-byte one above.
    @Test(.enabled(if: Tools.find("sgdisk") != nil, "sgdisk is not installed"))
    func sgdiskFindsNoProblems() throws {
        let (path, _) = try disk(512)
        _ = try GPT.update(path: path, changes: SlotDisk.changes)
        let result = try Tools.run(try #require(Tools.find("sgdisk")), ["-v", path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText.contains("No problems found"), "\(result.stdoutText)")
        #expect(!result.stdoutText.lowercased().contains("warning"), "\(result.stdoutText)")
    }

    @Test(arguments: sectorSizes)
    func aFullWriteWithFourKSectorsReadsBack(sectorSize: UInt64) throws {
        let (path, table) = try disk(sectorSize)
        #expect(table.firstUsableLBA == (sectorSize == 512 ? 34 : 6))
        #expect(try GPT.read(path: path, sectorSize: sectorSize) == table)
        #expect(try GPT.readPrimary(path: path, sectorSize: sectorSize) == SlotDisk.numbered(table))
    }

    /// Every change is checked before anything is written: the file keeps every byte.
    @Test func invalidChangesAreRefusedBeforeAnyWrite() throws {
        let (path, _) = try disk(512)
        let before = try SlotDisk.contents(path)
        let taken = try #require(try GPT.read(path: path).partitions.first?.uuid)
        let cases: [([GPT.EntryChange], String)] = [
            ([.init(index: 200, name: "x")], "the table has entries 1...128"),
            ([.init(index: 9, name: "x")], "the entry is unused"),
            ([.init(index: -1, name: "x")], "the table has entries"),
            ([.init(index: 4, name: "x"), .init(index: 4, name: "y")], "changed more than once"),
            ([.init(index: 4, type: .zero)], "all-zero GUID"),
            ([.init(index: 4, uuid: .zero)], "all-zero GUID"),
            ([.init(index: 5, name: "x"), .init(index: 4, uuid: taken)], "is entry 1's too"),
            ([.init(index: 5, name: String(repeating: "é", count: 37))], "37 UTF-16 code units"),
            ([.init(index: 5, name: "a\u{0}b")], "NUL"),
        ]
        for (changes, message) in cases {
            let error = try #require(throws: GPTError.self) { try GPT.update(path: path, changes: changes) }
            #expect(error.description.contains(message), "\(error)")
        }
        #expect(try SlotDisk.contents(path) == before)
        #expect(throws: GPTError.self) { try GPT.update(path: scratch.path("absent.img"), changes: SlotDisk.changes) }
        #expect(!FileManager.default.fileExists(atPath: scratch.path("absent.img")))
        #expect(throws: GPTError.unsupportedSectorSize(1000)) { try GPT.update(path: path, changes: [], sectorSize: 1000) }
    }

    /// The copy that is damaged is rebuilt from the intact one.
    @Test(arguments: [GPTError.Copy.primary, .backup], sectorSizes)
    func aDamagedCopyIsRepaired(copy: GPTError.Copy, sectorSize: UInt64) throws {
        let (path, table) = try disk(sectorSize)
        let headerLBA = copy == .primary ? 1 : table.backupHeaderLBA
        try Fixtures.flip(path, at: headerLBA * sectorSize + 20)
        let recovered = try GPT.readRecovering(path: path, sectorSize: sectorSize)
        #expect(recovered.source == (copy == .primary ? .backup : .primary))
        #expect(recovered.otherCopyProblem?.contains("CRC32 mismatch") == true)
        let result = try GPT.update(path: path, changes: SlotDisk.changes, sectorSize: sectorSize)
        #expect(result.repaired == copy)
        #expect(try GPT.read(path: path, sectorSize: sectorSize) == SlotDisk.updated(table))
    }

    @Test func bothCopiesDamagedIsAnError() throws {
        let (path, table) = try disk(512)
        try Fixtures.flip(path, at: 512 + 20)
        try Fixtures.flip(path, at: table.backupHeaderLBA * 512 + 20)
        let error = try #require(throws: GPTError.self) { try GPT.update(path: path, changes: SlotDisk.changes) }
        guard case .primaryDamaged(_, let backupIntact, _) = error else {
            Issue.record("expected primaryDamaged, got \(error)")
            return
        }
        #expect(!backupIntact)
        #expect(throws: GPTError.self) { try GPT.readRecovering(path: path) }
    }
}
