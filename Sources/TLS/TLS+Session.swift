internal import CSSL
import Crypto
import SystemIO

extension TLS {
    /// One client connection's TLS state (an SSL object over the socket), its handshake done
    /// and the server's chain verified for `host` when `init` returns; freed in `deinit`.
    /// One owner at a time, like the socket under it.
    public final class Session {
        public let host: String
        public let socket: SystemIO.Socket
        /// The peer ended the stream without a close_notify alert: what was received may be
        /// cut short, which only the framing of what was sent (a length) can rule out.
        public private(set) var closedWithoutNotify = false
        private let handle: OpaquePointer
        private let context: Context
        private let link: SocketLink
        private var ended = false
        /// libssl asks to retry only when a BIO says so, which the socket BIO never does;
        /// the bound keeps a misbehaving library from spinning.
        private static let retryLimit = 100

        /// Connects TLS over `socket`: SNI with `host` (unless it is an IP address), the
        /// certificate checked for `host` (a DNS name, or an IP address literal), the handshake.
        public init(context: Context, socket: SystemIO.Socket, host: String) throws(TLSError) {
            ERR_clear_error()
            guard let method = SocketLink.method, let handle = SSL_new(context.handle) else {
                throw .setup(operation: "create a TLS session", reasons: drainOpenSSLErrors())
            }
            self.handle = handle
            self.context = context
            self.host = host
            self.socket = socket
            link = SocketLink(socket)
            // Past here `deinit` runs on a throw and frees the SSL (and the BIO it owns).
            guard let bio = BIO_new(method) else { throw .setup(operation: "create the socket BIO", reasons: drainOpenSSLErrors()) }
            BIO_set_data(bio, Unmanaged.passUnretained(link).toOpaque())
            BIO_set_init(bio, 1)
            SSL_set_bio(handle, bio, bio)
            try expect(host)
            try handshake()
        }

        deinit { SSL_free(handle) }

        /// Sends all of `bytes`.
        public func write(_ bytes: [UInt8]) throws(TLSError) {
            var done = 0
            var retries = 0
            while done < bytes.count {
                ERR_clear_error()
                var written = 0
                let result = bytes.withUnsafeBytes { raw in
                    SSL_write_ex(handle, raw.baseAddress.map { $0 + done }, raw.count - done, &written)
                }
                if result == 1 {
                    done += written
                    continue
                }
                let code = SSL_get_error(handle, result)
                if let failure = link.takeFailure() { throw .transport(failure) }
                retries += 1
                guard (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) && retries < Self.retryLimit else {
                    throw .stream(operation: "send \(bytes.count) bytes", reasons: drainOpenSSLErrors())
                }
            }
        }

        /// Up to `buffer.count` bytes as they arrive; 0 at the end of the stream: after the
        /// peer's close_notify, or after a close without it (`closedWithoutNotify`).
        public func read(into buffer: UnsafeMutableRawBufferPointer) throws(TLSError) -> Int {
            guard let base = buffer.baseAddress, !buffer.isEmpty, !ended else { return 0 }
            for _ in 0..<Self.retryLimit {
                ERR_clear_error()
                var count = 0
                let result = SSL_read_ex(handle, base, buffer.count, &count)
                if result == 1 { return count }
                let code = SSL_get_error(handle, result)
                if code == SSL_ERROR_ZERO_RETURN {
                    ended = true
                    return 0
                }
                if code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE { continue }
                if let failure = link.takeFailure() { throw .transport(failure) }
                if Self.isUnexpectedEnd(code) {
                    ERR_clear_error()
                    ended = true
                    closedWithoutNotify = true
                    return 0
                }
                throw .stream(operation: "receive", reasons: drainOpenSSLErrors())
            }
            throw .stream(operation: "receive", reasons: ["libssl asked to retry \(Self.retryLimit) times"])
        }

        /// The name for SNI and the certificate check, or the IP address for the latter.
        private func expect(_ host: String) throws(TLSError) {
            let isAddress = host.utf8.contains(UInt8(ascii: ":"))
                || host.utf8.allSatisfy { $0 == UInt8(ascii: ".") || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) }
            if isAddress {
                // RFC 6066 section 3: no IP literal in SNI.
                guard let parameters = SSL_get0_param(handle), X509_VERIFY_PARAM_set1_ip_asc(parameters, host) == 1 else {
                    throw .setup(operation: "expect the IP address \(host) in the certificate", reasons: drainOpenSSLErrors())
                }
                return
            }
            guard hostimg_ssl_set_server_name(handle, host) == 1, SSL_set1_host(handle, host) == 1 else {
                throw .setup(operation: "expect the host name \(host) in the certificate", reasons: drainOpenSSLErrors())
            }
            SSL_set_hostflags(handle, UInt32(X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS))
        }

