/// One option value in QEMU's `key=value,key=value` syntax (QemuOpts and keyval, as
/// `-object`, `-device`, `-machine`, `-m`, `-chardev` take it), its pairs in the order given.
///
/// The syntax, as QEMU's `util/qemu-option.c` (`opts_do_parse`, `get_opt_value`) reads it:
///
/// ```
/// memory-backend-file,id=ram0,mem-path=/run/a,,b,share=on
/// └─ implied key ───┘ └pair─┘ └─ pair (",," is a comma) ┘ └pair┘
/// ```
///
/// - pairs are separated by a single `,`; a `,,` inside a value stands for one `,`;
/// - the first element may omit its key when the option has an implied one (`qom-type` for
///   `-object`, `driver` for `-device`, `type` for `-machine`, `size` for `-m`);
/// - a bare `key` is `key=on`, a bare `noKEY` is `KEY=off` (QEMU's old boolean shorthand, as
///   in `-qmp unix:/run/x.qmp,server,nowait`).
///
/// A value that starts with `{` is QEMU's JSON form (`-object '{"qom-type":...}'`); `parse`
/// reads it through `QEMUJSONObject` when the option accepts it.
public struct QEMUOptionList: Hashable, Sendable, CustomStringConvertible {
    /// One `key=value` pair.
    public struct Pair: Hashable, Sendable {
        public var key: String
        public var value: String

        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    /// The pairs in the order given; a key may repeat (QEMU keeps the last).
    public var pairs: [Pair]

    public init(_ pairs: [Pair] = []) {
        self.pairs = pairs
    }

    /// The value of `key`: the last one given, as QEMU keeps it.
    public subscript(key: String) -> String? {
        pairs.last { $0.key == key }?.value
    }

    /// The pairs with their keys, in order, for messages.
    public var description: String {
        pairs.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// A boolean property as QEMU reads one (`on`/`off`, `yes`/`no`, `true`/`false`); nil when
    /// absent, `defaultValue` never applied here so callers state their own default.
    public func flag(_ key: String) throws(QEMUArgumentsError) -> Bool? {
        guard let text = self[key] else { return nil }
        switch text {
        case "on", "yes", "true", "y": return true
        case "off", "no", "false", "n": return false
        default: throw .badValue(key: key, value: text, expected: "on or off")
        }
    }

    /// Parses `text`; `impliedKey` names the first element when it has no `=`. `allowJSON`
    /// accepts QEMU's JSON form when `text` starts with `{` (`-object` and `-device` do).
    public static func parse(_ text: String, impliedKey: String?, allowJSON: Bool = false) throws(QEMUArgumentsError) -> QEMUOptionList {
        if allowJSON, text.first == "{" {
            return QEMUOptionList(try QEMUJSONObject.pairs(of: text))
        }
        var pairs: [Pair] = []
        var rest = Substring(text)
        var first = true
        while !rest.isEmpty {
            let nameEnd = rest.firstIndex { $0 == "=" || $0 == "," } ?? rest.endIndex
            if first, let impliedKey, nameEnd == rest.endIndex || rest[nameEnd] == "," {
                pairs.append(Pair(impliedKey, value(from: &rest)))
            } else if nameEnd < rest.endIndex, rest[nameEnd] == "=" {
                let key = String(rest[..<nameEnd])
                rest = rest[rest.index(after: nameEnd)...]
                pairs.append(Pair(key, value(from: &rest)))
            } else {
                let word = String(rest[..<nameEnd])
                rest = nameEnd < rest.endIndex ? rest[rest.index(after: nameEnd)...] : rest[nameEnd...]
                guard !word.isEmpty else { throw .badOptionList(text, reason: "an empty element between two commas") }
                pairs.append(word.hasPrefix("no") && word.count > 2 ? Pair(String(word.dropFirst(2)), "off") : Pair(word, "on"))
            }
            first = false
        }
        return QEMUOptionList(pairs)
    }

    /// The value at the start of `rest` up to the first single `,` (`,,` is a literal comma);
    /// `rest` moves past that comma.
    static func value(from rest: inout Substring) -> String {
        var value = ""
        var index = rest.startIndex
        while index < rest.endIndex {
            let character = rest[index]
            let next = rest.index(after: index)
            if character == "," {
                guard next < rest.endIndex, rest[next] == "," else {
                    rest = rest[next...]
                    return value
                }
                value.append(",")
                index = rest.index(after: next)
            } else {
                value.append(character)
                index = next
            }
        }
        rest = rest[rest.endIndex...]
        return value
    }
}

/// Sizes as QEMU reads them (`qemu_strtosz`): a decimal number, optionally with a fraction
/// (`1.5G`), or `0x` hexadecimal, then an optional suffix `B`, `K`, `M`, `G`, `T`, `P`, `E`
/// (either case, powers of 1024). Without a suffix the number counts `defaultUnit` bytes:
/// bytes for a backend's `size=`, MiB for `-m`.
public enum QEMUSize {
    /// Bytes in a MiB: `-m 512` means 512 MiB.
    public static let mebibyte: UInt64 = 1 << 20

