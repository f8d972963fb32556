/// A Debian package version, `[epoch:]upstream_version[-debian_revision]` (Debian Policy
/// §5.6.12), ordered exactly as `dpkg --compare-versions` orders them.
///
/// Ordering (dpkg's `verrevcmp`): epochs compare numerically; then upstream and revision are
/// each compared as alternating runs of non-digits and digits. Non-digit runs compare byte by
/// byte where `~` sorts before everything (even the end of the string), then the end, then
/// letters, then every other character. Digit runs compare as numbers (leading zeros ignored).
/// A missing revision compares like "0", as in dpkg.
public struct DebianVersion: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let epoch: Int
    public let upstream: String
    public let revision: String
    /// The text exactly as written (an explicit "0:" epoch is kept), for output.
    public let description: String

    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case empty
        case badEpoch(String)
        case emptyUpstream(String)
        case emptyRevision(String)
        case invalidCharacter(String, Character)

        public var description: String {
            switch self {
            case .empty: return "a version may not be empty"
            case .badEpoch(let v):
                return "version \"\(v)\": the epoch before ':' must be a non-negative number"
            case .emptyUpstream(let v):
                return "version \"\(v)\": the upstream part (between the epoch and the revision) is empty"
            case .emptyRevision(let v):
                return "version \"\(v)\" ends in '-' with no revision after it"
            case .invalidCharacter(let v, let c):
                return "version \"\(v)\" contains \"\(c)\"; only letters, digits and . + ~ - : are allowed"
            }
        }
    }

    public init(_ text: String) throws {
        let trimmed = text.trimmingBlanks()
        guard !trimmed.isEmpty else { throw Error.empty }
        var rest = Substring(trimmed)
        var epoch = 0
        if let colon = rest.firstIndex(of: ":") {
            let digits = rest[..<colon]
            guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let value = Int(digits)
            else { throw Error.badEpoch(trimmed) }
            epoch = value
            rest = rest[rest.index(after: colon)...]
        }
        var revision: Substring = ""
        let hasRevision = rest.contains("-")
        if let dash = rest.lastIndex(of: "-") {
            revision = rest[rest.index(after: dash)...]
            rest = rest[..<dash]
        }
        guard !rest.isEmpty else { throw Error.emptyUpstream(trimmed) }
        if hasRevision, revision.isEmpty { throw Error.emptyRevision(trimmed) }
        for part in [rest, revision] {
            for scalar in part.unicodeScalars {
                let ok = (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z")
                    || (scalar >= "0" && scalar <= "9") || ".+~-:".unicodeScalars.contains(scalar)
                if !ok { throw Error.invalidCharacter(trimmed, Character(scalar)) }
            }
        }
        self.epoch = epoch
        self.upstream = String(rest)
        self.revision = String(revision)
        self.description = trimmed
    }

    /// Versions that dpkg considers equal ("1.0" and "0:1.0", "1.0-0" and "1.0") are equal here.
    public static func == (a: DebianVersion, b: DebianVersion) -> Bool { compare(a, b) == 0 }
    public static func < (a: DebianVersion, b: DebianVersion) -> Bool { compare(a, b) < 0 }

    public func hash(into hasher: inout Hasher) {
        // Equal versions must hash alike; hash only the epoch (the parts have many spellings).
        hasher.combine(epoch)
    }

    /// -1, 0 or 1, as dpkg's `dpkg_version_compare`.
    public static func compare(_ a: DebianVersion, _ b: DebianVersion) -> Int {
        if a.epoch != b.epoch { return a.epoch < b.epoch ? -1 : 1 }
        let upstream = compareParts(a.upstream, b.upstream)
        if upstream != 0 { return upstream }
        return compareParts(a.revision, b.revision)
    }

    /// The weight of one non-digit byte: `~` lowest, then end/digit (0), letters, the rest.
    @inline(__always)
    private static func order(_ byte: UInt8?) -> Int {
        guard let byte else { return 0 }
        if byte >= 0x30 && byte <= 0x39 { return 0 }
        if (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) { return Int(byte) }
        if byte == 0x7E { return -1 }
        return Int(byte) + 256
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    static func compareParts(_ a: String, _ b: String) -> Int {
        let x = Array(a.utf8), y = Array(b.utf8)
        var i = 0, j = 0
        while i < x.count || j < y.count {
            // Non-digit run.
            while (i < x.count && !isDigit(x[i])) || (j < y.count && !isDigit(y[j])) {
                let ox = order(i < x.count ? x[i] : nil), oy = order(j < y.count ? y[j] : nil)
                if ox != oy { return ox < oy ? -1 : 1 }
                i += 1
                j += 1
            }
            // Digit run: skip leading zeros, then the longer run is larger, else first difference.
            while i < x.count && x[i] == 0x30 { i += 1 }
            while j < y.count && y[j] == 0x30 { j += 1 }
            var firstDifference = 0
            while i < x.count && isDigit(x[i]) && j < y.count && isDigit(y[j]) {
                if firstDifference == 0 && x[i] != y[j] { firstDifference = x[i] < y[j] ? -1 : 1 }
                i += 1
                j += 1
            }
            if i < x.count && isDigit(x[i]) { return 1 }
            if j < y.count && isDigit(y[j]) { return -1 }
            if firstDifference != 0 { return firstDifference }
        }
        return 0
    }
}

extension String {
    func trimmingBlanks() -> String {
        let utf8 = self.utf8
        guard let first = utf8.firstIndex(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }),
              let last = utf8.lastIndex(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D })
        else { return "" }
        return String(self[first...last])
    }
}
