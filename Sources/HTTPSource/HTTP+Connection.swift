import SystemIO
import TLS

extension HTTP {
    /// One TCP connection (TLS over it for https), its receiving side buffered: lines for the
    /// head and chunk sizes, raw reads for the body. Every bound is checked before the buffer
    /// grows, so a hostile server cannot make it allocate more than `capacity` bytes.
    final class Connection {
        let socket: SystemIO.Socket
        /// For https: the session over `socket`, its handshake done and the server verified.
        let session: TLS.Session?
        let url: URL
        static let capacity = 64 << 10
        private var buffer = [UInt8](repeating: 0, count: capacity)
        private var start = 0
        private var end = 0

        /// Connects to `url`'s host; for https, `tls` is the context its server is verified in.
        init(url: URL, timeout: Duration, tls: TLS.Context?) throws(HTTPError) {
            self.url = url
            do {
                socket = try SystemIO.Socket.connect(host: url.host, port: url.port, timeout: timeout)
            } catch {
                throw .connection(url: url.description, error)
            }
            guard let tls else {
                session = nil
                return
            }
            do {
                session = try TLS.Session(context: tls, socket: socket, host: url.host)
            } catch {
                throw Self.error(error, url: url)
            }
        }

        /// The peer ended TLS without close_notify: a body that ends at the close may be cut.
        var closedWithoutNotify: Bool { session?.closedWithoutNotify ?? false }

        /// A socket error under TLS reads as one without it (a timeout is a timeout).
        static func error(_ error: TLSError, url: URL) -> HTTPError {
            if case .transport(let cause) = error { return .connection(url: url.description, cause) }
            return .tls(url: url.description, error)
        }

        func send(_ text: String) throws(HTTPError) {
            if let session {
                do {
                    try session.write(Array(text.utf8))
                } catch {
                    throw Self.error(error, url: url)
                }
                return
            }
            do {
                try socket.send(Array(text.utf8))
            } catch {
                throw .connection(url: url.description, error)
            }
        }

        /// One receive from the socket, or one TLS read over it.
        private func receive(into destination: UnsafeMutableRawBufferPointer) throws(HTTPError) -> Int {
            if let session {
                do {
                    return try session.read(into: destination)
                } catch {
                    throw Self.error(error, url: url)
                }
            }
            do {
                return try socket.receive(into: destination)
            } catch {
                throw .connection(url: url.description, error)
            }
        }

        /// Receive more into the buffer (compacting it first); false when the peer closed.
        private func fill() throws(HTTPError) -> Bool {
            if start > 0 {
                buffer.replaceSubrange(0..<(end - start), with: buffer[start..<end])
                end -= start
                start = 0
            }
            guard end < buffer.count else { return true }
            let received = buffer.withUnsafeMutableBytes { raw in
                Result { () throws(HTTPError) in try receive(into: UnsafeMutableRawBufferPointer(rebasing: raw[end...])) }
            }
            let count = try received.get()
            end += count
            return count > 0
        }

        /// One line without its CRLF (a bare LF is accepted too); nil when the connection
        /// closed before any byte of it. A line longer than `limit` is an error.
        func readLine(limit: Int = HTTP.maximumLineSize, what: String) throws(HTTPError) -> [UInt8]? {
            var scanned = start
            while true {
                if let newline = buffer[scanned..<end].firstIndex(of: UInt8(ascii: "\n")) {
                    var line = Array(buffer[start..<newline])
                    start = newline + 1
                    if line.last == UInt8(ascii: "\r") { line.removeLast() }
                    return line
                }
                guard end - start <= limit else {
                    throw .malformedResponse(url: url.description, detail: "\(what) is longer than \(limit) bytes")
                }
                let before = end - start
                guard try fill() else {
                    if before == 0 { return nil }
                    throw .malformedResponse(url: url.description, detail: "the connection closed in the middle of \(what)")
                }
                scanned = start + before
            }
        }

        /// Up to `destination.count` bytes: buffered ones first, else one receive straight
        /// into `destination`; 0 when the peer closed.
        func read(into destination: UnsafeMutableRawBufferPointer) throws(HTTPError) -> Int {
            guard !destination.isEmpty else { return 0 }
            if start < end {
                let count = min(destination.count, end - start)
                buffer.withUnsafeBytes { raw in
                    destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<(start + count)]))
                }
                start += count
                return count
            }
            return try receive(into: destination)
        }
    }
}