    /// The bytes `text` stands for; throws naming `key` and the text when it is not a size or
    /// does not fit 64 bits.
    public static func bytes(_ text: String, key: String, defaultUnit: UInt64 = 1) throws(QEMUArgumentsError) -> UInt64 {
        let bad = QEMUArgumentsError.badValue(key: key, value: text, expected: "a size such as 4G, 512M or 1073741824")
        var digits = Substring(text)
        if digits.hasPrefix("0x") || digits.hasPrefix("0X") {
            // Hexadecimal takes no suffix here: "0x1E" is a number, not 0x1 EiB.
            let hex = digits.dropFirst(2)
            guard !hex.isEmpty, hex.allSatisfy(\.isHexDigit), let value = UInt64(hex, radix: 16) else { throw bad }
            return try scaled(value, defaultUnit, bad)
        }
        var unit = defaultUnit
        if let last = digits.last, let shift = suffixShift(last) {
            unit = UInt64(1) << shift
            digits = digits.dropLast()
        }
        let parts = digits.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, isDecimal(whole), let integer = UInt64(whole) else { throw bad }
        var total = try scaled(integer, unit, bad)
        if parts.count == 2 {
            let fraction = parts[1]
            guard isDecimal(fraction), fraction.count <= 18, let numerator = UInt64(fraction) else { throw bad }
            var denominator: UInt64 = 1
            for _ in 0..<fraction.count { denominator *= 10 }
            // unit ≤ 2^60 and numerator < denominator ≤ 10^18: divide first to stay in 64 bits.
            let (high, low) = unit.multipliedFullWidth(by: numerator)
            let (part, _) = denominator.dividingFullWidth((high: high, low: low))
            let (sum, overflow) = total.addingReportingOverflow(part)
            guard !overflow else { throw bad }
            total = sum
        }
        return total
    }

    /// Only the digits 0-9 (`UInt64("+5")` would accept a sign).
    private static func isDecimal(_ text: Substring) -> Bool {
        !text.isEmpty && text.allSatisfy { $0 >= "0" && $0 <= "9" }
    }

    private static func suffixShift(_ character: Character) -> UInt64? {
        switch character {
        case "b", "B": return 0
        case "k", "K": return 10
        case "m", "M": return 20
        case "g", "G": return 30
        case "t", "T": return 40
        case "p", "P": return 50
        case "e", "E": return 60
        default: return nil
        }
    }

    private static func scaled(_ value: UInt64, _ unit: UInt64, _ bad: QEMUArgumentsError) throws(QEMUArgumentsError) -> UInt64 {
        let (product, overflow) = value.multipliedReportingOverflow(by: unit)
        guard !overflow else { throw bad }
        return product
    }
}
