import ByteCodec

extension PE {
    /// A unified kernel image (UAPI.5, "Unified Kernel Image"): systemd-stub, a PE program
    /// that finds the kernel, initrd and command line in its own sections, with those
    /// sections appended.
    ///
    /// ```
    /// stub headers + section table (grown by one entry a part)
    /// stub sections (.text .reloc .data .dynamic .rela .dynsym .sbat .sdmagic), unchanged
    /// .linux .osrel .cmdline .initrd .uname   each at the next FileAlignment offset and the
    ///                                         next SectionAlignment RVA after the previous one
    /// ```
    ///
    /// What is dropped from the stub: a certificate table (the UKI is signed as a whole
    /// afterwards) and whatever follows the last section's data: systemd-stub 252 ships its
    /// COFF symbol table there, which no loader reads and the PE Format says an image should
    /// not have, and which would otherwise sit between the stub's sections and the new ones.
    public enum UKI {
        /// The sections a UKI may carry, in the order UAPI.5 lists them; `assemble(stub:parts:)`
        /// writes them in this order.
        public enum Section: String, CaseIterable, Sendable, Comparable {
            case linux = ".linux"
            case osrel = ".osrel"
            case cmdline = ".cmdline"
            case initrd = ".initrd"
            case ucode = ".ucode"
            case splash = ".splash"
            case dtb = ".dtb"
            case uname = ".uname"
            case sbat = ".sbat"
            case pcrsig = ".pcrsig"
            case pcrpkey = ".pcrpkey"

            /// Position in the canonical order.
            public var rank: Int { Self.allCases.firstIndex(of: self) ?? Self.allCases.count }

            public static func < (lhs: Section, rhs: Section) -> Bool { lhs.rank < rhs.rank }

            /// `parts` as `(name, data)` pairs in canonical order.
            public static func ordered(_ parts: [Section: [UInt8]]) -> [(name: String, data: [UInt8])] {
                parts.keys.sorted().compactMap { key in parts[key].map { (name: key.rawValue, data: $0) } }
            }
        }

        /// `stub` with `parts` appended in the canonical UAPI.5 order.
        public static func assemble(stub: [UInt8], parts: [Section: [UInt8]]) throws(PEError) -> [UInt8] {
            try assemble(stub: stub, sections: Section.ordered(parts))
        }

        /// `stub` with `sections` appended in the order given (PE Format, "Section Table"):
        ///
        /// - each section's PointerToRawData is the next multiple of FileAlignment and its data
        ///   is zero-padded to a multiple of FileAlignment (SizeOfRawData); VirtualSize is the
        ///   data's length; its VirtualAddress is the end of the section before it (or of the
        ///   stub's image, SizeOfImage) rounded up to SectionAlignment; Characteristics are
        ///   initialized data, readable (0x40000040);
        /// - NumberOfSections, SizeOfImage (rounded to SectionAlignment) and
        ///   SizeOfInitializedData grow; SizeOfHeaders grows too when the section table needs
        ///   it and the first section's data leaves room, otherwise this throws;
        /// - CheckSum is set to 0 ("not computed"; UEFI does not check it) and the certificate
        ///   table entry to empty.
        ///
        /// The result depends on the inputs alone. Names are 1 to 8 bytes, distinct from each
        /// other and from the stub's sections; no section may be empty.
        public static func assemble(stub: [UInt8], sections: [(name: String, data: [UInt8])]) throws(PEError) -> [UInt8] {
            let image = try Image(stub)
            let names = try checkedNames(sections.map(\.name), stub: image)
            for section in sections where section.data.isEmpty { throw .emptySection(section.name) }

            var out = try keptBytes(of: image)
            let tableEnd = image.sectionTableOffset + image.sections.count * PE.Section.size
            let sizeOfHeaders = try headerSize(of: image, forTableEnd: tableEnd + sections.count * PE.Section.size)
            out += [UInt8](repeating: 0, count: align(out.count, to: Int(image.fileAlignment)) - out.count)

            var virtualAddress = align(
                image.sections.map(\.virtualEnd).reduce(Int(image.sizeOfImage), max), to: Int(image.sectionAlignment))
            var initializedData = Int(image.sizeOfInitializedData)
            for (index, section) in sections.enumerated() {
                let rawSize = align(section.data.count, to: Int(image.fileAlignment))
                try fits("the file offset after section \(section.name)", out.count + rawSize)
                try fits("the RVA after section \(section.name)", virtualAddress + section.data.count)
                let entry = PE.Section(
                    nameBytes: names[index], virtualSize: UInt32(section.data.count),
                    virtualAddress: UInt32(virtualAddress), sizeOfRawData: UInt32(rawSize),
                    pointerToRawData: UInt32(out.count), characteristics: PE.Section.initializedReadOnlyData)
                out.replaceSubrange(
                    (tableEnd + index * PE.Section.size)..<(tableEnd + (index + 1) * PE.Section.size), with: entry.encoded())
                out += section.data
                out += [UInt8](repeating: 0, count: rawSize - section.data.count)
                virtualAddress = align(virtualAddress + section.data.count, to: Int(image.sectionAlignment))
                initializedData += rawSize
            }
            try fits("SizeOfInitializedData", initializedData)
            try fits("SizeOfImage", virtualAddress)

            let coff = image.coffHeaderOffset
            let optional = image.optionalHeaderOffset
            out.setInteger(UInt16(image.sections.count + sections.count), at: coff + Layout.numberOfSections, endianness: .little)
            out.setInteger(UInt32(virtualAddress), at: optional + Layout.sizeOfImage, endianness: .little)
            out.setInteger(UInt32(initializedData), at: optional + Layout.sizeOfInitializedData, endianness: .little)
            out.setInteger(UInt32(sizeOfHeaders), at: optional + Layout.sizeOfHeaders, endianness: .little)
            out.setInteger(UInt32(0), at: image.checkSumOffset, endianness: .little)
            if image.dataDirectories.count > PE.certificateTableIndex {
                out.setInteger(UInt64(0), at: image.dataDirectoryOffset(PE.certificateTableIndex), endianness: .little)
            }
            _ = try Image(out)  // what was written must read back
            return out
        }

