import Foundation
import Testing
import TestSupport

/// server.py on 127.0.0.1 (and ::1 when the host has IPv6) with a kernel-chosen port,
/// serving a scratch directory, over TLS when given a certificate and key; killed when
/// released, and exiting on its own when the test process's end of its stdin closes.
final class TestServer: @unchecked Sendable {
    let scratch: ScratchDirectory
    let process = Process()
    let lifeline = Pipe()
    let port: Int
    let hasIPv6: Bool
    let scheme: String

    static var python: String? { Tools.find("python3") }
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("server.py").path

    init(tls: (certificate: String, key: String)? = nil) throws {
        guard let python = Self.python else { throw ServerError("python3 is not installed") }
        scratch = try ScratchDirectory()
        scheme = tls == nil ? "http" : "https"
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-u", Self.script, scratch.url.path] + (tls.map { ["--tls", $0.certificate, $0.key] } ?? [])
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = lifeline
        try process.run()
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        let fields = String(decoding: line, as: UTF8.self).split(separator: " ")
        guard fields.count == 2, let port = Int(fields[0]) else {
            kill(process.processIdentifier, SIGKILL)
            throw ServerError("the loopback server did not start (it printed \"\(String(decoding: line, as: UTF8.self))\")")
        }
        self.port = port
        hasIPv6 = fields[1] == "1"
    }

    /// "http://127.0.0.1:PORT/MODE/NAME" (https:// for a TLS server).
    func url(_ path: String, host: String = "127.0.0.1") -> String { "\(scheme)://\(host):\(port)/\(path)" }

    func put(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: scratch.url.appendingPathComponent(name))
    }

    deinit {
        try? lifeline.fileHandleForWriting.close()
        if process.isRunning {
            let pid = process.processIdentifier
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }
    }
}

let loopbackPython = ConditionTrait.enabled(if: TestServer.python != nil, "needs python3 for the loopback HTTP server")

/// Bytes that differ everywhere, so a read at a wrong offset is caught.
func pattern(_ count: Int, seed: UInt64 = 7) -> [UInt8] {
    var generator = SeededGenerator(seed: seed)
    return (0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
}

struct ServerError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
