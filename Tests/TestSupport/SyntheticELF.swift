/// Builds small, valid ELF objects of any class and byte order, so tests can cover
/// combinations this machine has no compiler for (big-endian, AArch64...) and then damage
/// them on purpose. Written field by field like the reader, but independently of it.
public struct SyntheticELF {
    public var is64 = true
    public var littleEndian = true
    public var machine: UInt16 = 62
    public var type: UInt16 = 3
    public var osABI: UInt8 = 0
    public var entry: UInt64 = 0x1040
    public var interpreter: String?
    public var needed: [String] = []
    public var soname: String?
    public var runpath: String?
    public var rpath: String?

    public static let base: UInt64 = 0x400000

    public init() {}


    private func put(_ value: UInt64, width: Int, into bytes: inout [UInt8], at offset: Int) {
        for index in 0..<width {
            let shift = littleEndian ? index * 8 : (width - 1 - index) * 8
            bytes[offset + index] = UInt8(truncatingIfNeeded: value >> UInt64(shift))
        }
    }

    public func build() -> [UInt8] {
        let headerSize = is64 ? 64 : 52
        let phentsize = is64 ? 56 : 32
        let dynEntrySize = is64 ? 16 : 8
        let word = is64 ? 8 : 4

        // String table: a leading NUL, then every name.
        var strtab: [UInt8] = [0]
        func add(_ string: String) -> UInt64 {
            let offset = UInt64(strtab.count)
            strtab += Array(string.utf8) + [0]
            return offset
        }
        var dynamic: [(Int64, UInt64)] = needed.map { (1, add($0)) }
        if let soname { dynamic.append((14, add(soname))) }
        if let runpath { dynamic.append((29, add(runpath))) }
        if let rpath { dynamic.append((15, add(rpath))) }

        let phnum = 2 + (interpreter == nil ? 0 : 1)
        let phoff = headerSize
        let interpOffset = phoff + phnum * phentsize
        let interpBytes: [UInt8] = interpreter.map { Array($0.utf8) + [0] } ?? []
        let strtabOffset = interpOffset + interpBytes.count
        var dynamicOffset = strtabOffset + strtab.count
        dynamicOffset = (dynamicOffset + 7) & ~7
        dynamic.append((5, Self.base + UInt64(strtabOffset)))
        dynamic.append((10, UInt64(strtab.count)))
        dynamic.append((0, 0))
        let total = dynamicOffset + dynamic.count * dynEntrySize

        var bytes = [UInt8](repeating: 0, count: total)
        bytes[0...3] = [0x7F, 0x45, 0x4C, 0x46]
        bytes[4] = is64 ? 2 : 1
        bytes[5] = littleEndian ? 1 : 2
        bytes[6] = 1
        bytes[7] = osABI
        put(UInt64(type), width: 2, into: &bytes, at: 16)
        put(UInt64(machine), width: 2, into: &bytes, at: 18)
        put(1, width: 4, into: &bytes, at: 20)
        put(entry, width: word, into: &bytes, at: 24)
        put(UInt64(phoff), width: word, into: &bytes, at: 24 + word)
        put(0, width: word, into: &bytes, at: 24 + 2 * word)  // no section headers
        let after = 24 + 3 * word
        put(UInt64(headerSize), width: 2, into: &bytes, at: after + 4)
        put(UInt64(phentsize), width: 2, into: &bytes, at: after + 6)
        put(UInt64(phnum), width: 2, into: &bytes, at: after + 8)
        put(UInt64(is64 ? 64 : 40), width: 2, into: &bytes, at: after + 10)

        var segments: [(type: UInt32, offset: Int, size: Int)] = [(1, 0, total)]
        if interpreter != nil { segments.append((3, interpOffset, interpBytes.count)) }
        segments.append((2, dynamicOffset, dynamic.count * dynEntrySize))
        for (index, segment) in segments.enumerated() {
            let at = phoff + index * phentsize
            let vaddr = Self.base + UInt64(segment.offset)
            put(UInt64(segment.type), width: 4, into: &bytes, at: at)
            if is64 {
                put(4, width: 4, into: &bytes, at: at + 4)
                put(UInt64(segment.offset), width: 8, into: &bytes, at: at + 8)
                put(vaddr, width: 8, into: &bytes, at: at + 16)
                put(vaddr, width: 8, into: &bytes, at: at + 24)
                put(UInt64(segment.size), width: 8, into: &bytes, at: at + 32)
                put(UInt64(segment.size), width: 8, into: &bytes, at: at + 40)
                put(8, width: 8, into: &bytes, at: at + 48)
            } else {
                put(UInt64(segment.offset), width: 4, into: &bytes, at: at + 4)
                put(vaddr, width: 4, into: &bytes, at: at + 8)
                put(vaddr, width: 4, into: &bytes, at: at + 12)
                put(UInt64(segment.size), width: 4, into: &bytes, at: at + 16)
                put(UInt64(segment.size), width: 4, into: &bytes, at: at + 20)
                put(4, width: 4, into: &bytes, at: at + 24)
                put(4, width: 4, into: &bytes, at: at + 28)
            }
        }
        bytes[interpOffset..<(interpOffset + interpBytes.count)] = interpBytes[...]
        bytes[strtabOffset..<(strtabOffset + strtab.count)] = strtab[...]
        for (index, entry) in dynamic.enumerated() {
            let at = dynamicOffset + index * dynEntrySize
            put(UInt64(bitPattern: entry.0), width: word, into: &bytes, at: at)
            put(entry.1, width: word, into: &bytes, at: at + word)
        }
        return bytes
    }

    /// Offsets of interesting fields, for tests that damage them.
    public var programHeaderCountOffset: Int { is64 ? 56 : 44 }
    public var programHeaderOffsetOffset: Int { is64 ? 32 : 28 }
}
