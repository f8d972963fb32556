import ByteCodec

extension Configure.LdCache {
    static let magic = Array("glibc-ld.so.cache".utf8)
    static let version = Array("1.1".utf8)
    static let headerSize = 48
    static let entrySize = 24
    static let extensionMagic: UInt32 = 0xeaa4_2174

    /// The cache file's bytes. Same entries and generator → same bytes.
    func encode(generator: String) -> [UInt8] {
        var table = StringTable()
        for entry in entries {
            table.add(entry.soname)
            table.add(entry.path)
        }
        let strings = table.finalize()
        let stringBase = UInt32(Self.headerSize + Self.entrySize * entries.count)
        var out: [UInt8] = []
        out.reserveCapacity(Int(stringBase) + strings.bytes.count + 64)
        out += Self.magic
        out += Self.version
        out.appendInteger(UInt32(entries.count), endianness: .little)  // nlibs
        out.appendInteger(UInt32(strings.bytes.count), endianness: .little)  // len_strings
        out += [2, 0, 0, 0]  // flags: cache_file_new_flags_endian_little; padding
        let extensionOffsetAt = out.count
        out.appendInteger(UInt32(0), endianness: .little)  // extension_offset, patched below
        out += [UInt8](repeating: 0, count: 12)  // unused[3]
        for entry in entries {
            out.appendInteger(UInt32(bitPattern: entry.flags), endianness: .little)  // flags
            out.appendInteger(stringBase + strings.offsets[entry.soname, default: 0], endianness: .little)  // key
            out.appendInteger(stringBase + strings.offsets[entry.path, default: 0], endianness: .little)  // value
            out.appendInteger(UInt32(0), endianness: .little)  // osversion_unused
            out.appendInteger(UInt64(0), endianness: .little)  // hwcap
        }
        out += strings.bytes
        while out.count % 4 != 0 { out.append(0) }
        let extensionOffset = UInt32(out.count)
        out.setInteger(extensionOffset, at: extensionOffsetAt, endianness: .little)
        let generatorBytes = Array(generator.utf8)
        out.appendInteger(Self.extensionMagic, endianness: .little)  // cache_extension.magic
        out.appendInteger(UInt32(1), endianness: .little)  // count
        out.appendInteger(UInt32(0), endianness: .little)  // tag: cache_extension_tag_generator
        out.appendInteger(UInt32(0), endianness: .little)  // flags
        out.appendInteger(extensionOffset + 8 + 16, endianness: .little)  // offset of the data
        out.appendInteger(UInt32(generatorBytes.count), endianness: .little)  // size
        out += generatorBytes
        return out
    }

    /// Reads a cache back (the round-trip check): entries in file order and the generator.
    static func decode(_ bytes: [UInt8]) -> (entries: [Entry], generator: String?)? {
        let fields = ByteReader(bytes, endianness: .little)
        guard bytes.count >= headerSize, Array(bytes[0..<17]) == magic, Array(bytes[17..<20]) == version,
              let count = try? fields.u32(at: 20), let extensionOffset = try? fields.u32(at: 32) else { return nil }
        func string(_ offset: UInt32) -> String? {
            let start = Int(offset)
            guard start < bytes.count, let end = bytes[start...].firstIndex(of: 0) else { return nil }
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }
        var entries: [Entry] = []
        for index in 0..<Int(count) {
            let base = headerSize + index * entrySize
            guard let flags = try? fields.u32(at: base), let key = try? fields.u32(at: base + 4),
                  let value = try? fields.u32(at: base + 8), let soname = string(key), let path = string(value) else { return nil }
            entries.append(Entry(soname: soname, path: path, flags: Int32(bitPattern: flags)))
        }
        var generator: String?
        let ext = Int(extensionOffset)
        if ext > 0, (try? fields.u32(at: ext)) == extensionMagic, let sections = try? fields.u32(at: ext + 4) {
            for index in 0..<Int(sections) {
                let at = ext + 8 + 16 * index
                guard let tag = try? fields.u32(at: at), let offset = try? fields.u32(at: at + 8),
                      let size = try? fields.u32(at: at + 12), Int(offset) + Int(size) <= bytes.count else { continue }
                if tag == 0 { generator = String(decoding: bytes[Int(offset)..<Int(offset + size)], as: UTF8.self) }
            }
        }
        return (entries, generator)
    }

    /// ldconfig's string table (glibc `elf/stringtable.c`): unique strings sorted so that a
    /// string that ends another follows it, then each such suffix points into the longer one.
    struct StringTable {
        private var strings: Set<String> = []

        mutating func add(_ string: String) { strings.insert(string) }

        func finalize() -> (bytes: [UInt8], offsets: [String: UInt32]) {
            // Compare reversed byte strings, larger byte first; on a common suffix the longer first.
            let sorted = strings.map { Array($0.utf8) }.sorted { left, right in
                for (l, r) in zip(left.reversed(), right.reversed()) where l != r { return l > r }
                return left.count > right.count
            }
            var offsets: [String: UInt32] = [:]
            var bytes: [UInt8] = []
            var previous: (bytes: [UInt8], offset: UInt32)?
            for string in sorted {
                let offset: UInt32
                if let previous, previous.bytes.count >= string.count, previous.bytes.suffix(string.count).elementsEqual(string) {
                    offset = previous.offset + UInt32(previous.bytes.count - string.count)
                } else {
                    offset = UInt32(bytes.count)
                    bytes += string
                    bytes.append(0)
                }
                offsets[String(decoding: string, as: UTF8.self)] = offset
                previous = (string, offset)
            }
            return (bytes, offsets)
        }
    }
}
