import PE
import SystemIO

/// A UKI's `.cmdline` section, read through the PE reader (the UKI is a file on the ESP; the
/// reader bounds-checks everything, so a damaged file is an error, not a crash).
public enum UKICommandLine {
    /// The largest UKI read (the bundle's limit for the `uki` payload is 4 GiB; an ESP holds
    /// a few hundred MiB at most).
    public static let maximumSize = 1 << 30

    public static func read(_ path: String) throws -> String {
        guard let commandLine = try PE.Image(try SystemIO.readFile(path, limit: maximumSize)).commandLine else {
            throw AgentError.commandLine("\(path) has no .cmdline section: not a UKI hostimg built")
        }
        return commandLine
    }
}

/// A UKI's `.osrel` section (os-release(5) of the slot it boots), as key → value with the
/// shell quoting undone; the agent reads `HOSTIMG_QEMU_VERSION` from the new slot's UKI before
/// a VM-preserving switch.
public enum UKIOSRelease {
    public static func read(_ path: String) throws -> [String: String] {
        try parse(uki: try SystemIO.readFile(path, limit: UKICommandLine.maximumSize), path: path)
    }

    public static func parse(uki bytes: [UInt8], path: String) throws -> [String: String] {
        guard let section = try PE.Image(bytes).section(named: ".osrel") else {
            throw AgentError.commandLine("\(path) has no .osrel section: not a UKI hostimg built")
        }
        return parse(String(decoding: section.prefix { $0 != 0 }, as: UTF8.self))
    }

    /// `KEY=value` and `KEY="quoted \"value\""` lines; comments and blank lines skipped.
    public static func parse(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "="), !line.hasPrefix("#") else { continue }
            let key = String(line[..<equals]).trimmingWhitespace
            var value = Substring(line[line.index(after: equals)...])
            if let quote = value.first, quote == "\"" || quote == "'", value.count >= 2, value.last == quote {
                value = value.dropFirst().dropLast()
            }
            var unescaped = ""
            var escaping = false
            for char in value {
                if escaping || char != "\\" { unescaped.append(char); escaping = false } else { escaping = true }
            }
            fields[key] = unescaped
        }
        return fields
    }
}
