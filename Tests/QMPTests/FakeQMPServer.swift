import Foundation
import Glibc
import QMP
import SystemIO
import TestSupport

/// A QMP server on a Unix socket in a scratch directory: it accepts one client and plays a
/// script on a thread of its own (test code, so plain Glibc calls rather than the funnel).
final class FakeQMPServer: @unchecked Sendable {
    let path: String
    private let listener: Int32
    private let finished = DispatchSemaphore(value: 0)

    /// Listens at `name` in `directory` and, on its own thread, runs `script` with the first
    /// client that connects.
    convenience init(in directory: ScratchDirectory, name: String = "fake.qmp",
                     script: @escaping @Sendable (FakeQMPPeer) -> Void) throws {
        try self.init(path: directory.path(name), script: script)
    }

    /// Listens at `path`.
    init(path: String, script: @escaping @Sendable (FakeQMPPeer) -> Void) throws {
        self.path = path
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        self.listener = listener
        guard listener >= 0, let address = SocketAddress.unix(path) else { throw FakeServerError.setup("socket") }
        let bound = address.bytes.withUnsafeBytes { raw in
            bind(listener, raw.baseAddress?.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        guard bound == 0, listen(listener, 4) == 0 else { throw FakeServerError.setup("bind/listen: \(errno)") }
        let finished = self.finished
        Thread.detachNewThread {
            defer { finished.signal() }
            var ready = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            // Long: the client is async test code, which a loaded run may start late.
            guard poll(&ready, 1, 300_000) == 1 else { return }
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            let peer = FakeQMPPeer(fd: client)
            script(peer)
            peer.close()
        }
    }

    /// Waits (at most 600 s) until the script has run and the client's socket is closed.
    func waitUntilDone() {
        _ = finished.wait(timeout: .now() + 600)
    }

    deinit { Glibc.close(listener) }
}

enum FakeServerError: Error { case setup(String) }

/// The server's side of one connection: lines out, commands in.
final class FakeQMPPeer: @unchecked Sendable {
    private var fd: Int32
    private var pending: [UInt8] = []

    init(fd: Int32) {
        self.fd = fd
    }

    /// Sends one message, ended by "\r\n" as QEMU ends them.
    func send(_ line: String) {
        let bytes = Array((line + "\r\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// The next command the client sent; nil when it closed or nothing came for 60 s (long:
    /// a loaded test run may pause the client's tasks for seconds).
    func receive() -> JSONValue? {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Array(pending[..<newline])
                pending.removeFirst(newline + 1)
                return try? JSONValue(parsing: line)
            }
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 600_000) == 1 else { return nil }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            pending += buffer[0..<count]
        }
    }

    /// Sends QEMU 7.2.22's greeting and answers `qmp_capabilities`.
    func greetAndNegotiate() {
        send(#"{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian test"}, "capabilities": ["oob"]}}"#)
        guard let command = receive(), command["execute"]?.string == "qmp_capabilities" else { return }
        reply(to: command, #"{}"#)
    }

    /// `{"return": RESULT, "id": ID}` for `command`.
    func reply(to command: JSONValue, _ result: String) {
        send(#"{"return": \#(result), "id": \#(command["id"]?.serialized ?? "null")}"#)
    }

    func event(_ name: String, data: String? = nil) {
        let data = data.map { #", "data": \#($0)"# } ?? ""
        send(#"{"timestamp": {"seconds": 1700000000, "microseconds": 123456}, "event": "\#(name)"\#(data)}"#)
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}
