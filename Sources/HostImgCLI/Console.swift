#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Where a command's output goes, and the facts about the process it decides by (is stdout a
/// terminal, the environment, the working directory).
///
/// Every command writes through `Console.current`, never through `print`: results go to
/// ``write(_:)`` (stdout), everything else to ``error(_:)`` (stderr). A test swaps the whole
/// console for the duration of one task with `Console.$current.withValue(...)`, so tests that
/// run in parallel each capture their own output.
public struct Console: Sendable {
    /// Receives text for stdout, exactly as written (renderers end their own lines).
    public var standardOutput: @Sendable (String) -> Void
    /// Receives text for stderr, exactly as written.
    public var standardError: @Sendable (String) -> Void
    /// True when stdout is a terminal (`isatty(1)`); `--color auto` colours only then.
    public var isStandardOutputTerminal: Bool
    /// The process environment (`NO_COLOR`, `TERM`).
    public var environment: [String: String]
    /// The directory relative paths are resolved against; SARIF's `%SRCROOT%`.
    public var currentDirectory: String

    public init(
        standardOutput: @escaping @Sendable (String) -> Void,
        standardError: @escaping @Sendable (String) -> Void,
        isStandardOutputTerminal: Bool = false,
        environment: [String: String] = [:],
        currentDirectory: String = "/"
    ) {
        self.standardOutput = standardOutput
        self.standardError = standardError
        self.isStandardOutputTerminal = isStandardOutputTerminal
        self.environment = environment
        self.currentDirectory = currentDirectory
    }

    /// Writes a result to stdout as is.
    public func write(_ text: String) {
        guard !text.isEmpty else { return }
        standardOutput(text)
    }

    /// Writes one line to stderr, adding the newline if it is missing.
    public func error(_ line: String) {
        standardError(line.hasSuffix("\n") ? line : line + "\n")
    }

    /// The console of this process: file descriptors 1 and 2.
    public static var process: Console {
        Console(
            standardOutput: { FileDescriptorWriter.write($0, to: STDOUT_FILENO) },
            standardError: { FileDescriptorWriter.write($0, to: STDERR_FILENO) },
            isStandardOutputTerminal: isatty(STDOUT_FILENO) == 1,
            environment: ProcessInfo.processInfo.environment,
            currentDirectory: FileManager.default.currentDirectoryPath
        )
    }

    /// The console commands write to; the process console unless a caller binds another.
    @TaskLocal public static var current: Console = .process
}

/// The one place output reaches a file descriptor. Writes go straight to `write(2)` (no stdio
/// buffer to flush before `exit`), retrying on short writes and `EINTR`. A failed write (a
/// closed pipe) drops the rest: there is nobody left to tell.
enum FileDescriptorWriter {
    static func write(_ text: String, to fd: Int32) {
        let bytes = Array(text.utf8)
        var offset = 0
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            while offset < buffer.count {
                #if canImport(Darwin)
                let written = Darwin.write(fd, base + offset, buffer.count - offset)
                #elseif canImport(Musl)
                let written = Musl.write(fd, base + offset, buffer.count - offset)
                #else
                let written = Glibc.write(fd, base + offset, buffer.count - offset)
                #endif
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}

/// `--color`: when text output uses ANSI colour.
public enum ColorMode: String, CaseIterable, Sendable {
    case auto
    case always
    case never

    /// Whether to colour. `auto` colours only when stdout is a terminal, `NO_COLOR` is unset or
    /// empty (https://no-color.org) and `TERM` is not `dumb`; `always` and `never` are taken at
    /// their word, so `--color always` wins over `NO_COLOR`.
    public func enablesColor(isTerminal: Bool, environment: [String: String]) -> Bool {
        switch self {
        case .always:
            return true
        case .never:
            return false
        case .auto:
            guard isTerminal else { return false }
            if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
            if environment["TERM"] == "dumb" { return false }
            return true
        }
    }

    /// `enablesColor` for the current console.
    public func enablesColor(on console: Console) -> Bool {
        enablesColor(isTerminal: console.isStandardOutputTerminal, environment: console.environment)
    }
}
