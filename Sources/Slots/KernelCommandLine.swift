import ByteCodec

/// The kernel command line split as the kernel's own `next_arg()` (lib/cmdline.c,
/// kernel/params.c) splits it: words separated by spaces, double quotes group words and are
/// dropped (`key="a b"` and `"key=a b"` both give `a b`), `key` without `=` has no value.
/// A repeated key's last value wins, as it does for most kernel parameters.
public struct KernelCommandLine: Sendable, Equatable {
    public struct Parameter: Sendable, Equatable {
        public var key: String
        public var value: String?

        public init(key: String, value: String?) {
            self.key = key
            self.value = value
        }
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

/// The running slot's root hash, as the kernel command line names it (`roothash=`, the
/// parameter the initrd boots by; AGENT.md: "the running slot is the one whose root hash is
/// `roothash=` in `/proc/cmdline`").
public enum RunningSlot {
    public static func rootHash(commandLine: String) -> [UInt8]? {
        guard let text = KernelCommandLine(commandLine).value("roothash") else { return nil }
        return decodeRootHash(text)
    }

    /// 64 hex digits (either case) as 32 bytes; nil for anything else.
    public static func decodeRootHash(_ text: String) -> [UInt8]? {
        guard text.utf8.count == 64, let bytes = Hex.decode(text) else { return nil }
        return bytes
    }
}
