import ByteCodec

extension PE {
    /// A data directory entry: an RVA and a size, except for the certificate table, whose
    /// "VirtualAddress" is a file offset (PE Format, "The Attribute Certificate Table").
    public struct DataDirectory: Sendable, Hashable {
        public var virtualAddress: UInt32
        public var size: UInt32

        /// An entry with a zero address or size describes nothing (the kernel's
        /// `pefile_parse_binary` treats either as "unsigned").
        public var isEmpty: Bool { virtualAddress == 0 || size == 0 }
    }

    /// A parsed PE32+ image: its headers, data directories and section table, checked against
    /// the file (see `init(_:)` for what is checked). The bytes are kept, so section data and
    /// the Authenticode regions are read from the same buffer that was checked.
    public struct Image: Sendable {
        /// The whole file.
        public let bytes: [UInt8]
        /// `e_lfanew`: where "PE\0\0" is.
        public let peHeaderOffset: Int
        /// COFF Machine (0x8664 for x86-64).
        public let machine: UInt16
        /// COFF Characteristics (IMAGE_FILE_* flags).
        public let characteristics: UInt16
        /// COFF PointerToSymbolTable: 0 in a clean image (COFF debug symbols are deprecated),
        /// but some EFI binaries, systemd-stub 252 among them, still carry a table after their
        /// last section.
        public let pointerToSymbolTable: UInt32
        public let numberOfSymbols: UInt32
        public let sizeOfOptionalHeader: UInt16
        public let sizeOfCode: UInt32
        public let sizeOfInitializedData: UInt32
        public let sectionAlignment: UInt32
        public let fileAlignment: UInt32
        public let sizeOfImage: UInt32
        public let sizeOfHeaders: UInt32
        public let checkSum: UInt32
        /// The NumberOfRvaAndSizes entries that follow the optional header's fixed part.
        public let dataDirectories: [DataDirectory]
        /// The section table, in table order.
        public let sections: [Section]

        /// Parse and check `bytes`. Beyond the signatures and Magic, the reader checks that
        /// e_lfanew, the optional header, the data directories and the section table lie in
        /// the file; that the section table ends within SizeOfHeaders and SizeOfHeaders within
        /// the file; that both alignments are powers of two, FileAlignment at most 64 KiB
        /// (`maximumFileAlignment`); that every section's data lies in
        /// the file; and that a certificate table lies after the headers and in the file.
        public init(_ bytes: [UInt8]) throws(PEError) {
            self.bytes = bytes
            let file = FieldReader(bytes)
            guard try file.bytes("DOS header magic", at: 0, count: 2) == [0x4D, 0x5A] else {
                throw .badSignature(what: "the DOS header magic", found: Self.quoted(bytes.prefix(2)), expected: "\"MZ\"")
            }
            _ = try file.bytes("DOS header", at: 0, count: Layout.dosHeaderSize)
            let lfanew = try file.u32("e_lfanew", at: Layout.lfanewOffset)
            guard lfanew >= Layout.dosHeaderSize else {
                throw .invalidField(field: "e_lfanew", value: UInt64(lfanew), expected: "at least 64, after the DOS header")
            }
            peHeaderOffset = Int(lfanew)
            guard try file.bytes("PE signature", at: peHeaderOffset, count: 4) == [0x50, 0x45, 0, 0] else {
                throw .badSignature(
                    what: "the signature at e_lfanew \(lfanew)",
                    found: Self.quoted(bytes[peHeaderOffset..<(peHeaderOffset + 4)]), expected: "\"PE\\0\\0\"")
            }
            let coff = peHeaderOffset + Layout.signatureSize
            machine = try file.u16("COFF Machine", at: coff)
            let sectionCount = Int(try file.u16("NumberOfSections", at: coff + Layout.numberOfSections))
            pointerToSymbolTable = try file.u32("PointerToSymbolTable", at: coff + Layout.pointerToSymbolTable)
            numberOfSymbols = try file.u32("NumberOfSymbols", at: coff + Layout.numberOfSymbols)
            sizeOfOptionalHeader = try file.u16("SizeOfOptionalHeader", at: coff + Layout.sizeOfOptionalHeader)
            characteristics = try file.u16("COFF Characteristics", at: coff + Layout.characteristics)
            guard sectionCount <= PE.maximumSectionCount else {
                throw .invalidField(field: "NumberOfSections", value: UInt64(sectionCount),
                                    expected: "at most \(PE.maximumSectionCount), the Windows loader's limit")
            }

            let optional = coff + Layout.coffHeaderSize
            let magic = try file.u16("optional header Magic", at: optional)
            guard magic == PE.pe32PlusMagic else {
                throw magic == PE.pe32Magic ? .pe32NotSupported : .unknownOptionalHeaderMagic(magic)
            }
            guard Int(sizeOfOptionalHeader) >= Layout.optionalHeaderFixedSize else {
                throw .invalidField(field: "SizeOfOptionalHeader", value: UInt64(sizeOfOptionalHeader),
                                    expected: "at least \(Layout.optionalHeaderFixedSize) for a PE32+ image")
            }
            _ = try file.bytes("optional header", at: optional, count: Int(sizeOfOptionalHeader))
            sizeOfCode = try file.u32("SizeOfCode", at: optional + Layout.sizeOfCode)
            sizeOfInitializedData = try file.u32("SizeOfInitializedData", at: optional + Layout.sizeOfInitializedData)
            sectionAlignment = try Self.alignment("SectionAlignment", try file.u32("SectionAlignment", at: optional + Layout.sectionAlignment))
            fileAlignment = try Self.alignment(
                "FileAlignment", try file.u32("FileAlignment", at: optional + Layout.fileAlignment), maximum: PE.maximumFileAlignment)
            sizeOfImage = try file.u32("SizeOfImage", at: optional + Layout.sizeOfImage)
            sizeOfHeaders = try file.u32("SizeOfHeaders", at: optional + Layout.sizeOfHeaders)
            checkSum = try file.u32("CheckSum", at: optional + Layout.checkSum)
            dataDirectories = try Self.dataDirectories(file, optional: optional, size: Int(sizeOfOptionalHeader))

            let table = optional + Int(sizeOfOptionalHeader)
            sections = try Self.sections(file, table: table, count: sectionCount, sizeOfHeaders: Int(sizeOfHeaders))
            try Self.checkCertificateTable(dataDirectories, sizeOfHeaders: Int(sizeOfHeaders), fileSize: bytes.count)
        }

