import HostTuning

/// The typed values a manifest holds: sizes with units, CPU lists, PCI addresses and ids.
/// Each parses from its text form and says what is wrong when it cannot.

/// A value with the place it was written, so rules can point at it.
public struct Located<Value: Sendable>: Sendable {
    public var value: Value
    public var location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

extension Located: Equatable where Value: Equatable {}
extension Located: Hashable where Value: Hashable {}

/// Byte sizes. Units are binary: `K`/`KiB` = 1024, `M`/`MiB`, `G`/`GiB`, `T`/`TiB`; a bare
/// number is bytes. `MB`/`GB` are refused rather than guessed at.
public enum Size {
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case decimalUnit(String, suggestion: String)
        case overflow(String)

        public var description: String {
            switch self {
            case let .malformed(text): return "'\(text)' is not a size"
            case let .decimalUnit(text, suggestion): return "'\(text)' uses a decimal unit; sizes are binary, write '\(suggestion)'"
            case let .overflow(text): return "'\(text)' is too large"
            }
        }
    }

    private static let units: [(suffixes: [String], shift: UInt64)] = [
        (["", "B"], 0), (["K", "KiB"], 10), (["M", "MiB"], 20), (["G", "GiB"], 30), (["T", "TiB"], 40),
    ]

    public static func parse(_ text: String) throws(ParseError) -> UInt64 {
        let trimmed = text.trimmingSpaces
        let digits = trimmed.prefix { $0.isASCII && $0.isNumber }
        let suffix = String(trimmed.dropFirst(digits.count))
        guard !digits.isEmpty else { throw .malformed(text) }
        guard let number = UInt64(digits) else { throw .overflow(text) }
        for (suffixes, shift) in units where suffixes.contains(suffix) {
            let (value, overflow) = number.multipliedReportingOverflow(by: 1 << shift)
            if overflow { throw .overflow(text) }
            return value
        }
        if ["KB", "MB", "GB", "TB", "kB"].contains(suffix) {
            throw .decimalUnit(text, suggestion: "\(digits)\(suffix.prefix(1).uppercased())")
        }
        throw .malformed(text)
    }

    /// `2M`, `1G`, `1536K`: the shortest exact form, the way sizes are written back.
    public static func format(_ bytes: UInt64) -> String { TuningPromises.kernelSize(bytes) }

    /// `10.5 MiB`: for messages about sizes that need not be exact.
    public static func describe(_ bytes: UInt64) -> String {
        let units = ["bytes", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if unit == 0 { return bytes == 1 ? "1 byte" : "\(bytes) bytes" }
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? "\(Int(rounded)) \(units[unit])" : "\(rounded) \(units[unit])"
    }
}

/// A set of CPU numbers written the way the kernel writes them: `0-3,8,10-11`.
public struct CPUSet: Hashable, Sendable, CustomStringConvertible {
    public static let maxCPU = 8191
    public private(set) var cpus: Set<Int>

    public init<S: Sequence>(_ cpus: S) where S.Element == Int { self.cpus = Set(cpus) }

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case empty
        case malformed(String)
        case reversed(String)
        case tooLarge(Int)

        public var description: String {
            switch self {
            case .empty: return "the CPU list is empty"
            case let .malformed(part): return "'\(part)' is not a CPU number or range"
            case let .reversed(part): return "range '\(part)' runs backwards"
            case let .tooLarge(cpu): return "CPU \(cpu) is beyond the kernel's limit of \(CPUSet.maxCPU)"
            }
        }
    }

    public static func parse(_ text: String) throws(ParseError) -> CPUSet {
        let trimmed = text.trimmingSpaces
        if trimmed.isEmpty { throw .empty }
        var cpus = Set<Int>()
        for part in trimmed.split(separator: ",", omittingEmptySubsequences: false) {
            let piece = String(part).trimmingSpaces
            let bounds = piece.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count),
                  bounds.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
                  let low = Int(bounds[0]), let high = Int(bounds[bounds.count - 1]) else {
                throw .malformed(piece)
            }
            if high < low { throw .reversed(piece) }
            if high > maxCPU { throw .tooLarge(high) }
            cpus.formUnion(low...high)
        }
        return CPUSet(cpus)
    }

    public var isEmpty: Bool { cpus.isEmpty }

    /// The kernel's compact form, ranges merged: `0-3,8`.
    public var description: String {
        var parts: [String] = []
        var sorted = cpus.sorted()[...]
        while let first = sorted.first {
            var last = first
            sorted = sorted.dropFirst()
            while sorted.first == last + 1 {
                last += 1
                sorted = sorted.dropFirst()
            }
            parts.append(first == last ? "\(first)" : "\(first)-\(last)")
        }
        return parts.joined(separator: ",")
    }

    public func intersection(_ other: CPUSet) -> CPUSet { CPUSet(cpus.intersection(other.cpus)) }
    public func union(_ other: CPUSet) -> CPUSet { CPUSet(cpus.union(other.cpus)) }
    public func subtracting(_ other: CPUSet) -> CPUSet { CPUSet(cpus.subtracting(other.cpus)) }
    public func isSuperset(of other: CPUSet) -> Bool { cpus.isSuperset(of: other.cpus) }
    public func contains(_ cpu: Int) -> Bool { cpus.contains(cpu) }
}

/// PCI addresses (`0000:3b:00.0`, domain:bus:device.function) and ids (`8086:1572`).
public enum PCI {
    public static let mellanoxVendor = "15b3"

    /// Lowercased canonical form, or nil when the text is not `DDDD:BB:DD.F`
    /// (device 00-1f, function 0-7).
    public static func address(_ text: String) -> String? {
        let lower = text.lowercased()
        let parts = lower.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, isHex(parts[0]), isHex(parts[1]) else { return nil }
        let slot = parts[2].split(separator: ".", omittingEmptySubsequences: false)
        guard slot.count == 2, slot[0].count == 2, slot[1].count == 1, isHex(slot[0]),
              let device = Int(slot[0], radix: 16), device <= 0x1f,
              let function = Int(slot[1]), function <= 7 else { return nil }
        return lower
    }

    /// Lowercased canonical `vvvv:dddd`, or nil.
    public static func id(_ text: String) -> String? {
        let lower = text.lowercased()
        let parts = lower.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 4 && isHex($0) }) else { return nil }
        return lower
    }

    private static func isHex<S: StringProtocol>(_ text: S) -> Bool {
        !text.isEmpty && text.allSatisfy { $0.isHexDigit && $0.isASCII }
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
