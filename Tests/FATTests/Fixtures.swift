import Foundation
import Testing
import TestSupport

@testable import FAT

/// The ESP-like tree the tests write, and an image file holding it at an offset.
enum Fixtures {
    static let options = FAT.Options(volumeID: 0x1234_ABCD, volumeLabel: "ESP", timestamp: 1_700_000_001)

    /// `count` bytes from a seeded generator, so contents differ between files and runs agree.
    static func pattern(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        var bytes = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            let word = generator.next()
            for shift in stride(from: 0, to: 64, by: 8) where index < count {
                bytes[index] = UInt8(truncatingIfNeeded: word >> UInt64(shift))
                index += 1
            }
        }
        return bytes
    }

    /// More than 20 entries in one directory, long enough names that it spans several clusters.
    static let manyNames = (0..<30).map { "entry number \($0) with a long name.txt" }

    static let longName = String(repeating: "x", count: 251) + ".efi"

    static var espFiles: [FAT.File] {
        var files = [
            FAT.File(path: "EFI/BOOT/BOOTX64.EFI", contents: pattern(61_440, seed: 1)),
            FAT.File(path: "EFI/systemd/systemd-bootx64.efi", contents: pattern(102_400 + 17, seed: 2)),
            FAT.File(path: "loader/loader.conf", contents: Array("timeout 3\ndefault qemu-dev_*\n".utf8)),
            FAT.File(path: "EFI/Linux/qemu-dev_0.1.0+3.efi", contents: pattern(2_500_000, seed: 3)),
            FAT.File(path: "EFI/Linux/qemu-dev_0.0.9.efi", contents: pattern(700_001, seed: 4)),
            FAT.File(path: "EFI/Linux/QEMU-DEV.EFI", contents: pattern(1000, seed: 5)),
            FAT.File(path: "Mixed Case Name.txt", contents: pattern(10, seed: 6)),
            FAT.File(path: "unicode-é-名前.txt", contents: pattern(513, seed: 7)),
            FAT.File(path: "a.b.c.d", contents: pattern(512, seed: 8)),
            FAT.File(path: "empty.txt", contents: []),
            FAT.File(path: "EFI/Linux/" + longName, contents: pattern(3, seed: 9)),
        ]
        for (index, name) in manyNames.enumerated() {
            files.append(FAT.File(path: "many/" + name, contents: pattern(100 * index, seed: 100 + UInt64(index))))
        }
        return files
    }

    static let espDirectories = ["EFI/empty-dir", "loader/entries"]
}

/// A file with a FAT volume written at `offset`, with a MiB of other bytes before and after.
final class WrittenVolume {
    let scratch: ScratchDirectory
    let path: String
    let offset: UInt64
    let size: UInt64
    let summary: FAT.WriteSummary

    init(
        files: [FAT.File] = Fixtures.espFiles, directories: [String] = Fixtures.espDirectories,
        offset: UInt64 = 1 << 20, size: UInt64 = 128 << 20, options: FAT.Options = Fixtures.options
    ) throws {
        scratch = try ScratchDirectory()
        path = scratch.path("disk.img")
        self.offset = offset
        self.size = size
        try Self.makeFile(path, size: offset + size + (1 << 20))
        summary = try FAT.write(files: files, directories: directories, to: path, at: offset, size: size, options: options)
    }

    static func makeFile(_ path: String, size: UInt64) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: size)
        try handle.close()
    }

    /// The volume's bytes alone, in a sparse file of their own (fsck.fat takes no offset):
    /// all-zero MiBs are skipped, so a 128 MiB volume costs what its files take.
    func extract() throws -> String {
        let out = scratch.path("volume-\(UUID().uuidString).img")
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        let input = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        defer {
            try? input.close()
            try? output.close()
        }
        let chunk: UInt64 = 1 << 20
        let zeros = Data(count: Int(chunk))
        var done: UInt64 = 0
        while done < size {
            try input.seek(toOffset: offset + done)
            let bytes = try input.read(upToCount: Int(min(chunk, size - done))) ?? Data()
            if bytes != zeros.prefix(bytes.count) {
                try output.seek(toOffset: done)
                try output.write(contentsOf: bytes)
            }
            done += chunk
        }
        try output.truncate(atOffset: size)
        return out
    }

    /// `mtools`' name for the volume: `IMAGE@@OFFSET`.
    var mtoolsImage: String { "\(path)@@\(offset)" }

    /// Opens the volume with the reader.
    func open(_ access: FAT.Volume.Access = .read) throws -> FAT.Volume {
        try FAT.Volume(path: path, offset: offset, size: size, access: access)
    }
}

/// dosfstools and mtools, the upstream checks.
enum Upstream {
    static let fsckAvailable = Tools.find("fsck.fat") != nil
    static let mtoolsAvailable = ["mdir", "mcopy", "minfo"].allSatisfy { Tools.find($0) != nil }
    static let mkfsAvailable = Tools.find("mkfs.fat") != nil && Tools.find("mcopy") != nil && Tools.find("mmd") != nil

    /// `fsck.fat -n` (check, change nothing) on the volume's bytes: its output is the version
    /// line and the summary line and nothing else when the file system is clean.
    static func fsck(_ volume: WrittenVolume) throws -> (clean: Bool, output: String) {
        try fsck(path: try volume.extract())
    }

    static func fsck(path: String) throws -> (clean: Bool, output: String) {
        let fsck = try #require(Tools.find("fsck.fat"))
        let result = try Tools.run(fsck, ["-n", path])
        let lines = result.stdoutText.split(separator: "\n")
        let output = result.stdoutText + result.stderr
        let clean = result.status == 0 && lines.count == 2 && lines[1].contains(" files, ") && result.stderr.isEmpty
        return (clean, output)
    }

    /// An mtools command; MTOOLS_SKIP_CHECK=1 (the image is no floppy whose geometry mtools
    /// could check) and a UTF-8 locale, so long names with accents come out as they went in.
    static func mtools(_ tool: String, _ arguments: [String]) throws -> Tools.Result {
        setenv("MTOOLS_SKIP_CHECK", "1", 1)
        setenv("LC_ALL", "C.UTF-8", 1)
        return try Tools.run(try #require(Tools.find(tool)), arguments)
    }
}