        // MARK: Field offsets, for writers and the Authenticode hash

        var optionalHeaderOffset: Int { peHeaderOffset + Layout.signatureSize + Layout.coffHeaderSize }
        var coffHeaderOffset: Int { peHeaderOffset + Layout.signatureSize }
        var checkSumOffset: Int { optionalHeaderOffset + Layout.checkSum }
        var sectionTableOffset: Int { optionalHeaderOffset + Int(sizeOfOptionalHeader) }
        func dataDirectoryOffset(_ index: Int) -> Int {
            optionalHeaderOffset + Layout.dataDirectories + index * Layout.dataDirectorySize
        }

        /// The certificate table's entry, nil when the image has none or it is empty.
        public var certificateTable: DataDirectory? {
            guard dataDirectories.count > PE.certificateTableIndex else { return nil }
            let entry = dataDirectories[PE.certificateTableIndex]
            return entry.isEmpty ? nil : entry
        }

        /// The first section called `name`.
        public func sectionHeader(named name: String) -> Section? {
            sections.first { $0.hasName(name) }
        }

        /// The data of the first section called `name` as the file stores it, up to its
        /// VirtualSize: the payload of `.cmdline`, `.linux`, `.initrd`, `.osrel`, `.uname`
        /// without the zero padding up to FileAlignment. A section whose VirtualSize is larger
        /// than its raw data (zero-filled in memory) gives only the raw data; one with
        /// VirtualSize 0 gives all of it.
        public func section(named name: String) -> [UInt8]? {
            guard let section = sectionHeader(named: name) else { return nil }
            let raw = section.rawRange
            let length = section.virtualSize == 0 ? raw.count : min(raw.count, Int(section.virtualSize))
            return Array(bytes[raw.lowerBound..<(raw.lowerBound + length)])
        }

