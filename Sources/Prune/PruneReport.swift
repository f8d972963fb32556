/// What a prune pass removed and why: one entry per removed file, symlink or other
/// non-directory node, and totals per category. It goes into the JSON build report, so it is
/// `Codable` and its order is deterministic (passes in the order they ran, paths bytewise
/// within a pass).
public struct PruneReport: Sendable, Equatable, Codable {
    public enum Category: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
        case locale
        case doc
        case man
        case foreignArch = "foreign-arch"

        public var description: String { rawValue }
    }

    public struct Entry: Sendable, Hashable, Codable {
        public var path: String
        /// Bytes the image loses: the content size for a regular file whose last link goes;
        /// 0 for symlinks and for hard links whose content another kept path still holds.
        public var bytes: UInt64
        public var category: Category
        public var reason: String
        /// The package (or overlay) that installed the path, when known.
        public var origin: String?

        public init(path: String, bytes: UInt64, category: Category, reason: String, origin: String?) {
            self.path = path
            self.bytes = bytes
            self.category = category
            self.reason = reason
            self.origin = origin
        }
    }

    public struct Total: Sendable, Hashable, Codable {
        public var category: Category
        /// Non-directory nodes removed (files, symlinks, hard links, device nodes).
        public var files: Int
        public var bytes: UInt64
        /// Directories removed with them (not counted in `files`).
        public var directories: Int

        public init(category: Category, files: Int = 0, bytes: UInt64 = 0, directories: Int = 0) {
            self.category = category
            self.files = files
            self.bytes = bytes
            self.directories = directories
        }
    }

    public private(set) var entries: [Entry]
    /// Directories removed per category (entries list files only; directories carry no bytes).
    private var directoryCounts: [Category: Int]

    public init(entries: [Entry] = [], directories: [Category: Int] = [:]) {
        self.entries = entries
        self.directoryCounts = directories
    }

    /// One total per category that removed anything, in `Category.allCases` order.
    public var totals: [Total] {
        Category.allCases.compactMap { category in
            var total = Total(category: category, directories: directoryCounts[category] ?? 0)
            for entry in entries where entry.category == category {
                total.files += 1
                total.bytes += entry.bytes
            }
            return total.files == 0 && total.directories == 0 ? nil : total
        }
    }

    public func total(_ category: Category) -> Total {
        totals.first { $0.category == category } ?? Total(category: category)
    }

    public var totalBytes: UInt64 { entries.reduce(0) { $0 + $1.bytes } }

    public var isEmpty: Bool { entries.isEmpty && directoryCounts.values.allSatisfy { $0 == 0 } }

    /// Appends another pass's report after this one's.
    public mutating func append(_ other: PruneReport) {
        entries += other.entries
        directoryCounts.merge(other.directoryCounts, uniquingKeysWith: +)
    }

    // The JSON carries the totals too, so a reader need not recompute them.
    private enum CodingKeys: String, CodingKey { case entries, totals }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        entries = try container.decode([Entry].self, forKey: .entries)
        let totals = try container.decodeIfPresent([Total].self, forKey: .totals) ?? []
        directoryCounts = Dictionary(totals.map { ($0.category, $0.directories) }, uniquingKeysWith: +)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(entries, forKey: .entries)
        try container.encode(totals, forKey: .totals)
    }
}
