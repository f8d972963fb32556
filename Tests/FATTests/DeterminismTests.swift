import Foundation
import Testing
import TestSupport

@testable import FAT

/// Same input, same bytes; what differs comes from the options.
@Suite struct DeterminismTests {
    static func bytes(_ volume: WrittenVolume) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: volume.path))
    }

    @Test func twoWritesGiveIdenticalBytes() throws {
        let first = try WrittenVolume()
        let second = try WrittenVolume(files: Fixtures.espFiles.reversed(), directories: Fixtures.espDirectories.reversed())
        #expect(try Self.bytes(first) == Self.bytes(second), "input order must not matter either")
    }

    /// Offsets where `first` and `second` differ, comparing 4 KiB at a time first.
    static func differences(_ first: Data, _ second: Data) -> [Int] {
        var found: [Int] = []
        for start in stride(from: 0, to: min(first.count, second.count), by: 4096) {
            let end = min(start + 4096, first.count, second.count)
            guard first[start..<end] != second[start..<end] else { continue }
            found += (start..<end).filter { first[$0] != second[$0] }
        }
        return found
    }

    @Test func theVolumeIDIsTheOnlyDifferenceBetweenTwoIDs() throws {
        let first = try Self.bytes(WrittenVolume(size: 64 << 20))
        var options = Fixtures.options
        options.volumeID = 0xCAFE_F00D
        let other = try WrittenVolume(size: 64 << 20, options: options)
        // BS_VolID at 67...70 of the boot sector and of its backup (sector 6); every byte of
        // 0x1234ABCD and 0xCAFEF00D differs.
        let start = 1 << 20
        let expected = (67...70).map { start + $0 } + (67...70).map { start + 6 * 512 + $0 }
        #expect(Self.differences(first, try Self.bytes(other)) == expected)
        #expect(try other.open().volumeID == 0xCAFE_F00D)
    }

    @Test func everyTimestampIsTheOption() throws {
        // 2000-02-29 12:34:57 UTC: a leap day, an odd second.
        var options = Fixtures.options
        options.timestamp = 951_827_697
        let volume = try WrittenVolume(size: 64 << 20, options: options).open()
        var checked = 0
        for directory in ["", "EFI", "EFI/Linux", "many", "loader"] {
            for entry in try volume.list(directory) {
                #expect(entry.modified == FAT.Timestamp(date: 20 << 9 | 2 << 5 | 29, time: 12 << 11 | 34 << 5 | 28))
                #expect(entry.created == FAT.Timestamp(date: 20 << 9 | 2 << 5 | 29, time: 12 << 11 | 34 << 5 | 28, hundredths: 100))
                #expect(entry.accessed == entry.modified.date)
                checked += 1
            }
        }
        #expect(checked > 40)
    }

    @Test func timesBefore1980AreClampedTo1980() throws {
        var options = Fixtures.options
        options.timestamp = 0
        let volume = try WrittenVolume(size: 64 << 20, options: options).open()
        let entry = try volume.entry(at: "EFI/BOOT/BOOTX64.EFI")
        #expect(entry.modified.unixTime == FAT.Timestamp.earliest)
        #expect(entry.modified == FAT.Timestamp(date: 0 << 9 | 1 << 5 | 1, time: 0))
    }

    @Test func timestampsRoundTripAndClamp() {
        var generator = SeededGenerator(seed: 1980)
        for _ in 0..<1000 {
            let time = Int64.random(in: FAT.Timestamp.earliest...FAT.Timestamp.latest, using: &generator)
            let stamp = FAT.Timestamp(unixTime: time)
            #expect(stamp.unixTime == time, "\(time)")
        }
        #expect(FAT.Timestamp(unixTime: Int64.max).unixTime == FAT.Timestamp.latest)
        #expect(FAT.Timestamp(unixTime: Int64.min).unixTime == FAT.Timestamp.earliest)
        #expect(FAT.Timestamp.latest == 4_354_819_198, "2107-12-31 23:59:58 UTC")
        #expect(FAT.Timestamp(date: 0, time: 0).unixTime == nil, "month 0 is no date")
        #expect(FAT.Timestamp(date: 21 << 9 | 2 << 5 | 29, time: 0).unixTime == nil, "2001 has no 29 February")
    }

    @Test(.enabled(if: Upstream.mtoolsAvailable, "mtools is not installed"))
    func mdirShowsTheClampedDate() throws {
        var options = Fixtures.options
        options.timestamp = -1
        let volume = try WrittenVolume(size: 64 << 20, options: options)
        let result = try Upstream.mtools("mdir", ["-i", volume.mtoolsImage, "::/EFI"])
        #expect(result.stdoutText.contains("1980-01-01   0:00"), "\(result.stdoutText)")
    }
}
