/// Which of two image versions is newer: runs of digits compare as numbers, other runs as
/// text, `~` sorts before anything (Debian's habit: `1.0~rc1` < `1.0`), a missing part before
/// a present one. Enough for `image.version` values such as 0.2.0, 2026.12.1 or 1.4-3.
enum VersionOrder {
    /// Negative when `a` is older, 0 when equal, positive when newer.
    static func compare(_ a: String, _ b: String) -> Int {
        var left = parts(a)[...]
        var right = parts(b)[...]
        while !left.isEmpty || !right.isEmpty {
            let x = left.popFirst() ?? .end
            let y = right.popFirst() ?? .end
            let order = x.compare(y)
            if order != 0 { return order }
        }
        return 0
    }

    enum Part {
        case number(UInt64)
        case text(String)
        case tilde
        case end

        var rank: Int {
            switch self {
            case .tilde: return 0
            case .end: return 1
            case .text: return 2
            case .number: return 3
            }
        }

        func compare(_ other: Part) -> Int {
            switch (self, other) {
            case let (.number(x), .number(y)): return x == y ? 0 : (x < y ? -1 : 1)
            case let (.text(x), .text(y)): return x == y ? 0 : (x < y ? -1 : 1)
            default: return rank - other.rank
            }
        }
    }

    static func parts(_ version: String) -> [Part] {
        var parts: [Part] = []
        var index = version.startIndex
        while index < version.endIndex {
            let character = version[index]
            if character == "~" {
                parts.append(.tilde)
                index = version.index(after: index)
            } else if character.isASCII, character.isNumber {
                let end = version[index...].firstIndex { !($0.isASCII && $0.isNumber) } ?? version.endIndex
                parts.append(.number(UInt64(version[index..<end]) ?? .max))
                index = end
            } else if character == "." || character == "-" || character == "+" {
                index = version.index(after: index)
            } else {
                let end = version[index...].firstIndex { ($0.isASCII && $0.isNumber) || "~.-+".contains($0) } ?? version.endIndex
                parts.append(.text(String(version[index..<end])))
                index = end
            }
        }
        return parts
    }
}
