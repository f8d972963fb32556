import Foundation
import Glibc
import Synchronization
import TestSupport

/// Drives a booted QEMU guest by typing commands on its serial console, the way a person at
/// the console would, so a test can ask the guest anything (`systemctl --failed`, `cat
/// /proc/cmdline`) instead of baking every question into the image.
///
/// The caller gives the machine, firmware and disk arguments (direct kernel boot today,
/// `-drive if=pflash` OVMF boot later); the console adds only the serial wiring: the guest's
/// first serial port is QEMU's stdio, carried over pipes. Pipes rather than a socket because
/// QEMU drops what a socket chardev prints while no client is connected, and the early boot
/// is what a failure report needs. QEMU reads the pipe only while the UART has room, so
/// typed text is never lost to a full FIFO.
///
/// Everything the guest prints goes to `logPath` as it arrives (the whole boot, for a
/// post-mortem), and every failure carries the log's tail. Nothing waits past its deadline;
/// a guest still running when the console is dropped is killed.
final class GuestConsole: Sendable {
    /// A wait that ran out, or a guest that stopped; `description` ends with the console tail.
    struct Failure: Error, CustomStringConvertible {
        var message: String
        var tail: String
        var logPath: String
        var description: String { "\(message)\n--- last console output (\(logPath)) ---\n\(tail)" }
    }

    let logPath: String
    private let process: Process
    private let input: FileHandle
    private let transcript: Transcript
    private let started = ContinuousClock.now
    /// Numbers the markers of each command, so no marker can match an earlier command's.
    private let counter = Mutex(0)

    static var binary: String? { Tools.find("qemu-system-x86_64") }

    /// Starts QEMU with `arguments` (machine, CPU, memory, firmware or kernel, drives, NICs;
    /// no `-serial`, `-monitor` or `-nographic`), its first serial port on this console and
    /// its stderr beside the log as `LOG.stderr`. `executable` replaces QEMU (the harness's
    /// own tests use a shell that plays a guest).
    init(arguments: [String], logPath: String, executable: String? = nil) throws {
        guard let qemu = executable ?? Self.binary else {
            throw Failure(message: "qemu-system-x86_64 is not installed; install qemu-system-x86", tail: "", logPath: logPath)
        }
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        _ = FileManager.default.createFile(atPath: logPath + ".stderr", contents: nil)
        guard let log = FileHandle(forWritingAtPath: logPath),
              let errors = FileHandle(forWritingAtPath: logPath + ".stderr") else {
            throw Failure(message: "cannot write the console log \(logPath); is its directory writable?", tail: "", logPath: logPath)
        }
        self.logPath = logPath
        transcript = Transcript(log: log)
        let stdin = Pipe()
        let stdout = Pipe()
        process = Process()
        process.executableURL = URL(fileURLWithPath: qemu)
        process.arguments = arguments + [
            "-display", "none", "-monitor", "none",
            "-chardev", "stdio,id=console0,signal=off", "-serial", "chardev:console0",
        ]
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = errors
        input = stdin.fileHandleForWriting
        try process.run()
        let output = stdout.fileHandleForReading
        let transcript = transcript
        // read(2) itself, retried on EINTR: FileHandle.availableData answers an interrupted
        // read (a SIGCHLD from any other test's child) with empty data, which looks like EOF
        // and ended the transcript while the guest went on printing.
        Thread.detachNewThread {
            var buffer = [UInt8](repeating: 0, count: 1 << 16)
            while true {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(output.fileDescriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    transcript.append(Data(buffer[0..<count]))
                } else if count < 0 && errno == EINTR {
                    continue
                } else {
                    break
                }
            }
        }
    }

    deinit {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
    }

    /// Seconds since QEMU started.
    var elapsed: Double { Self.seconds(ContinuousClock.now - started) }

    var isRunning: Bool { process.isRunning }

    /// Bytes of console output so far: an offset for `wait(for:after:)` and `text(after:)`.
    var offset: Int { transcript.count }

    /// What the guest printed after `offset` (CR removed).
    func text(after offset: Int) -> String { transcript.text(from: offset).replacingOccurrences(of: "\r", with: "") }

    /// Everything the guest printed so far (CR removed).
    var text: String { transcript.text(from: 0).replacingOccurrences(of: "\r", with: "") }

    /// Waits until the guest prints `marker` (anywhere after byte `offset` of the console
    /// output); returns the seconds since QEMU started. Throws, with the console tail, at the
    /// deadline or when QEMU exits first.
    @discardableResult
    func wait(for marker: String, timeout: Duration, after offset: Int = 0) async throws -> Double {
        _ = try await waitUntil(timeout: timeout, what: "'\(marker)'", from: offset) { text in
            text.range(of: marker).map { _ in () }
        }
        return elapsed
    }

