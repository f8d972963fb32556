/// BootEntries: the names of boot entries on the ESP and their boot counters, as the UAPI
/// Boot Loader Specification ("Boot counting") and systemd-boot define them.
///
/// ```
/// EFI/Linux/qemu-dev_0.1.0+3.efi      new: 3 tries left, none used
/// EFI/Linux/qemu-dev_0.1.0+2-1.efi    one try used (systemd-boot renamed it when booting it)
/// EFI/Linux/qemu-dev_0.1.0+0-3.efi    bad: no tries left; sorted last, booted only if nothing else is
/// EFI/Linux/qemu-dev_0.1.0.efi        good: blessed by a healthy boot, no counter
/// ```
///
/// The counter is the last `+` of the name before the suffix, followed by LEFT digits and
/// optionally `-` and DONE digits; anything else is part of the entry's name (a name with
/// `+` in its version stays whole when what follows is not a counter). systemd-boot
/// decrements LEFT and increments DONE before it starts the entry; blessing removes the
/// counter.
public struct BootEntryName: Sendable, Hashable, CustomStringConvertible {
    public struct Counter: Sendable, Hashable {
        public var left: Int
        public var done: Int

        public init(left: Int, done: Int = 0) {
            self.left = left
            self.done = done
        }
    }

    /// The entry's name without counter and suffix: `qemu-dev_0.1.0`.
    public var base: String
    /// nil for an entry without a counter (blessed, or never counted).
    public var counter: Counter?
    /// `.efi` for a UKI, `.conf` for a type #1 entry.
    public var suffix: String

    public init(base: String, counter: Counter? = nil, suffix: String = ".efi") {
        self.base = base
        self.counter = counter
        self.suffix = suffix
    }

    /// A new entry with `tries` tries (the build and the agent's install write this).
    public static func new(base: String, tries: Int, suffix: String = ".efi") -> BootEntryName {
        BootEntryName(base: base, counter: Counter(left: tries, done: 0), suffix: suffix)
    }

    /// Parses a file name; nil when it has neither `.efi` nor `.conf` suffix.
    public init?(fileName: String) {
        let suffixes = [".efi", ".conf"]
        guard let suffix = suffixes.first(where: { fileName.lowercased().hasSuffix($0) && fileName.count > $0.count }) else {
            return nil
        }
        let stem = String(fileName.dropLast(suffix.count))
        self.suffix = String(fileName.suffix(suffix.count))
        guard let plus = stem.lastIndex(of: "+"), let counter = Self.counter(stem[stem.index(after: plus)...]) else {
            base = stem
            counter = nil
            return
        }
        base = String(stem[..<plus])
        self.counter = counter
    }

    /// `LEFT` or `LEFT-DONE`, digits only (at most 9 each: a counter that does not fit an
    /// Int is not a counter).
    private static func counter(_ text: Substring) -> Counter? {
        let parts = text.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        func number(_ part: Substring) -> Int? {
            guard !part.isEmpty, part.count <= 9, part.utf8.allSatisfy({ (48...57).contains($0) }) else { return nil }
            return Int(part)
        }
        guard let left = parts.first.flatMap(number) else { return nil }
        if parts.count == 1 { return Counter(left: left, done: 0) }
        guard let done = number(parts[1]) else { return nil }
        return Counter(left: left, done: done)
    }

    public var fileName: String {
        guard let counter else { return base + suffix }
        return counter.done == 0 ? "\(base)+\(counter.left)\(suffix)" : "\(base)+\(counter.left)-\(counter.done)\(suffix)"
    }

    public var description: String { fileName }

    /// Good: blessed, no counter left to run down.
    public var isGood: Bool { counter == nil }
    /// Bad: counted and no tries left (systemd-boot sorts it last).
    public var isBad: Bool { counter?.left == 0 }

    /// The name after a healthy boot: the counter removed.
    public var blessed: BootEntryName { BootEntryName(base: base, counter: nil, suffix: suffix) }

    /// The name after one more try, as systemd-boot renames an entry it starts (LEFT down
    /// to 0, DONE up); an entry without a counter is unchanged.
    public var tried: BootEntryName {
        guard let counter else { return self }
        return BootEntryName(base: base, counter: Counter(left: max(0, counter.left - 1), done: counter.done + 1), suffix: suffix)
    }
}
