import Foundation

/// `hostimg build --verify`: two builds' output directories compared file by file, byte by
/// byte; each difference named by the artefact, its first differing offset and what lies there
/// (`ArtefactLocator`: the partition and EROFS path, the bundle member, the PE section, the
/// line of a text file).
public enum ReproducibilityCheck {
    public struct Difference: Sendable, Equatable, CustomStringConvertible {
        public var artefact: String
        /// The first byte that differs (nil: one build lacks the file).
        public var offset: UInt64?
        public var location: String

        public var description: String {
            guard let offset else { return "\(artefact): \(location)" }
            return "\(artefact) differs from byte \(offset): \(location)"
        }
    }

    /// Outputs left out: report.json records each stage's duration, which no two builds share.
    public static let notCompared: Set<String> = ["report.json"]

    /// Every file of `first` and `second` (names relative to each), compared.
    public static func compare(_ first: String, _ second: String) throws -> [Difference] {
        let names = Set(try files(in: first)).union(try files(in: second)).subtracting(notCompared).sorted()
        var differences: [Difference] = []
        for name in names {
            let a = first + "/" + name
            let b = second + "/" + name
            guard FileManager.default.fileExists(atPath: a), FileManager.default.fileExists(atPath: b) else {
                differences.append(Difference(artefact: name, offset: nil, location: "only one build wrote it"))
                continue
            }
            guard let offset = try firstDifference(a, b) else { continue }
            let location = (try? ArtefactLocator.describe(name: name, offset: offset, first: a, second: b))
                ?? "(what lies there could not be read)"
            differences.append(Difference(artefact: name, offset: offset, location: location))
        }
        return differences
    }

    /// Regular files under `directory`, as relative paths, hidden ones left out.
    static func files(in directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// The first offset at which the two files differ (a shorter file differs at its end); nil
    /// when they are equal. Reads 1 MiB at a time.
    static func firstDifference(_ a: String, _ b: String, from start: UInt64 = 0, length: UInt64 = .max) throws -> UInt64? {
        guard let left = FileHandle(forReadingAtPath: a), let right = FileHandle(forReadingAtPath: b) else {
            throw CocoaError(.fileReadNoPermission)
        }
        defer {
            try? left.close()
            try? right.close()
        }
        try left.seek(toOffset: start)
        try right.seek(toOffset: start)
        var offset = start
        while offset - start < length {
            let count = Int(min(1 << 20, length - (offset - start)))
            let x = try left.read(upToCount: count) ?? Data()
            let y = try right.read(upToCount: count) ?? Data()
            if x.isEmpty && y.isEmpty { return nil }
            if x != y {
                let common = zip(x, y).prefix { $0 == $1 }.count
                return offset + UInt64(common)
            }
            offset += UInt64(x.count)
        }
        return nil
    }
}
