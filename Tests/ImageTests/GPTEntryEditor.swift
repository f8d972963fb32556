import Foundation

/// Edits partition entries of an image's GPT in place, both copies, with every CRC fixed:
/// a table that passes its checksums but says what an attacker wants (independently of the
/// GPT module, whose writer refuses such tables).
struct GPTEntryEditor {
    let path: String
    var primaryHeader: [UInt8]
    var backupHeader: [UInt8]
    var entries: [UInt8]
    let lastLBA: UInt64

    init(path: String) throws {
        self.path = path
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64 ?? 0
        lastLBA = size / 512 - 1
        primaryHeader = try Self.read(path, at: 512, count: 512)
        backupHeader = try Self.read(path, at: lastLBA * 512, count: 512)
        entries = try Self.read(path, at: 1024, count: 128 * 128)
    }

    /// Entry `index` (from 0): its type GUID bytes (mixed-endian, as stored), LBAs and name.
    mutating func set(_ index: Int, type: [UInt8]? = nil, firstLBA: UInt64? = nil, lastLBA: UInt64? = nil, name: String? = nil) {
        let base = index * 128
        if let type { entries.replaceSubrange(base..<(base + 16), with: type) }
        if let firstLBA { put(firstLBA, at: base + 32) }
        if let lastLBA { put(lastLBA, at: base + 40) }
        if let name {
            let units = Array(name.utf16.prefix(36))
            let bytes = units.flatMap { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
            entries.replaceSubrange((base + 56)..<(base + 128), with: bytes + [UInt8](repeating: 0, count: 72 - bytes.count))
        }
    }

    func type(of index: Int) -> [UInt8] { Array(entries[(index * 128)..<(index * 128 + 16)]) }
    func lba(_ index: Int, last: Bool = false) -> UInt64 {
        let at = index * 128 + (last ? 40 : 32)
        return (0..<8).reduce(UInt64(0)) { $0 | UInt64(entries[at + $1]) << (8 * UInt64($1)) }
    }
    /// Entry `index` copied from entry `other` (a new partition is a copy of one edited).
    mutating func copy(_ other: Int, to index: Int) {
        entries.replaceSubrange((index * 128)..<(index * 128 + 128), with: entries[(other * 128)..<(other * 128 + 128)])
    }

    private mutating func put(_ value: UInt64, at offset: Int) {
        for byte in 0..<8 { entries[offset + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(byte))) }
    }

    /// Writes both entry arrays and both headers, the array CRC and header CRCs recomputed.
    func commit() throws {
        let arrayCRC = Self.crc32(entries)
        var headers = [primaryHeader, backupHeader]
        for index in headers.indices {
            Self.store(arrayCRC, in: &headers[index], at: 88)
            Self.store(0, in: &headers[index], at: 16)
            Self.store(Self.crc32(Array(headers[index][0..<92])), in: &headers[index], at: 16)
        }
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        for (offset, bytes) in [(UInt64(512), headers[0]), (1024, entries), ((lastLBA - 32) * 512, entries), (lastLBA * 512, headers[1])] {
            try handle.seek(toOffset: offset)
            handle.write(Data(bytes))
        }
    }

    static func store(_ value: UInt32, in bytes: inout [UInt8], at offset: Int) {
        for byte in 0..<4 { bytes[offset + byte] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(byte))) }
    }

    static func read(_ path: String, at offset: UInt64, count: Int) throws -> [UInt8] {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        return [UInt8](try handle.read(upToCount: count) ?? Data())
    }

    /// CRC-32 (IEEE 802.3, reflected), as UEFI uses it.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
