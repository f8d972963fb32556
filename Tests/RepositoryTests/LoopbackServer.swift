import Foundation
import TestSupport

/// A Python HTTP server on 127.0.0.1 with a kernel-chosen port, started by a test and
/// terminated when the value is released. The script prints its port first, so the test knows
/// the server is listening before it makes a request.
final class LoopbackServer: @unchecked Sendable {
    let process: Process
    /// The server's stdin: it exits when this closes, so even a crashed test run (which
    /// never calls `stop()`) leaves no server behind.
    let lifeline = Pipe()
    let port: Int
    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)") ?? URL(fileURLWithPath: "/") }

    static var python: String? {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") ? "/usr/bin/python3" : Tools.find("python3")
    }

    /// Serves `directory` like `python3 -m http.server`.
    static func files(_ directory: String) throws -> LoopbackServer {
        try LoopbackServer(script: """
            import functools, http.server, sys
            class Quiet(http.server.SimpleHTTPRequestHandler):
                def log_message(self, *args): pass
            handler = functools.partial(Quiet, directory=sys.argv[1])
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """, arguments: [directory])
    }

    /// Answers every request with `Content-Length: declared` but sends only `sent` bytes,
    /// then closes the connection: a download cut off in the middle.
    static func truncating(declared: Int, sent: Int) throws -> LoopbackServer {
        try LoopbackServer(script: """
            import socket, sys, threading
            declared, sent = int(sys.argv[1]), int(sys.argv[2])
            listener = socket.socket(); listener.bind(("127.0.0.1", 0)); listener.listen(16)
            print(listener.getsockname()[1], flush=True)
            def answer(connection):
                try:
                    data = b""
                    while b"\\r\\n\\r\\n" not in data:
                        chunk = connection.recv(4096)
                        if not chunk: break
                        data += chunk
                    connection.sendall(b"HTTP/1.1 200 OK\\r\\nContent-Length: %d\\r\\nConnection: close\\r\\n\\r\\n" % declared)
                    connection.sendall(b"x" * sent)
                finally:
                    connection.close()
            while True:
                connection, _ = listener.accept()
                threading.Thread(target=answer, args=(connection,), daemon=True).start()
            """, arguments: [String(declared), String(sent)])
    }

    init(script: String, arguments: [String]) throws {
        guard let python = Self.python else { throw FixtureError("python3 is not installed") }
        let output = Pipe()
        process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-u", "-c", Self.watchdog + script] + arguments
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        process.standardInput = lifeline
        try process.run()
        // The first line is the port; reading it blocks until the server listens.
        var line = Data()
        let reader = output.fileHandleForReading
        while true {
            let byte = reader.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw FixtureError("the loopback server did not start")
        }
        self.port = port
    }

    /// Prepended to every script: exit as soon as the test process's end of stdin closes.
    static let watchdog = """
        import os as _os, sys as _sys, threading as _threading
        def _watch():
            while _sys.stdin.buffer.read(1): pass
            _os._exit(0)
        _threading.Thread(target=_watch, daemon=True).start()

        """

    /// Kills the server and reaps it. Not `terminate()` + `waitUntilExit()`: on Linux that
    /// wait can spin forever when it runs on a task's thread rather than the one that started
    /// the process.
    func stop() {
        try? lifeline.fileHandleForWriting.close()
        guard process.isRunning else { return }
        let pid = process.processIdentifier
        kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
    }

    deinit { stop() }
}
