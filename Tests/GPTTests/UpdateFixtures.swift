import Foundation
import Testing
import TestSupport

@testable import GPT

/// A small disk with the hostimg layout (1 MiB partitions) for the in-place update: slot B
/// (entries 5-7) empty, typed linux-generic, as before its first update; and the change that
/// fills it.
enum SlotDisk {
    static let mib: UInt64 = 1 << 20
    static let type = GPT.PartitionType.self

    static func table(sectorSize: UInt64) throws -> GPT.Table {
        let uuid = Fixtures.uuid
        func request(_ name: String, _ type: GPT.GUID, _ k: UInt64, _ attributes: GPT.Attributes = []) -> GPT.Layout.Request {
            .init(name: name, type: type, uuid: uuid(type, k), size: mib, attributes: attributes)
        }
        return try GPT.Layout.plan(
            diskSize: 12 * mib, diskGUID: Fixtures.diskGUID,
            requests: [
                request("esp", type.esp, 0),
                request("qemu-dev_0.1.0", type.root, 0),
                request("qemu-dev_0.1.0", type.rootVerity, 0, .readOnly),
                request("qemu-dev_0.1.0", type.rootVeritySignature, 0, .readOnly),
                request("_empty", type.linuxData, 1),
                request("_empty", type.linuxData, 2),
                request("_empty", type.linuxData, 3),
                request("state", type.variableData, 0, .growFileSystem),
            ], sectorSize: sectorSize)
    }

    /// Slot B gets its types, the PARTUUIDs of a new root hash, its label and read-only flags.
    static let changes: [GPT.EntryChange] = {
        let uuid = { (text: String) in GPT.GUID(text) ?? .zero }
        return [
            .init(index: 4, type: type.root, uuid: uuid("0a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3"), name: "qemu-dev_0.2.0"),
            .init(
                index: 5, type: type.rootVerity, uuid: uuid("1a1b2c3d-4e5f-4a6b-8c7d-8e9fa0b1c2d3"), name: "qemu-dev_0.2.0",
                attributes: .readOnly),
            .init(index: 6, type: type.rootVeritySignature, name: "qemu-dev_0.2.0", attributes: [.readOnly, .noAuto]),
        ]
    }()

    /// `table` as it is after `changes`.
    static func updated(_ table: GPT.Table, _ changes: [GPT.EntryChange] = changes) -> GPT.Table {
        var table = table
        for change in changes {
            var partition = table.partitions[change.index]
            partition.type = change.type ?? partition.type
            partition.uuid = change.uuid ?? partition.uuid
            partition.name = change.name ?? partition.name
            partition.attributes = change.attributes ?? partition.attributes
            table.partitions[change.index] = partition
        }
        return table
    }

    /// The table's used entries, numbered, as `readRecovering` and `readPrimary` return them.
    static func numbered(_ table: GPT.Table) -> [GPT.NumberedPartition] {
        table.partitions.enumerated().map { GPT.NumberedPartition(number: $0.offset + 1, partition: $0.element) }
    }

    static func contents(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

/// Partition tables as util-linux lists them: `sfdisk --json`, or for sectors of another
/// size, where this sfdisk has no --sector-size (util-linux < 2.39), `fdisk -b SIZE -l`.
enum UtilLinux {
    static let sfdisk = Tools.find("sfdisk")
    static let fdisk = Tools.find("fdisk")

    struct Listed: Equatable {
        var start: UInt64
        var type: String
        var uuid: String
        var name: String
        var attributes: String?
    }

    static func sfdiskHasSectorSize() throws -> Bool {
        guard let sfdisk else { return false }
        return try Tools.run(sfdisk, ["--help"]).stdoutText.contains("--sector-size")
    }

    static func list(_ path: String, sectorSize: UInt64) throws -> [Listed] {
        if try sectorSize == 512 || sfdiskHasSectorSize() {
            let sfdisk = try #require(sfdisk)
            let size = sectorSize == 512 ? [] : ["--sector-size", "\(sectorSize)"]
            let result = try Tools.run(sfdisk, size + ["--json", path])
            try #require(result.status == 0, "\(result.stderr)")
            let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])
            let table = try #require(json["partitiontable"] as? [String: Any])
            let partitions = try #require(table["partitions"] as? [[String: Any]])
            return partitions.map {
                Listed(
                    start: ($0["start"] as? NSNumber)?.uint64Value ?? 0, type: $0["type"] as? String ?? "",
                    uuid: $0["uuid"] as? String ?? "", name: $0["name"] as? String ?? "", attributes: $0["attrs"] as? String)
            }
        }
        let fdisk = try #require(fdisk)
        let result = try Tools.run(fdisk, ["-b", "\(sectorSize)", "-l", "-o", "Device,Start,Type-UUID,UUID,Name,Attrs", path])
        try #require(result.status == 0, "\(result.stderr)")
        let lines = result.stdoutText.split(separator: "\n").drop { !$0.hasPrefix("Device") }.dropFirst()
        return lines.map { line in
            let fields = line.split(separator: " ").map(String.init)
            return Listed(
                start: UInt64(fields[1]) ?? 0, type: fields[2], uuid: fields[3], name: fields[4],
                attributes: fields.count > 5 ? fields[5] : nil)
        }
    }

    /// fdisk's verify command with the given sector size: "No errors detected", and no
    /// copy reported corrupt.
    static func verify(_ path: String, sectorSize: UInt64) throws -> (ok: Bool, output: String) {
        let fdisk = try #require(fdisk)
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("fdisk-\(UUID().uuidString)")
        try Data("v\nq\n".utf8).write(to: script)
        defer { try? FileManager.default.removeItem(at: script) }
        let shell = try #require(Tools.find("sh"))
        let result = try Tools.run(shell, ["-c", "\"$0\" -b \"$1\" \"$2\" < \"$3\"", fdisk, "\(sectorSize)", path, script.path])
        let output = result.stdoutText + result.stderr
        return (output.contains("No errors detected") && !output.contains("corrupt"), output)
    }

    /// What `list` should show for `table`: sfdisk's uppercase GUIDs and "GUID:n" attributes.
    static func expected(_ table: GPT.Table) -> [Listed] {
        table.partitions.map { partition in
            let bits = (48..<64).filter { partition.attributes.rawValue & (1 << UInt64($0)) != 0 }
            return Listed(
                start: partition.firstLBA, type: partition.type.description.uppercased(),
                uuid: partition.uuid.description.uppercased(), name: partition.name,
                attributes: bits.isEmpty ? nil : "GUID:" + bits.map(String.init).joined(separator: ","))
        }
    }
}
