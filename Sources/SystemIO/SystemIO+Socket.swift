import Glibc

/// A socket address as the kernel takes it (`struct sockaddr_in` or `sockaddr_in6`, the
/// bytes getaddrinfo(3) returned), with its family.
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible {
    /// AF_INET, AF_INET6 or AF_UNIX.
    public var family: Int32
    /// The `sockaddr_*` structure, `ai_addrlen` bytes (for AF_UNIX the family, the path and
    /// its NUL).
    public var bytes: [UInt8]

    public init(family: Int32, bytes: [UInt8]) {
        self.family = family
        self.bytes = bytes
    }

    /// "127.0.0.1" or "::1" (inet_ntop(3)), or a Unix socket's path, for messages.
    public var description: String {
        if family == AF_UNIX { return unixPath ?? "(unnamed Unix socket)" }
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        // sin_addr sits at offset 4 of sockaddr_in, sin6_addr at offset 8 of sockaddr_in6.
        let offset = family == AF_INET6 ? 8 : 4
        let length = family == AF_INET6 ? 16 : 4
        guard bytes.count >= offset + length else { return "(address of family \(family))" }
        let address = Array(bytes[offset..<(offset + length)])
        let ok = address.withUnsafeBytes { raw in
            inet_ntop(family, raw.baseAddress, &text, socklen_t(text.count)) != nil
        }
        guard ok else { return "(address of family \(family))" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Which of a socket's timeouts (SO_RCVTIMEO, SO_SNDTIMEO).
public enum SocketDirection: Hashable, Sendable {
    case receive
    case send
}

/// A failed getaddrinfo(3): its EAI_* code and, for EAI_SYSTEM, errno.
public struct AddressLookupError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: Int32
    public var systemErrno: Int32

    public init(code: Int32, systemErrno: Int32) {
        self.code = code
        self.systemErrno = systemErrno
    }

    /// gai_strerror(3), or strerror(3) for EAI_SYSTEM.
    public var description: String {
        if code == EAI_SYSTEM { return Errno(systemErrno).description }
        guard let text = gai_strerror(code) else { return "getaddrinfo error \(code)" }
        return String(cString: text)
    }
}

extension SystemIO {
    /// A connected TCP or Unix stream socket, closed in `deinit`. Every failure is a `SystemIOError` whose
    /// path is "HOST port PORT" and whose operation names the call; a timeout is ETIMEDOUT
    /// with a detail that says how long was waited.
    public final class Socket: Sendable {
        public let descriptor: Int32
        /// "HOST port PORT", for messages.
        public let peer: String
        /// The address connected to.
        public let address: SocketAddress
        public let timeout: Duration
        let calls: any SystemCalls

        init(descriptor: Int32, peer: String, address: SocketAddress, timeout: Duration, calls: any SystemCalls) {
            self.descriptor = descriptor
            self.peer = peer
            self.address = address
            self.timeout = timeout
            self.calls = calls
        }

        deinit { try? calls.close(descriptor) }

        /// Resolves `host` and connects to its addresses in the resolver's order until one
        /// answers; `timeout` bounds each connect and, later, each send and receive.
        public static func connect(host: String, port: UInt16, timeout: Duration) throws(SystemIOError) -> Socket {
            let calls = SystemIO.calls
            let peer = "\(host) port \(port)"
            let addresses: [SocketAddress]
            do {
                addresses = try calls.resolve(host, port: port)
            } catch {
                throw SystemIOError(peer, "resolve the host name", code: error.code == EAI_SYSTEM ? error.systemErrno : EHOSTUNREACH,
                                    detail: error.description)
            }
            var failure = SystemIOError(peer, "resolve the host name", code: EHOSTUNREACH, detail: "it has no IPv4 or IPv6 address")
            for address in addresses {
                do {
                    return try connect(to: address, peer: peer, timeout: timeout, calls: calls)
                } catch {
                    failure = error
                }
            }
            throw failure
        }

        static func connect(
            to address: SocketAddress, peer: String, timeout: Duration, calls: any SystemCalls
        ) throws(SystemIOError) -> Socket {
            // A Unix socket's peer is already its path.
            let operation = address.family == AF_UNIX ? "connect" : "connect to \(address)"
            let descriptor: Int32
            do {
                descriptor = try calls.socket(family: address.family)
            } catch {
                throw SystemIOError(peer, "create a socket for \(address)", error)
            }
            let socket = Socket(descriptor: descriptor, peer: peer, address: address, timeout: timeout, calls: calls)
            // A zero timeval would mean "wait forever": the shortest timeout is 1 ms.
            let bounded = max(timeout, .milliseconds(1))
            do {
                try calls.setTimeout(descriptor, .send, bounded)
                try calls.setTimeout(descriptor, .receive, bounded)
            } catch {
                throw SystemIOError(peer, "set the socket timeouts (SO_SNDTIMEO, SO_RCVTIMEO)", error)
            }
            do {
                try calls.connect(descriptor, to: address)
            } catch let error where error.code == EINPROGRESS || error.code == EAGAIN {
                throw SystemIOError(peer, operation, code: ETIMEDOUT, detail: "no answer within \(timeout)")
            } catch {
                throw SystemIOError(peer, operation, error)
            }
            return socket
        }

        /// Sends all of `bytes`.
        public func send(_ bytes: [UInt8]) throws(SystemIOError) {
            try bytes.withBytes { buffer throws(SystemIOError) in
                var done = 0
                while done < buffer.count {
                    let rest = UnsafeRawBufferPointer(rebasing: buffer[done...])
                    done += try call("send \(buffer.count) bytes") { () throws(Errno) in try calls.send(descriptor, rest) }
                }
            }
        }

        /// Up to `buffer.count` bytes as they arrive; 0 when the peer closed the connection.
        public func receive(into buffer: UnsafeMutableRawBufferPointer) throws(SystemIOError) -> Int {
            try call("receive") { () throws(Errno) in try calls.recv(descriptor, into: buffer) }
        }

        /// One call, retried on EINTR; a timeout (EAGAIN) becomes ETIMEDOUT saying how long.
        private func call<T>(_ operation: @autoclosure () -> String, _ body: () throws(Errno) -> T) throws(SystemIOError) -> T {
            while true {
                do {
                    return try body()
                } catch let error where error.code == EINTR {
                    continue
                } catch let error where error.code == EAGAIN || error.code == EWOULDBLOCK {
                    throw SystemIOError(peer, operation(), code: ETIMEDOUT, detail: "nothing for \(timeout)")
                } catch {
                    throw SystemIOError(peer, operation(), error)
                }
            }
        }
    }
}
