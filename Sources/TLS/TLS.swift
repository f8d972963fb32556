internal import CSSL
import Crypto
import SystemIO

/// TLS client sessions over a connected `SystemIO.Socket`, through OpenSSL's libssl: the one
/// Swift module over it (`CSSL`), exposing no C types; its error text comes from
/// `Crypto`'s one helper over the shared libcrypto error queue. Only the agent's closure links it
/// (through `HTTPSource`); the statically linked init does not.
///
/// ```
///  TLS.Context     SSL_CTX: TLS 1.2 or later, the peer's chain verified (SSL_VERIFY_PEER)
///        │         against the certificate authorities (`Authorities`); never unverified
///        ▼
///  TLS.Session     SSL: SNI and the expected host name (SSL_set1_host, or the IP address
///        │         for a literal), handshake, then reads and writes
///        ▼
///  socket BIO      a BIO method whose reads and writes are the socket's own `receive` and
///                  `send`: every byte goes through SystemIO's funnel, keeps its timeouts
///                  (SO_RCVTIMEO/SO_SNDTIMEO) and sends with MSG_NOSIGNAL
/// ```
///
/// The socket is blocking with timeouts, so libssl never needs to wait for readiness: a
/// timeout is the socket's ETIMEDOUT error, carried as `TLSError.transport`.
public enum TLS {
    /// The system's CA bundle (Debian's ca-certificates), used when it exists.
    public static let systemBundle = "/etc/ssl/certs/ca-certificates.crt"

    /// The certificate authorities a server's chain must lead to.
    public enum Authorities: Hashable, Sendable, CustomStringConvertible {
        /// `TLS.systemBundle` when present, else OpenSSL's default locations
        /// (SSL_CTX_set_default_verify_paths: OPENSSLDIR's cert.pem and certs/).
        case system
        /// The certificates of one PEM file, and only those.
        case file(String)

        public var description: String {
            switch self {
            case .system: return "the system's certificate authorities"
            case .file(let path): return "the certificate authorities in \(path)"
            }
        }
    }

    /// An SSL_CTX for clients, its trust loaded; freed in `deinit`. Immutable once made, so
    /// sessions on several threads may share it (OpenSSL locks what it changes inside).
    public final class Context: @unchecked Sendable {
        let handle: OpaquePointer
        public let authorities: Authorities

        public init(authorities: Authorities = .system) throws(TLSError) {
            ERR_clear_error()
            guard let method = TLS_client_method(), let handle = SSL_CTX_new(method) else {
                throw .setup(operation: "create a TLS client context", reasons: drainOpenSSLErrors())
            }
            self.handle = handle
            self.authorities = authorities
            guard hostimg_ssl_ctx_set_min_tls12(handle) == 1 else {
                throw .setup(operation: "require TLS 1.2 or later", reasons: drainOpenSSLErrors())
            }
            SSL_CTX_set_verify(handle, SSL_VERIFY_PEER, nil)
            try load(authorities)
        }

        deinit { SSL_CTX_free(handle) }

        private func load(_ authorities: Authorities) throws(TLSError) {
            switch authorities {
            case .file(let path):
                guard SSL_CTX_load_verify_locations(handle, path, nil) == 1 else {
                    throw .authorities(path: path, reasons: drainOpenSSLErrors())
                }
            case .system where SystemIO.exists(TLS.systemBundle):
                guard SSL_CTX_load_verify_locations(handle, TLS.systemBundle, nil) == 1 else {
                    throw .authorities(path: TLS.systemBundle, reasons: drainOpenSSLErrors())
                }
            case .system:
                guard SSL_CTX_set_default_verify_paths(handle) == 1 else {
                    throw .authorities(path: "OpenSSL's default locations", reasons: drainOpenSSLErrors())
                }
            }
        }
    }
}
