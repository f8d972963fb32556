extension FAT.Volume {
    /// Where a run of new slots goes in a directory: at `start`, after appending `growth`
    /// zeroed clusters to the directory (0 when the run fits in its free slots).
    struct SlotPlacement: Equatable {
        var start: Int
        var growth: Int
    }

    /// Refuses `name` for a new entry among `others`: a name FAT cannot store, or one that an
    /// entry there has already, as its long or its short name, compared without case.
    static func checkNewName(_ name: String, among others: [FAT.ListedEntry], directory: String) throws(FATError) {
        if let problem = FAT.Name.problem(name) {
            throw .invalidName(path: FAT.Tree.join(directory, name), reason: problem)
        }
        let key = FAT.Name.key(name)
        if let clash = others.first(where: { FAT.Name.key($0.entry.name) == key || FAT.Name.key($0.entry.shortName) == key }) {
            throw .nameExists(directory: directory, name: name, existing: clash.entry.name)
        }
    }

    /// Where `count` slots go in the directory `bytes` (its `clusters`; none for a FAT12/16
    /// root): the first free run, `preferring` that slot when the run fits there; else the
    /// free run at the end, the directory grown to hold it. Nothing is written: a directory
    /// that cannot grow that far (a FAT12/16 root, or past 65536 slots) is `.directoryFull`.
    func placement(
        of count: Int, in bytes: [UInt8], clusters: [UInt32], preferring: Int?, directory: String
    ) throws(FATError) -> SlotPlacement {
        let slots = bytes.count / FAT.ShortEntry.size
        if let found = Self.freeRun(in: bytes, count: count, preferring: preferring ?? slots) {
            return SlotPlacement(start: found, growth: 0)
        }
        let start = Self.trailingFreeStart(in: bytes)
        let needed = start + count
        guard !clusters.isEmpty, needed <= FAT.Layout.maximumDirectorySlots else {
            let limit = clusters.isEmpty ? Int(geometry.rootEntryCount) : FAT.Layout.maximumDirectorySlots
            throw .directoryFull(directory: directory, entries: Self.slotsInUse(bytes) + count, limit: limit)
        }
        let clusterSize = Int(geometry.clusterSize)
        let missing = needed * FAT.ShortEntry.size - bytes.count
        return SlotPlacement(start: start, growth: (missing + clusterSize - 1) / clusterSize)
    }

    /// The first slot of `count` free slots in a row (0xE5, or at or after the 0x00 end
    /// mark), `preferring` when the run fits there; nil when there is none.
    static func freeRun(in bytes: [UInt8], count: Int, preferring: Int) -> Int? {
        let slots = bytes.count / FAT.ShortEntry.size
        let end = endMark(in: bytes)
        func free(_ slot: Int) -> Bool { slot >= end || bytes[slot * FAT.ShortEntry.size] == FAT.ShortEntry.free }
        if preferring + count <= slots, (preferring..<(preferring + count)).allSatisfy(free) { return preferring }
        var runStart = 0
        for slot in 0..<slots {
            if !free(slot) {
                runStart = slot + 1
            } else if slot - runStart + 1 == count {
                return runStart
            }
        }
        return nil
    }

    /// The slot of the 0x00 end mark, or the slot count when there is none.
    static func endMark(in bytes: [UInt8]) -> Int {
        let slots = bytes.count / FAT.ShortEntry.size
        return (0..<slots).first { bytes[$0 * FAT.ShortEntry.size] == FAT.ShortEntry.end } ?? slots
    }

    /// Slots neither free nor past the end mark.
    static func slotsInUse(_ bytes: [UInt8]) -> Int {
        (0..<endMark(in: bytes)).reduce(0) { $0 + (bytes[$1 * FAT.ShortEntry.size] == FAT.ShortEntry.free ? 0 : 1) }
    }

    /// The first slot of the free run that reaches the end of the directory.
    static func trailingFreeStart(in bytes: [UInt8]) -> Int {
        var start = endMark(in: bytes)
        while start > 0, bytes[(start - 1) * FAT.ShortEntry.size] == FAT.ShortEntry.free { start -= 1 }
        return start
    }

    /// Writes `run` at slot `start`; when it reaches past the end mark, the slot after it
    /// becomes the end mark (all zero), whatever a damaged directory had there.
    static func place(_ run: [[UInt8]], in bytes: inout [UInt8], at start: Int) {
        let size = FAT.ShortEntry.size
        let end = endMark(in: bytes)
        for (index, record) in run.enumerated() {
            let at = (start + index) * size
            bytes.replaceSubrange(at..<(at + size), with: record)
        }
        let after = (start + run.count) * size
        if start + run.count > end, after < bytes.count {
            bytes.replaceSubrange(after..<(after + size), with: [UInt8](repeating: 0, count: size))
        }
    }

    /// Marks the slots `first..<first + count` free (0xE5).
    static func markFree(_ bytes: inout [UInt8], slots first: Int, count: Int) {
        for slot in first..<(first + count) { bytes[slot * FAT.ShortEntry.size] = FAT.ShortEntry.free }
    }

    /// The long-name entries and the short entry for `name`, the short entry a copy of
    /// `record` with only the name changed: `name` itself when it is an upper-case 8.3 name,
    /// else `ShortName.generate`'s, unique among `others` (their short names, and their long
    /// names that fold to an 8.3 name).
    static func records(
        for name: String, replacing record: FAT.ShortEntry, others: [FAT.ListedEntry], directory: String
    ) throws(FATError) -> [[UInt8]] {
        var short = record
        short.caseFlags = 0
        if let exact = FAT.ShortName.exact(name) {
            short.name = exact
            return [short.encoded()]
        }
        let taken = Set(others.map(\.record.name))
        let folded = Set(others.compactMap { FAT.ShortName.exact($0.entry.name, foldingCase: true) })
        guard let generated = FAT.ShortName.generate(for: name, isTaken: { taken.contains($0) || folded.contains($0) }) else {
            throw .invalidName(
                path: FAT.Tree.join(directory, name), reason: "every short name up to ~999999 is taken in its directory")
        }
        short.name = generated
        let long = FAT.LongNameEntry.entries(for: name, checksum: FAT.ShortName.checksum(generated))
        return long.map { $0.encoded() } + [short.encoded()]
    }
}
