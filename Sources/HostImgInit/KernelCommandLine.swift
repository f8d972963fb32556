import ByteCodec

/// The kernel command line split as the kernel's own `next_arg()` (lib/cmdline.c,
/// kernel/params.c) splits it: words separated by spaces, double quotes group words and are
/// dropped (`key="a b"` and `"key=a b"` both give `a b`), `key` without `=` has no value.
/// A repeated key's last value wins, as it does for most kernel parameters.
public struct KernelCommandLine: Sendable, Equatable {
    public struct Parameter: Sendable, Equatable {
        public var key: String
        public var value: String?
    }

    public var parameters: [Parameter]

    public init(_ text: String) {
        parameters = []
        let bytes = Array(text.utf8)
        var index = 0
        let isSpace: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == 0 }
        while index < bytes.count {
            while index < bytes.count, isSpace(bytes[index]) { index += 1 }
            guard index < bytes.count else { break }
            var key: [UInt8] = []
            var value: [UInt8]? = nil
            var inQuote = false
            while index < bytes.count {
                let byte = bytes[index]
                if isSpace(byte), !inQuote { break }
                index += 1
                if byte == UInt8(ascii: "\"") {
                    inQuote.toggle()
                    continue
                }
                if value == nil, byte == UInt8(ascii: "=") {
                    value = []
                } else if value != nil {
                    value?.append(byte)
                } else {
                    key.append(byte)
                }
            }
            parameters.append(Parameter(key: String(decoding: key, as: UTF8.self), value: value.map { String(decoding: $0, as: UTF8.self) }))
        }
    }

    /// The last value given for `key` (nil when absent or given without "=").
    public func value(_ key: String) -> String? {
        parameters.last { $0.key == key }?.value
    }

    public func contains(_ key: String) -> Bool { parameters.contains { $0.key == key } }
}

/// What to do when the boot cannot continue.
public enum FailureAction: String, Sendable, Equatable, CaseIterable {
    case halt, poweroff, reboot
}

/// The options hostimg-init takes from the kernel command line.
public struct BootOptions: Sendable, Equatable {
    /// 64 lowercase hex digits.
    public var rootHash: String
    public var initPath: String = "/sbin/init"
    public var failure: FailureAction = .halt
    public var timeoutSeconds: Int = 30
    public var ignoreState: Bool = false

    /// The failure action alone, readable even when the rest of the line is invalid (an
    /// invalid value gives the default, halt).
    public static func failureAction(_ commandLine: KernelCommandLine) -> FailureAction {
        commandLine.value("hostimg.failure").flatMap(FailureAction.init(rawValue:)) ?? .halt
    }

    public init(rootHash: String) { self.rootHash = rootHash }

    public init(_ commandLine: KernelCommandLine) throws {
        guard let hash = commandLine.value("roothash") else {
            throw InitError.commandLine("roothash= is missing; it must be the 64 hex digits of the slot's dm-verity root hash")
        }
        let lower = hash.lowercased()
        guard lower.utf8.count == 64, lower.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw InitError.commandLine("roothash=\(hash) is not 64 hex digits (a SHA-256 dm-verity root hash)")
        }
        rootHash = lower
        if let path = commandLine.value("hostimg.init") {
            guard path.hasPrefix("/") else {
                throw InitError.commandLine("hostimg.init=\(path) is not an absolute path (e.g. /sbin/init)")
            }
            initPath = path
        }
        if let text = commandLine.value("hostimg.failure") {
            guard let action = FailureAction(rawValue: text) else {
                throw InitError.commandLine("hostimg.failure=\(text) is not one of halt, poweroff, reboot")
            }
            failure = action
        }
        if let text = commandLine.value("hostimg.timeout") {
            guard let seconds = Int(text), seconds >= 0, seconds <= 86_400 else {
                throw InitError.commandLine("hostimg.timeout=\(text) is not a whole number of seconds from 0 to 86400")
            }
            timeoutSeconds = seconds
        }
        if let text = commandLine.value("hostimg.state") {
            guard text == "ignore" else {
                throw InitError.commandLine("hostimg.state=\(text) is not valid; the only value is \"ignore\"")
            }
            ignoreState = true
        }
    }

    /// The root hash as 32 bytes.
    public var rootHashBytes: [UInt8] { Hex.decode(rootHash) ?? [] }
}
