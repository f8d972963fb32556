import ByteCodec

extension PE {
    /// One 40-byte section table entry (`IMAGE_SECTION_HEADER`, PE Format "Section Table"):
    ///
    /// ```
    /// +0  Name[8]               NUL-padded; no terminating NUL when 8 bytes long
    /// +8  VirtualSize           bytes in memory (more than SizeOfRawData: zero-filled)
    /// +12 VirtualAddress        RVA, a multiple of SectionAlignment
    /// +16 SizeOfRawData         bytes in the file, a multiple of FileAlignment
    /// +20 PointerToRawData      file offset, a multiple of FileAlignment
    /// +24 PointerToRelocations  0 in images
    /// +28 PointerToLinenumbers  0 (COFF line numbers are deprecated)
    /// +32 NumberOfRelocations   u16, 0 in images
    /// +34 NumberOfLinenumbers   u16
    /// +36 Characteristics       IMAGE_SCN_* flags
    /// ```
    public struct Section: Sendable, Hashable {
        /// The name as stored, without NUL padding (".text", ".linux", ...).
        public var name: String
        public var virtualSize: UInt32
        public var virtualAddress: UInt32
        public var sizeOfRawData: UInt32
        public var pointerToRawData: UInt32
        public var characteristics: UInt32
        /// The 8 name bytes as stored, NUL-padded: the reader compares these, so a name that is
        /// not valid UTF-8 still matches only itself.
        public var nameBytes: [UInt8]
        /// The fields a UKI writer leaves 0 but a reader must keep.
        var pointerToRelocations: UInt32 = 0
        var pointerToLinenumbers: UInt32 = 0
        var numberOfRelocations: UInt16 = 0
        var numberOfLinenumbers: UInt16 = 0

        public static let size = Layout.sectionHeaderSize

        /// `IMAGE_SCN_CNT_INITIALIZED_DATA | IMAGE_SCN_MEM_READ`: what every UKI section is.
        public static let initializedReadOnlyData: UInt32 = 0x4000_0040

        /// A new section's entry; `nameBytes` (at most 8) must come from `encodedName`.
        init(nameBytes: [UInt8], virtualSize: UInt32, virtualAddress: UInt32, sizeOfRawData: UInt32,
             pointerToRawData: UInt32, characteristics: UInt32) {
            self.nameBytes = nameBytes + [UInt8](repeating: 0, count: max(0, 8 - nameBytes.count))
            self.name = Self.decodeName(nameBytes)
            self.virtualSize = virtualSize
            self.virtualAddress = virtualAddress
            self.sizeOfRawData = sizeOfRawData
            self.pointerToRawData = pointerToRawData
            self.characteristics = characteristics
        }

        /// Reads the entry at `offset` of `reader`'s buffer.
        static func decode(_ reader: ByteReader, at offset: Int) throws(ByteCodecError) -> Section {
            let nameBytes = Array(try reader.bytes(at: offset, count: 8))
            var section = Section(
                nameBytes: nameBytes,
                virtualSize: try reader.u32(at: offset + 8),
                virtualAddress: try reader.u32(at: offset + 12),
                sizeOfRawData: try reader.u32(at: offset + 16),
                pointerToRawData: try reader.u32(at: offset + 20),
                characteristics: try reader.u32(at: offset + 36))
            section.pointerToRelocations = try reader.u32(at: offset + 24)
            section.pointerToLinenumbers = try reader.u32(at: offset + 28)
            section.numberOfRelocations = try reader.u16(at: offset + 32)
            section.numberOfLinenumbers = try reader.u16(at: offset + 34)
            return section
        }

        /// The 40 bytes of the entry.
        func encoded() -> [UInt8] {
            var out = nameBytes
            out.reserveCapacity(Self.size)
            for field in [virtualSize, virtualAddress, sizeOfRawData, pointerToRawData, pointerToRelocations,
                          pointerToLinenumbers] {
                out.appendInteger(field, endianness: .little)
            }
            out.appendInteger(numberOfRelocations, endianness: .little)
            out.appendInteger(numberOfLinenumbers, endianness: .little)
            out.appendInteger(characteristics, endianness: .little)
            return out
        }

        /// The bytes of the file a loader copies for this section: SizeOfRawData from
        /// PointerToRawData (0 when SizeOfRawData is 0).
        var rawRange: Range<Int> {
            let start = Int(pointerToRawData)
            return sizeOfRawData == 0 ? start..<start : start..<(start + Int(sizeOfRawData))
        }

        /// The section's end in memory: the loader maps max(VirtualSize, SizeOfRawData) bytes
        /// (linkers size the image by either), so both count.
        var virtualEnd: Int { Int(virtualAddress) + Int(max(virtualSize, sizeOfRawData)) }

        /// The 8-byte Name field for `name`, or an error saying why it cannot be one.
        static func encodedName(_ name: String) throws(PEError) -> [UInt8] {
            let bytes = Array(name.utf8)
            guard !bytes.isEmpty else { throw .invalidSectionName(name: name, problem: "is empty") }
            guard bytes.count <= 8 else {
                throw .invalidSectionName(name: name, problem: "is \(bytes.count) bytes long")
            }
            guard !bytes.contains(0) else { throw .invalidSectionName(name: name, problem: "contains a NUL byte") }
            return bytes
        }

        static func decodeName(_ bytes: [UInt8]) -> String {
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }

        /// Whether the stored name is exactly `name` (as the stub compares: all 8 bytes).
        func hasName(_ name: String) -> Bool {
            let wanted = Array(name.utf8)
            return wanted.count <= 8 && !wanted.contains(0) && nameBytes == wanted + [UInt8](repeating: 0, count: 8 - wanted.count)
        }
    }
}
