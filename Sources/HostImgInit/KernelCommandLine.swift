import ByteCodec
import Slots

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
        // One rule for what a root hash on the command line is: the slot model's.
        guard let bytes = RunningSlot.decodeRootHash(hash) else {
            throw InitError.commandLine("roothash=\(hash) is not 64 hex digits (a SHA-256 dm-verity root hash)")
        }
        rootHash = Hex.encode(bytes)
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
