import Foundation
import Testing
import TestSupport

@testable import GPT

@Suite struct WriteReadTests {
    /// One 2 GiB sparse image with the hostimg layout per check.
    typealias Image = WrittenImage

    @Test func createsSparseFileOfDiskSize() throws {
        let image = try Image()
        let attributes = try FileManager.default.attributesOfItem(atPath: image.path)
        #expect((attributes[.size] as? NSNumber)?.uint64Value == 2 << 30)
        var status = stat()
        #expect(stat(image.path, &status) == 0)
        #expect(status.st_blocks * 512 < 1 << 20, "the image should be sparse")
    }

    @Test func readReturnsTheSameTable() throws {
        let image = try Image()
        #expect(try GPT.read(path: image.path) == image.table)
    }

    @Test(.enabled(if: Tools.find("sgdisk") != nil, "sgdisk is not installed"))
    func sgdiskVerifiesWithoutProblems() throws {
        let image = try Image()
        let result = try Tools.run(try #require(Tools.find("sgdisk")), ["-v", image.path])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdoutText.contains("No problems found"), "\(result.stdoutText)")
        #expect(!result.stdoutText.lowercased().contains("warning"), "\(result.stdoutText)")
    }

    @Test(.enabled(if: Tools.find("sfdisk") != nil, "sfdisk is not installed"))
    func sfdiskSeesTheSamePartitions() throws {
        let image = try Image()
        let result = try Tools.run(try #require(Tools.find("sfdisk")), ["--json", image.path])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
        let table = try #require(json["partitiontable"] as? [String: Any])
        #expect(table["label"] as? String == "gpt")
        #expect(table["id"] as? String == image.table.diskGUID.description.uppercased())
        #expect((table["firstlba"] as? NSNumber)?.uint64Value == 34)
        #expect((table["lastlba"] as? NSNumber)?.uint64Value == image.table.lastUsableLBA)
        let partitions = try #require(table["partitions"] as? [[String: Any]])
        try #require(partitions.count == image.table.partitions.count)
        for (listed, expected) in zip(partitions, image.table.partitions) {
            #expect(listed["type"] as? String == expected.type.description.uppercased())
            #expect(listed["uuid"] as? String == expected.uuid.description.uppercased())
            #expect(listed["name"] as? String == expected.name)
            #expect((listed["start"] as? NSNumber)?.uint64Value == expected.firstLBA)
            #expect((listed["size"] as? NSNumber)?.uint64Value == expected.size / 512)
            // sfdisk lists bits 48-63 as "GUID:n".
            let attrs = listed["attrs"] as? String
            if expected.attributes == .readOnly { #expect(attrs == "GUID:60") }
            if expected.attributes == .growFileSystem { #expect(attrs == "GUID:59") }
            if expected.attributes.isEmpty { #expect(attrs == nil) }
        }
    }

    @Test(.enabled(if: Tools.find("sgdisk") != nil, "sgdisk is not installed"))
    func sgdiskShowsAttributeFlagsAndNames() throws {
        let image = try Image()
        let sgdisk = try #require(Tools.find("sgdisk"))
        for (index, partition) in image.table.partitions.enumerated() {
            let result = try Tools.run(sgdisk, ["-i", "\(index + 1)", image.path])
            #expect(result.status == 0, "\(result.stderr)")
            let lines = result.stdoutText.split(separator: "\n").map(String.init)
            let flags = String(format: "%016llx", partition.attributes.rawValue)
            #expect(lines.contains("Attribute flags: \(flags)"), "\(result.stdoutText)")
            #expect(lines.contains("Partition name: '\(partition.name)'"), "\(result.stdoutText)")
            #expect(lines.contains { $0.hasPrefix("Partition GUID code: \(partition.type.description.uppercased())") })
            #expect(lines.contains("Partition unique GUID: \(partition.uuid.description.uppercased())"))
            #expect(lines.contains { $0.hasPrefix("First sector: \(partition.firstLBA) ") })
            #expect(lines.contains { $0.hasPrefix("Last sector: \(partition.lastLBA) ") })
        }
    }

    @Test func sameInputsGiveIdenticalBytes() throws {
        let scratch = try ScratchDirectory()
        let table = try Fixtures.hostimgTable()
        let again = try Fixtures.hostimgTable()
        #expect(table == again)
        for name in ["one", "two"] { try GPT.write(table, to: scratch.path(name)) }
        let tail = table.diskSize - 33 * 512
        let one = try Fixtures.bytes(scratch.path("one"), at: 0, count: 34 * 512)
            + Fixtures.bytes(scratch.path("one"), at: tail, count: 33 * 512)
        let two = try Fixtures.bytes(scratch.path("two"), at: 0, count: 34 * 512)
            + Fixtures.bytes(scratch.path("two"), at: tail, count: 33 * 512)
        #expect(one.count == 67 * 512)
        #expect(one == two)
        // The backup entries equal the primary ones; the protective MBR covers the disk.
        #expect(one[(2 * 512)..<(34 * 512)] == one[(34 * 512)..<(66 * 512)])
        #expect(Array(one[446..<462]) == [0, 0, 2, 0, 0xEE, 0xFF, 0xFF, 0xFF, 1, 0, 0, 0, 0xFF, 0xFF, 0x3F, 0x00])
        #expect(Array(one[510..<512]) == [0x55, 0xAA])
        #expect(Array(one[512..<520]) == Array("EFI PART".utf8))
    }

    @Test func leavesPartitionContentsAlone() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("filled.img")
        let table = try Fixtures.smallTable()
        // Fill the whole file with a pattern first, as if the partitions had been written.
        let pattern = (0..<Int(table.diskSize)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try Data(pattern).write(to: URL(fileURLWithPath: path))
        try GPT.write(table, to: path)
        let after = try Fixtures.bytes(path, at: 0, count: Int(table.diskSize))
        #expect(after.count == pattern.count)
        let usable = (34 * 512)..<(Int(table.diskSize) - 33 * 512)
        #expect(after[usable] == pattern[usable])
        #expect(try GPT.read(path: path) == table)
        // Rewriting a changed table over it works too.
        var renamed = table
        renamed.partitions[0].name = "qemu-dev_0.2.0"
        try GPT.write(renamed, to: path)
        #expect(try GPT.read(path: path) == renamed)
        #expect(try Fixtures.bytes(path, at: 0, count: Int(table.diskSize))[usable] == pattern[usable])
    }

    @Test func refusesAFileLongerThanTheDisk() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("long.img")
        let table = try Fixtures.smallTable()
        try Data(count: Int(table.diskSize) + 512).write(to: URL(fileURLWithPath: path))
        #expect(throws: GPTError.fileLargerThanDisk(path: path, fileSize: table.diskSize + 512, diskSize: table.diskSize)) {
            try GPT.write(table, to: path)
        }
    }

    @Test func writeValidatesTheTable() throws {
        let scratch = try ScratchDirectory()
        var table = try Fixtures.smallTable()
        table.partitions[1].firstLBA = table.partitions[0].lastLBA
        #expect(throws: GPTError.self) { try GPT.write(table, to: scratch.path("bad.img")) }
        #expect(!FileManager.default.fileExists(atPath: scratch.path("bad.img")))
        #expect(throws: GPTError.self) { try GPT.write(try Fixtures.smallTable(), to: scratch.path("missing/dir/x.img")) }
    }

    @Test(.enabled(if: Tools.find("sgdisk") != nil, "sgdisk is not installed"))
    func readsATableWrittenBySgdisk() throws {
        let sgdisk = try #require(Tools.find("sgdisk"))
        let scratch = try ScratchDirectory()
        let path = scratch.path("sgdisk.img")
        try Data().write(to: URL(fileURLWithPath: path))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 8 << 20)
        try handle.close()
        let result = try Tools.run(
            sgdisk,
            [
                "-o", "-U", "11111111-2222-3333-4444-555555555555", "-n", "1:2048:+2M", "-t", "1:8304", "-c", "1:hello wörld",
                "-u", "1:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "-A", "1:set:60", path,
            ])
        #expect(result.status == 0, "\(result.stderr)")
        let table = try GPT.read(path: path)
        #expect(table.diskGUID.description == "11111111-2222-3333-4444-555555555555")
        #expect(table.diskSize == 8 << 20)
        #expect(
            table.partitions == [
                GPT.Partition(
                    type: GPT.PartitionType.root, uuid: try #require(GPT.GUID("aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee")),
                    name: "hello wörld", firstLBA: 2048, lastLBA: 2048 + 4096 - 1, attributes: .readOnly)
            ])
    }
}
