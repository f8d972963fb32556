extension ELF {
    /// What an image build needs to know about one ELF object: its header, its program
    /// headers, the interpreter it asks for and its dynamic-linking names. Read lazily: the
    /// header, then the program header table, then the dynamic array and the strings it
    /// names — never the whole file.
    public struct Object: Sendable, Hashable, Codable {
        public var header: Header
        public var programHeaders: [ProgramHeader]
        /// PT_INTERP: the dynamic loader an executable asks for (`/lib64/ld-linux-x86-64.so.2`).
        public var interpreter: String?
        /// The dynamic array up to (not including) DT_NULL; empty for static objects.
        public var dynamicEntries: [DynamicEntry]
        /// DT_NEEDED, in the order the object lists them.
        public var needed: [String]
        /// DT_SONAME.
        public var soname: String?
        /// DT_RUNPATH as written (colon-separated, may hold `$ORIGIN`).
        public var runpath: String?
        /// DT_RPATH as written.
        public var rpath: String?

        /// True when the object has a dynamic array (a dynamically linked executable or a
        /// shared library); static executables and relocatable objects have none.
        public var isDynamic: Bool { !dynamicEntries.isEmpty }

        /// Limits that keep a hostile file from making the reader allocate or loop without end.
        /// They sit far above anything a real toolchain produces.
        public enum Limits {
            public static let programHeaderTableBytes = 4 << 20
            public static let sectionHeaderTableBytes = 16 << 20
            public static let dynamicBytes = 4 << 20
            /// PATH_MAX: longer interpreter paths and dynamic strings are refused.
            public static let stringBytes = 4096
            /// DT_NEEDED/DT_SONAME/DT_RUNPATH/DT_RPATH entries (real objects have tens), so a
            /// hostile dynamic array cannot make the reader fetch gigabytes of strings.
            public static let namedEntries = 4096
        }

        /// Parses an object held in memory.
        public init(bytes: [UInt8]) throws(ParseError) {
            try self.init(source: BufferSource(bytes))
        }

        /// Parses an object on disk, reading only the parts it needs.
        public init(path: String) throws(ParseError) {
            try self.init(source: try FileSource(path: path))
        }

        public init(source: some ByteSource) throws(ParseError) {
            header = try Header.read(from: source)
            programHeaders = try Self.readProgramHeaders(source, header)
            interpreter = nil
            dynamicEntries = []
            needed = []
            soname = nil
            runpath = nil
            rpath = nil

            if let interp = programHeaders.first(where: { $0.type == ProgramHeader.interpreter }) {
                guard interp.fileSize <= UInt64(Limits.stringBytes) else {
                    throw .tooLarge(what: "PT_INTERP size", value: interp.fileSize, limit: UInt64(Limits.stringBytes))
                }
                let bytes = try source.read(at: interp.offset, count: Int(interp.fileSize), what: "PT_INTERP")
                interpreter = String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }

            guard let (entries, strings) = try Self.readDynamic(source, header, programHeaders) else { return }
            dynamicEntries = entries
            let named = entries.filter {
                [DynamicEntry.needed, DynamicEntry.soname, DynamicEntry.runpath, DynamicEntry.rpath].contains($0.tag)
            }
            guard named.count <= Limits.namedEntries else {
                throw .tooLarge(what: "number of DT_NEEDED/DT_SONAME/DT_RUNPATH/DT_RPATH entries",
                                value: UInt64(named.count), limit: UInt64(Limits.namedEntries))
            }
            for entry in named {
                switch entry.tag {
                case DynamicEntry.needed: needed.append(try strings.string(at: entry.value, source, what: "DT_NEEDED"))
                case DynamicEntry.soname: soname = try strings.string(at: entry.value, source, what: "DT_SONAME")
                case DynamicEntry.runpath: runpath = try strings.string(at: entry.value, source, what: "DT_RUNPATH")
                case DynamicEntry.rpath: rpath = try strings.string(at: entry.value, source, what: "DT_RPATH")
                default: continue
                }
            }
        }

        // MARK: - Program and section headers

        private static func readProgramHeaders(_ source: some ByteSource, _ header: Header) throws(ParseError) -> [ProgramHeader] {
            var count = UInt64(header.programHeaderCount)
            if count == 0 || header.programHeaderOffset == 0 { return [] }
            // PN_XNUM: the real count lives in section header 0's sh_info.
            if header.programHeaderCount == 0xFFFF, let first = try readSectionHeaders(source, header, limit: 1).first {
                count = UInt64(first.info)
            }
            let entrySize = Int(header.programHeaderEntrySize)
            let minimum = ProgramHeader.size(of: header.elfClass)
            guard entrySize >= minimum else {
                throw .invalidHeaderSize(what: "e_phentsize", value: UInt64(entrySize), expected: UInt64(minimum))
            }
            let (total, overflow) = count.multipliedReportingOverflow(by: UInt64(entrySize))
            guard !overflow, total <= UInt64(Limits.programHeaderTableBytes) else {
                throw .tooLarge(what: "program header table size (e_phnum × e_phentsize)", value: overflow ? .max : total,
                                limit: UInt64(Limits.programHeaderTableBytes))
            }
            let bytes = try source.read(at: header.programHeaderOffset, count: Int(total), what: "program header table")
            let reader = FieldReader(bytes: bytes, endianness: header.endianness, elfClass: header.elfClass,
                                     what: "program header table", fileOffset: header.programHeaderOffset)
            var result: [ProgramHeader] = []
            result.reserveCapacity(Int(count))
            for index in 0..<Int(count) {
                result.append(try ProgramHeader.decode(reader, at: index * entrySize))
            }
            return result
        }

        private static func readSectionHeaders(_ source: some ByteSource, _ header: Header,
                                               limit: Int = .max) throws(ParseError) -> [SectionHeader] {
            let count = min(Int(header.sectionHeaderCount), limit)
            let wantsFirst = header.programHeaderCount == 0xFFFF && limit == 1
            guard header.sectionHeaderOffset != 0, count > 0 || wantsFirst else { return [] }
            let entrySize = Int(header.sectionHeaderEntrySize)
            let minimum = SectionHeader.size(of: header.elfClass)
            guard entrySize >= minimum else {
                throw .invalidHeaderSize(what: "e_shentsize", value: UInt64(entrySize), expected: UInt64(minimum))
            }
            let wanted = max(count, wantsFirst ? 1 : 0)
            let total = wanted * entrySize  // at most 65535 × 65535: no overflow on 64-bit Int
            guard total <= Limits.sectionHeaderTableBytes else {
                throw .tooLarge(what: "section header table size", value: UInt64(total),
                                limit: UInt64(Limits.sectionHeaderTableBytes))
            }
            let bytes = try source.read(at: header.sectionHeaderOffset, count: total, what: "section header table")
            let reader = FieldReader(bytes: bytes, endianness: header.endianness, elfClass: header.elfClass,
                                     what: "section header table", fileOffset: header.sectionHeaderOffset)
            var result: [SectionHeader] = []
            for index in 0..<wanted {
                result.append(try SectionHeader.decode(reader, at: index * entrySize))
            }
            return result
        }

        // MARK: - Dynamic array

        /// Where the dynamic strings live in the file.
        struct StringTable {
            var offset: UInt64
            var size: UInt64

            /// The NUL-terminated string at `index`, read in small chunks so a large table is
            /// never loaded whole.
            func string(at index: UInt64, _ source: some ByteSource, what: String) throws(ParseError) -> String {
                guard index < size else {
                    throw .tooLarge(what: "\(what) string offset", value: index, limit: size)
                }
                let start = offset + index  // offset + size was checked against the file size
                let available = Int(min(size - index, UInt64(Limits.stringBytes)))
                var collected: [UInt8] = []
                var position = 0
                while position < available {
                    let chunk = min(256, available - position)
                    let bytes = try source.read(at: start + UInt64(position), count: chunk, what: what)
                    if let nul = bytes.firstIndex(of: 0) {
                        collected += bytes[..<nul]
                        return String(decoding: collected, as: UTF8.self)
                    }
                    collected += bytes
                    position += chunk
                }
                throw .unterminatedString(what: what, offset: start)
            }
        }

        private static func readDynamic(_ source: some ByteSource, _ header: Header,
                                        _ segments: [ProgramHeader]) throws(ParseError) -> ([DynamicEntry], StringTable)? {
            let entrySize = DynamicEntry.size(of: header.elfClass)
            var dynamicOffset: UInt64
            var dynamicSize: UInt64
            var sectionStrings: StringTable?
            if let segment = segments.first(where: { $0.type == ProgramHeader.dynamic }) {
                dynamicOffset = segment.offset
                dynamicSize = segment.fileSize
            } else {
                let sections = try readSectionHeaders(source, header)
                guard let dynamic = sections.first(where: { $0.type == SectionHeader.dynamic }) else { return nil }
                dynamicOffset = dynamic.offset
                dynamicSize = dynamic.size
                if Int(dynamic.link) < sections.count, sections[Int(dynamic.link)].type == SectionHeader.stringTable {
                    let strtab = sections[Int(dynamic.link)]
                    try checkRange(offset: strtab.offset, count: Int(clamping: strtab.size), size: source.size,
                                   what: "dynamic string table section")
                    sectionStrings = StringTable(offset: strtab.offset, size: strtab.size)
                }
            }
            guard dynamicSize <= UInt64(Limits.dynamicBytes) else {
                throw .tooLarge(what: "dynamic array size", value: dynamicSize, limit: UInt64(Limits.dynamicBytes))
            }
            let count = Int(dynamicSize) / entrySize
            let bytes = try source.read(at: dynamicOffset, count: count * entrySize, what: "dynamic array")
            let reader = FieldReader(bytes: bytes, endianness: header.endianness, elfClass: header.elfClass,
                                     what: "dynamic array", fileOffset: dynamicOffset)
            var entries: [DynamicEntry] = []
            for index in 0..<count {
                let entry = try DynamicEntry.decode(reader, at: index * entrySize)
                if entry.tag == DynamicEntry.null { break }
                entries.append(entry)
            }
            let wantsStrings = entries.contains {
                [DynamicEntry.needed, DynamicEntry.soname, DynamicEntry.runpath, DynamicEntry.rpath].contains($0.tag)
            }
            guard wantsStrings else { return (entries, StringTable(offset: 0, size: 0)) }
            if let sectionStrings { return (entries, sectionStrings) }
            return (entries, try stringTable(entries, segments, fileSize: source.size))
        }

        /// DT_STRTAB is a virtual address: find the PT_LOAD segment that maps it and turn it
        /// into a file offset. DT_STRSZ bounds the table; without it, the segment's end does.
        private static func stringTable(_ entries: [DynamicEntry], _ segments: [ProgramHeader],
                                        fileSize: UInt64) throws(ParseError) -> StringTable {
            guard let address = entries.first(where: { $0.tag == DynamicEntry.stringTable })?.value else {
                throw .unmappedAddress(what: "DT_STRTAB (missing)", address: 0)
            }
            guard let segment = segments.first(where: { $0.fileOffset(of: address) != nil }),
                  let offset = segment.fileOffset(of: address) else {
                throw .unmappedAddress(what: "DT_STRTAB", address: address)
            }
            let segmentRemaining = segment.fileSize - (address - segment.virtualAddress)
            let declared = entries.first(where: { $0.tag == DynamicEntry.stringTableSize })?.value
            let size = min(declared ?? segmentRemaining, segmentRemaining)
            guard offset <= fileSize else {
                throw .truncated(what: "dynamic string table", offset: offset, needed: size, fileSize: fileSize)
            }
            // A table running past the end of a truncated file is cut at the end; strings in
            // the part that is present still read, the others fail on their own.
            return StringTable(offset: offset, size: min(size, fileSize - offset))
        }
    }
}