    /// Types `text` on the console as it is (add "\n" to enter a line).
    func type(_ text: String) throws {
        do { try input.write(contentsOf: Data(text.utf8)) } catch {
            throw failure("cannot type on the console (QEMU's stdin is closed: did the guest stop?): \(error)")
        }
    }

    /// Runs `command` in the guest's shell and returns what it printed (stdout and stderr as
    /// the shell's terminal shows them, CR removed, the echoed input left out) and its exit
    /// status. The command is framed by markers typed so that their echo differs from their
    /// output (`echo __B7_""_` prints `__B7__`), and reads /dev/null so it cannot eat the next
    /// command. Needs a shell at a prompt: `loginShell` first.
    func run(_ command: String, timeout: Duration = .seconds(60)) async throws -> (output: String, status: Int32) {
        let id = counter.withLock { value in value += 1; return value }
        let begin = "__B\(id)__\n"
        let end = "__E\(id)__ "
        let offset = transcript.count
        try type("echo __B\(id)_\"\"_; { \(command)\n} </dev/null; echo __E\(id)_\"\"_ $?\n")
        return try await waitUntil(timeout: timeout, what: "the end of '\(command)'", from: offset) { text in
            guard let open = text.range(of: begin), let close = text.range(of: end, range: open.upperBound..<text.endIndex),
                  let newline = text[close.upperBound...].firstIndex(of: "\n"),
                  let status = Int32(text[close.upperBound..<newline]) else { return nil }
            return (String(text[open.upperBound..<close.lowerBound]), status)
        }
    }

    /// Waits for the autologin on the serial console, then makes the shell easy to drive: no
    /// echo, no prompt, no colours, no pager, no kernel messages on the console, wide lines.
    /// Retypes its first command until it answers, since login may flush what was typed while
    /// it set the terminal up. Returns the seconds from QEMU's start to a working shell.
    func loginShell(timeout: Duration, after offset: Int = 0) async throws -> Double {
        let deadline = ContinuousClock.now + timeout
        try await wait(for: "(automatic login)", timeout: timeout, after: offset)
        let setup = "stty -echo cols 512; export PS1= PS2= PROMPT_COMMAND= TERM=dumb PAGER=cat SYSTEMD_PAGER= SYSTEMD_COLORS=0 COLUMNS=512; dmesg -n 1 2>/dev/null"
        while ContinuousClock.now < deadline {
            let id = counter.withLock { value in value += 1; return value }
            let offset = transcript.count
            try type("\(setup); echo __S\(id)_\"\"_\n")
            let remaining = min(.seconds(5), deadline - ContinuousClock.now)
            do {
                try await wait(for: "__S\(id)__", timeout: remaining, after: offset)
                return elapsed
            } catch where process.isRunning {
                // Login may have flushed what was typed: type it again. A guest that stopped
                // is reported as such by the rethrow below.
            }
        }
        throw failure("the serial console gave no working shell within \(timeout) (is autologin on ttyS0 configured?)")
    }

    /// Types `systemctl poweroff` and waits for QEMU to exit; kills it at the deadline and
    /// throws then, since a guest that cannot power off is a failure of its own.
    func powerOff(timeout: Duration = .seconds(120)) async throws {
        if process.isRunning { try? type("systemctl poweroff\n") }
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
        guard !process.isRunning else {
            kill()
            throw failure("the guest did not power off within \(timeout); QEMU was killed")
        }
        process.waitUntilExit()
    }

    /// Kills QEMU at once (fault injection: a power cut).
    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// Polls the console text from `offset` until `match` finds something, QEMU exits or the
    /// deadline passes.
    private func waitUntil<T>(timeout: Duration, what: String, from offset: Int,
                              _ match: (String) -> T?) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while true {
            let text = transcript.text(from: offset).replacingOccurrences(of: "\r", with: "")
            if let found = match(text) { return found }
            if !process.isRunning {
                throw failure("QEMU exited (status \(process.terminationStatus)) before the guest printed \(what)")
            }
            if ContinuousClock.now >= deadline {
                throw failure("the guest did not print \(what) within \(timeout) (\(Int(elapsed)) s since QEMU started)")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    private func failure(_ message: String) -> Failure {
        Failure(message: message, tail: String(text.suffix(4000)), logPath: logPath)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

extension GuestConsole {
    /// The console output: kept in memory for the waits and written to the log as it comes.
    final class Transcript: Sendable {
        private let bytes = Mutex<[UInt8]>([])
        private let log: FileHandle

        init(log: FileHandle) { self.log = log }

        func append(_ chunk: Data) {
            bytes.withLock { $0.append(contentsOf: chunk) }
            try? log.write(contentsOf: chunk)
        }

        var count: Int { bytes.withLock { $0.count } }

        func text(from offset: Int) -> String {
            bytes.withLock { String(decoding: $0[min(offset, $0.count)...], as: UTF8.self) }
        }
    }
}
