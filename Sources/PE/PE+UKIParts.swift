import ByteCodec

extension PE.UKI {
    /// A UKI taken apart again: the stub as `assemble` kept it and the appended sections in
    /// file order, so `assemble(stub:sections:)` of the result gives the same bytes (a
    /// signature is dropped first). `hostimg sign` uses it to swap one part (the initrd with
    /// the signing certificate added) of a UKI an unsigned build made.
    ///
    /// The appended sections are the longest run at the end of the section table whose names
    /// are UKI parts (`Section`, without `.sbat`, which the stub itself carries).
    public static func disassemble(_ uki: [UInt8]) throws -> (stub: [UInt8], sections: [(name: String, data: [UInt8])]) {
        let image = try PE.Image(try PE.Authenticode.strip(uki))
        let partNames = Set(Section.allCases.filter { $0 != .sbat }.map(\.rawValue))
        var first = image.sections.count
        while first > 0, partNames.contains(image.sections[first - 1].name) { first -= 1 }
        guard first < image.sections.count, first > 0 else {
            throw PEError.invalidField(field: "section table", value: UInt64(image.sections.count),
                                       expected: "a stub's sections followed by UKI parts (.linux, .osrel, .cmdline, .initrd, ...)")
        }
        let appended = image.sections[first...]
        // The stub is the file up to the first part's data, so that data must come after the
        // stub's headers and sections, as `assemble` puts it.
        let stubEnd = Int(appended.first?.pointerToRawData ?? 0)
        let stubData = image.sections[..<first].filter { $0.sizeOfRawData > 0 }.map(\.rawRange.upperBound).reduce(Int(image.sizeOfHeaders), max)
        guard stubEnd >= stubData else {
            throw PEError.invalidField(field: "PointerToRawData of section \(image.sections[first].name)", value: UInt64(stubEnd),
                                       expected: "at least \(stubData), after the stub's headers and sections")
        }
        var sections: [(name: String, data: [UInt8])] = []
        var rawBytes = 0
        for section in appended {
            guard let data = image.section(named: section.name) else {
                throw PEError.invalidField(field: "section \(section.name)", value: UInt64(section.pointerToRawData),
                                           expected: "data inside the file")
            }
            sections.append((name: section.name, data: data))
            rawBytes += Int(section.sizeOfRawData)
        }
        var stub = Array(image.bytes[0..<stubEnd])
        let tableEnd = image.sectionTableOffset + first * PE.Section.size
        let tableLength = (image.sections.count - first) * PE.Section.size
        stub.replaceSubrange(tableEnd..<(tableEnd + tableLength), with: [UInt8](repeating: 0, count: tableLength))
        stub.setInteger(UInt16(first), at: image.coffHeaderOffset + PE.Layout.numberOfSections, endianness: .little)
        stub.setInteger(appended.first?.virtualAddress ?? image.sizeOfImage,
                        at: image.optionalHeaderOffset + PE.Layout.sizeOfImage, endianness: .little)
        stub.setInteger(UInt32(max(0, Int(image.sizeOfInitializedData) - rawBytes)),
                        at: image.optionalHeaderOffset + PE.Layout.sizeOfInitializedData, endianness: .little)
        return (stub, sections)
    }
}