        /// A UKI's `.cmdline` section as text, up to a NUL if it has one; nil without the section.
        public var commandLine: String? {
            section(named: ".cmdline").map { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }

        // MARK: Checks

        private static func alignment(_ field: String, _ value: UInt32, maximum: UInt32 = .max) throws(PEError) -> UInt32 {
            guard value != 0, value & (value - 1) == 0, value <= maximum else {
                let most = maximum == .max ? "" : " up to \(maximum)"
                throw .invalidField(field: field, value: UInt64(value), expected: "a power of two\(most)")
            }
            return value
        }

        private static func dataDirectories(_ file: FieldReader, optional: Int, size: Int) throws(PEError) -> [DataDirectory] {
            let count = try file.u32("NumberOfRvaAndSizes", at: optional + Layout.numberOfRvaAndSizes)
            let room = (size - Layout.optionalHeaderFixedSize) / Layout.dataDirectorySize
            guard Int(count) <= room else {
                throw .invalidField(field: "NumberOfRvaAndSizes", value: UInt64(count),
                                    expected: "at most \(room), the entries SizeOfOptionalHeader \(size) holds")
            }
            var directories: [DataDirectory] = []
            for index in 0..<Int(count) {
                let offset = optional + Layout.dataDirectories + index * Layout.dataDirectorySize
                directories.append(DataDirectory(
                    virtualAddress: try file.u32("data directory \(index)", at: offset),
                    size: try file.u32("data directory \(index)", at: offset + 4)))
            }
            return directories
        }

        private static func sections(_ file: FieldReader, table: Int, count: Int, sizeOfHeaders: Int) throws(PEError) -> [Section] {
            let tableEnd = table + count * Section.size
            _ = try file.bytes("section table of \(count) entries", at: table, count: tableEnd - table)
            guard tableEnd <= sizeOfHeaders, sizeOfHeaders <= file.count else {
                throw .invalidField(
                    field: "SizeOfHeaders", value: UInt64(sizeOfHeaders),
                    expected: "at least \(tableEnd) (the end of the section table) and at most the file size \(file.count)")
            }
            var sections: [Section] = []
            for index in 0..<count {
                let section = try file.section(at: table + index * Section.size, index: index)
                guard section.rawRange.upperBound <= file.count else {
                    throw .sectionOutsideFile(section: section.name, offset: section.pointerToRawData,
                                              size: section.sizeOfRawData, fileSize: file.count)
                }
                sections.append(section)
            }
            return sections
        }

        /// Where the kernel's `pefile_parse_binary` looks for the table: after the headers and
        /// inside the file.
        private static func checkCertificateTable(_ directories: [DataDirectory], sizeOfHeaders: Int, fileSize: Int) throws(PEError) {
            guard directories.count > PE.certificateTableIndex else { return }
            let entry = directories[PE.certificateTableIndex]
            guard !entry.isEmpty else { return }
            guard Int(entry.virtualAddress) >= sizeOfHeaders else {
                throw .invalidCertificateTable(offset: entry.virtualAddress, size: entry.size,
                                               problem: "starts inside the headers (SizeOfHeaders \(sizeOfHeaders))")
            }
            guard Int(entry.virtualAddress) + Int(entry.size) <= fileSize else {
                throw .invalidCertificateTable(offset: entry.virtualAddress, size: entry.size,
                                               problem: "runs past the end of the \(fileSize)-byte file")
            }
        }

        static func quoted(_ bytes: ArraySlice<UInt8>) -> String {
            "\"" + bytes.map { $0 >= 0x20 && $0 < 0x7F ? String(UnicodeScalar($0)) : "\\x" + Hex.encode($0, digits: 2) }.joined() + "\""
        }
    }

    /// A little-endian `ByteReader` whose range errors become `PEError.truncated` naming the field.
    struct FieldReader {
        let reader: ByteReader
        init(_ bytes: [UInt8]) { reader = ByteReader(bytes, endianness: .little) }
        var count: Int { reader.count }

        func u16(_ what: String, at offset: Int) throws(PEError) -> UInt16 {
            do { return try reader.u16(at: offset) } catch { throw truncated(what, offset, 2) }
        }

        func u32(_ what: String, at offset: Int) throws(PEError) -> UInt32 {
            do { return try reader.u32(at: offset) } catch { throw truncated(what, offset, 4) }
        }

        func bytes(_ what: String, at offset: Int, count: Int) throws(PEError) -> ArraySlice<UInt8> {
            do { return try reader.bytes(at: offset, count: count) } catch { throw truncated(what, offset, count) }
        }

        func section(at offset: Int, index: Int) throws(PEError) -> Section {
            do { return try Section.decode(reader, at: offset) } catch {
                throw truncated("section table entry \(index)", offset, Section.size)
            }
        }

        private func truncated(_ what: String, _ offset: Int, _ needed: Int) -> PEError {
            .truncated(what: what, offset: offset, needed: needed, fileSize: reader.count)
        }
    }
}
