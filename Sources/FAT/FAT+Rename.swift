extension FAT.Volume {
    /// Renames the entry `from` in the directory at `directory` to `to`, in place: the file
    /// keeps its clusters, size, attributes and times; only its name entries change. This is
    /// how boot counting moves a UKI from `NAME+3.efi` to `NAME+2-1.efi` and to `NAME.efi`
    /// (systemd's "Automatic Boot Assessment").
    ///
    /// The new name gets a new short name (its own when it is an upper-case 8.3 name, else
    /// `ShortName.generate`'s, unique among the other entries) and as many long-name entries
    /// as it needs. The old slots are marked free (0xE5); the new run goes where the old one
    /// started when it fits there, else into the first run of free slots, else into new
    /// clusters appended to the directory (zeroed, linked in every active FAT, FSInfo's free
    /// count lowered). A FAT12/16 root cannot grow: `.directoryFull`.
    ///
    /// Not atomic against a crash (the live host renames through the kernel's vfat); the
    /// changes are written new clusters first, then the FAT, then the directory sectors, and
    /// synced.
    public func rename(in directory: String, from oldName: String, to newName: String) throws(FATError) {
        guard access == .readWrite else { throw .readOnly(path: path) }
        if let problem = FAT.Name.problem(newName) {
            throw .invalidName(path: FAT.Tree.join(directory, newName), reason: problem)
        }
        let loaded = try self.directory(at: directory)
        let listing = listing(loaded)
        guard let target = listing.find(oldName) else { throw .notFound(path: FAT.Tree.join(loaded.path, oldName)) }
        guard target.entry.name != newName else { return }
        let others = listing.entries.filter { $0.firstSlot != target.firstSlot }
        let key = FAT.Name.key(newName)
        if let clash = others.first(where: { FAT.Name.key($0.entry.name) == key || FAT.Name.key($0.entry.shortName) == key }) {
            throw .nameExists(directory: loaded.path, name: newName, existing: clash.entry.name)
        }
        let run = try Self.records(for: newName, replacing: target.record, others: others, directory: loaded.path)

        var bytes = loaded.bytes
        for slot in target.firstSlot..<(target.firstSlot + target.slotCount) {
            bytes[slot * FAT.ShortEntry.size] = FAT.ShortEntry.free
        }
        var clusters = loaded.clusters
        let start: Int
        if let found = Self.freeRun(in: bytes, count: run.count, preferring: target.firstSlot) {
            start = found
        } else {
            start = Self.trailingFreeStart(in: bytes)
            let entries = Self.slotsInUse(bytes) + run.count
            try grow(&clusters, &bytes, toHold: start + run.count, entries: entries, directory: loaded.path)
        }
        Self.place(run, in: &bytes, at: start)
        try writeChanges(from: loaded, to: bytes, clusters: clusters)
        try FAT.IO.sync(file)
    }

    /// The long-name entries and the short entry for `name`, the short entry a copy of
    /// `record` with only the name changed.
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

    /// The first slot of `count` free slots in a row (0xE5, or at or after the 0x00 end
    /// mark), `preferring` when the run fits there; nil when there is none.
    static func freeRun(in bytes: [UInt8], count: Int, preferring: Int) -> Int? {
        let slots = bytes.count / FAT.ShortEntry.size
        let end = (0..<slots).first { bytes[$0 * FAT.ShortEntry.size] == FAT.ShortEntry.end } ?? slots
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

    /// Slots neither free nor past the end mark.
    static func slotsInUse(_ bytes: [UInt8]) -> Int {
        var count = 0
        for slot in 0..<(bytes.count / FAT.ShortEntry.size) {
            let first = bytes[slot * FAT.ShortEntry.size]
            if first == FAT.ShortEntry.end { break }
            if first != FAT.ShortEntry.free { count += 1 }
        }
        return count
    }

    /// The first slot of the free run that reaches the end of the directory.
    static func trailingFreeStart(in bytes: [UInt8]) -> Int {
        let slots = bytes.count / FAT.ShortEntry.size
        let end = (0..<slots).first { bytes[$0 * FAT.ShortEntry.size] == FAT.ShortEntry.end } ?? slots
        var start = end
        while start > 0, bytes[(start - 1) * FAT.ShortEntry.size] == FAT.ShortEntry.free { start -= 1 }
        return start
    }

    /// Writes `run` at slot `start`; when it reaches past the end mark, the slot after it
    /// becomes the end mark (all zero), whatever a damaged directory had there.
    static func place(_ run: [[UInt8]], in bytes: inout [UInt8], at start: Int) {
        let size = FAT.ShortEntry.size
        let end = (0..<(bytes.count / size)).first { bytes[$0 * size] == FAT.ShortEntry.end } ?? bytes.count / size
        for (index, record) in run.enumerated() {
            let at = (start + index) * size
            bytes.replaceSubrange(at..<(at + size), with: record)
        }
        let after = (start + run.count) * size
        if start + run.count > end, after < bytes.count {
            bytes.replaceSubrange(after..<(after + size), with: [UInt8](repeating: 0, count: size))
        }
    }
}
