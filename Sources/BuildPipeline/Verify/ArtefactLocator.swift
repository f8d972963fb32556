import Bundle
import EROFS
import Foundation
import GPT
import PE

/// What lies at a byte of a build output, in the output's own terms.
enum ArtefactLocator {
    static func describe(name: String, offset: UInt64, first: String, second: String) throws -> String {
        if name.hasSuffix(".img") && name != "initrd.img" { return try diskImage(first, second, offset: offset) }
        if name.hasSuffix(".bundle") { return try bundle(first, offset: offset) }
        if name.hasSuffix(".efi") { return try peImage(first, offset: offset) }
        if name.hasSuffix(".json") || name.hasSuffix(".txt") || name.hasSuffix(".lock") {
            return try textLine(first, second, offset: offset)
        }
        return "byte \(offset) of the file"
    }

    /// The partition holding the first differing byte, then every partition that differs with
    /// its own first differing byte: a changed root hash changes the GPT (the PARTUUIDs come
    /// from it) before the file that changed it, which the root partition's line names.
    static func diskImage(_ first: String, _ second: String, offset: UInt64) throws -> String {
        var parts = [try partitionByte(first, offset: offset)]
        for partition in try GPT.read(path: first).partitions where offset < partition.offset || offset - partition.offset >= partition.size {
            guard let at = try ReproducibilityCheck.firstDifference(first, second, from: partition.offset, length: partition.size) else { continue }
            parts.append("from byte \(at): " + (try partitionByte(first, offset: at)))
        }
        return parts.joined(separator: "; ")
    }

    /// The partition holding the byte; inside a root partition, the EROFS path.
    static func partitionByte(_ path: String, offset: UInt64) throws -> String {
        let table = try GPT.read(path: path)
        guard let partition = table.partitions.first(where: { offset >= $0.offset && offset - $0.offset < $0.size }) else {
            return offset < 34 * 512 ? "the GPT (protective MBR, header or entries)" : "outside every partition (the backup GPT or padding)"
        }
        let within = offset - partition.offset
        let type = GPT.PartitionType.name(of: partition.type) ?? "\(partition.type)"
        let label = "partition \(partition.name.isEmpty ? "(unnamed)" : partition.name) (\(type)), byte \(within)"
        guard partition.type == GPT.PartitionType.root else { return label }
        let reader = try EROFS.Reader(path: path, offset: partition.offset)
        return label + ": " + (try reader.locate(within))
    }

    /// The bundle member holding the byte (`UpdateBundle.Reader.members`).
    static func bundle(_ path: String, offset: UInt64) throws -> String {
        for member in try UpdateBundle.Reader(path: path).members where offset < member.end {
            return offset < member.dataOffset ? "the tar header of member \(member.name)"
                : "member \(member.name), byte \(offset - member.dataOffset) of it"
        }
        return "the end-of-archive blocks"
    }

    /// The PE section (or headers) holding the byte.
    static func peImage(_ path: String, offset: UInt64) throws -> String {
        let image = try PE.Image([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        for section in image.sections
        where offset >= UInt64(section.pointerToRawData) && offset - UInt64(section.pointerToRawData) < UInt64(section.sizeOfRawData) {
            return "section \(section.name), byte \(offset - UInt64(section.pointerToRawData)) of it"
        }
        return "the PE headers or the certificate table"
    }

    /// The line of a text output, from both builds.
    static func textLine(_ first: String, _ second: String, offset: UInt64) throws -> String {
        func line(_ path: String) throws -> (number: Int, text: String) {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let cut = min(Int(offset), bytes.count)
            let number = bytes[..<cut].filter { $0 == 0x0A }.count + 1
            let start = bytes[..<cut].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
            let end = bytes[cut...].firstIndex(of: 0x0A) ?? bytes.count
            return (number, String(decoding: bytes[start..<end], as: UTF8.self).trimmingCharacters(in: .whitespaces))
        }
        let (number, a) = try line(first)
        let (_, b) = try line(second)
        return "line \(number): \"\(a.prefix(120))\" against \"\(b.prefix(120))\""
    }
}