        /// The stub's bytes up to the end of its last section's data (or its headers), with the
        /// COFF symbol table pointer cleared when the table was in what is cut off.
        private static func keptBytes(of image: Image) throws(PEError) -> [UInt8] {
            _ = try Authenticode.certificateTable(of: image)  // a damaged table means a damaged stub
            let end = image.sections.map(\.rawRange.upperBound).reduce(Int(image.sizeOfHeaders), max)
            var kept = Array(image.bytes[0..<end])
            if image.pointerToSymbolTable != 0 && Int(image.pointerToSymbolTable) >= end {
                kept.setInteger(UInt32(0), at: image.coffHeaderOffset + Layout.pointerToSymbolTable, endianness: .little)
                kept.setInteger(UInt32(0), at: image.coffHeaderOffset + Layout.numberOfSymbols, endianness: .little)
            }
            return kept
        }

        /// SizeOfHeaders for a section table ending at `tableEnd`: the stub's own when the
        /// table fits, else grown to the next FileAlignment multiple when that stays before
        /// every section's data and RVA. The header bytes the new entries take must be unused.
        private static func headerSize(of image: Image, forTableEnd tableEnd: Int) throws(PEError) -> Int {
            let oldTableEnd = image.sectionTableOffset + image.sections.count * PE.Section.size
            let firstData = image.sections.filter { $0.sizeOfRawData > 0 }.map { Int($0.pointerToRawData) }.min()
                ?? image.bytes.count
            let firstAddress = image.sections.map { Int($0.virtualAddress) }.min() ?? Int.max
            let size = max(Int(image.sizeOfHeaders), align(tableEnd, to: Int(image.fileAlignment)))
            guard tableEnd <= Int(image.sizeOfHeaders) || (size <= firstData && size <= firstAddress) else {
                throw .sectionTableFull(needed: tableEnd, sizeOfHeaders: Int(image.sizeOfHeaders), firstSectionData: firstData)
            }
            let free = image.bytes[oldTableEnd..<min(tableEnd, image.bytes.count)]
            if let used = free.firstIndex(where: { $0 != 0 }) {
                throw .invalidField(field: "header byte at offset \(used), after the section table", value: UInt64(free[used]),
                                    expected: "0: the bytes after the section table must be free for the new entries")
            }
            return tableEnd <= Int(image.sizeOfHeaders) ? Int(image.sizeOfHeaders) : size
        }

        /// The encoded names, refusing invalid ones and any that repeats or is already in the stub.
        private static func checkedNames(_ names: [String], stub: Image) throws(PEError) -> [[UInt8]] {
            var seen: Set<[UInt8]> = []
            var encoded: [[UInt8]] = []
            for name in names {
                let bytes = try PE.Section.encodedName(name)
                guard seen.insert(bytes).inserted, stub.sectionHeader(named: name) == nil else {
                    throw .duplicateSection(name)
                }
                encoded.append(bytes)
            }
            return encoded
        }

        private static func fits(_ what: String, _ value: Int) throws(PEError) {
            guard value <= Int(UInt32.max) else { throw .tooLarge(what: what, value: value, limit: Int(UInt32.max)) }
        }
    }
}