        private func handshake() throws(TLSError) {
            for _ in 0..<Self.retryLimit {
                ERR_clear_error()
                let result = SSL_connect(handle)
                if result == 1 {
                    let verdict = SSL_get_verify_result(handle)
                    guard SSL_get0_peer_certificate(handle) != nil, verdict == Int(X509_V_OK) else {
                        throw .certificate(host: host, reason: verdict == Int(X509_V_OK) ? "the server sent no certificate" : Self.text(verdict),
                                           authorities: context.authorities)
                    }
                    return
                }
                let code = SSL_get_error(handle, result)
                // The verdict first: after a failed verification libssl sends an alert, and
                // that send may fail too, but the verdict is what the person needs.
                let verdict = SSL_get_verify_result(handle)
                if verdict != Int(X509_V_OK) {
                    throw .certificate(host: host, reason: Self.text(verdict), authorities: context.authorities)
                }
                if let failure = link.takeFailure() { throw .transport(failure) }
                if code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE { continue }
                var reasons = drainOpenSSLErrors()
                if reasons.isEmpty && code == SSL_ERROR_SYSCALL { reasons = ["the server closed the connection"] }
                throw .handshake(host: host, reasons: reasons)
            }
            throw .handshake(host: host, reasons: ["libssl asked to retry \(Self.retryLimit) times"])
        }

        /// OpenSSL 3 reports a close without close_notify as SSL_R_UNEXPECTED_EOF_WHILE_READING;
        /// a bare SSL_ERROR_SYSCALL with an empty queue is the same from older behaviour.
        private static func isUnexpectedEnd(_ code: Int32) -> Bool {
            let first = ERR_peek_error()
            if code == SSL_ERROR_SYSCALL { return first == 0 }
            return code == SSL_ERROR_SSL && ERR_GET_REASON(first) == SSL_R_UNEXPECTED_EOF_WHILE_READING
        }

        /// X509_verify_cert_error_string: "certificate has expired", "hostname mismatch"...
        private static func text(_ verdict: Int) -> String {
            guard let text = X509_verify_cert_error_string(verdict) else { return "verify error \(verdict)" }
            return String(cString: text)
        }
    }
}

/// The socket a BIO reads and writes, and the socket's error when one of its calls failed
/// (libssl sees only -1; the session rethrows this).
final class SocketLink {
    let socket: SystemIO.Socket
    private var failure: SystemIOError?

    init(_ socket: SystemIO.Socket) { self.socket = socket }

    func takeFailure() -> SystemIOError? {
        defer { failure = nil }
        return failure
    }

    private static func of(_ bio: OpaquePointer?) -> SocketLink? {
        guard let bio, let data = BIO_get_data(bio) else { return nil }
        return Unmanaged<SocketLink>.fromOpaque(data).takeUnretainedValue()
    }

    /// A source/sink BIO method over `SocketLink`: no retries (the socket blocks, with
    /// timeouts), flush is a no-op (every write is sent at once), other controls unsupported.
    nonisolated(unsafe) static let method: OpaquePointer? = {
        guard let method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "hostimg socket") else { return nil }
        _ = BIO_meth_set_write(method) { bio, data, length in
            guard let link = SocketLink.of(bio), let data, length > 0 else { return length == 0 ? 0 : -1 }
            do throws(SystemIOError) {
                try link.socket.send(Array(UnsafeRawBufferPointer(start: data, count: Int(length))))
                return length
            } catch {
                link.failure = error
                return -1
            }
        }
        _ = BIO_meth_set_read(method) { bio, data, length in
            guard let link = SocketLink.of(bio), let data, length > 0 else { return length == 0 ? 0 : -1 }
            do throws(SystemIOError) {
                return Int32(try link.socket.receive(into: UnsafeMutableRawBufferPointer(start: data, count: Int(length))))
            } catch {
                link.failure = error
                return -1
            }
        }
        _ = BIO_meth_set_ctrl(method) { _, command, _, _ in command == BIO_CTRL_FLUSH ? 1 : 0 }
        return method
    }()
}
