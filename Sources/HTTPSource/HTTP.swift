import SystemIO
import TLS

/// A small HTTP/1.1 client for the on-host agent: `hostimg switch http://...` or `https://...`
/// streams an update bundle without a local copy (`HTTPBundleInput`).
///
/// Foundation-free (the agent links the Swift runtime, glibc, libcrypto and libssl only);
/// every socket call goes through `SystemIO.Socket` and so through the replaceable funnel,
/// TLS records included (`TLS.Session` reads and writes through the socket).
///
/// ```
///  HTTPBundleInput       UpdateBundle.Input: size from the first answer, positional reads
///        │               served from one open response while they move forward
///        ▼
///  HTTP.Client.get       one request per connection (Connection: close), redirects
///        │               (at most 5), timeouts
///        ▼
///  HTTP.Response         status line and headers (bounded: 64 KiB, 8 KiB a line, 100
///        │               fields), then the body by Content-Length, chunked or to the close
///        ▼
///  HTTP.Connection       a 64 KiB receive buffer over `SystemIO.Socket`, or over a
///                        `TLS.Session` on it for https (TLS 1.2+, SNI, the chain and
///                        the host name verified; never unverified)
/// ```
///
/// `https://` verifies the server against the system's CA bundle, or against the one PEM
/// file `HTTP.Client(caFile:)` names (a private CA); a failure is `HTTPError.tls` with
/// OpenSSL's verify result ("certificate has expired", "hostname mismatch"). Redirects may
/// cross between http and https either way. The bundle's signature, not the transport, is
/// what a host trusts; TLS keeps the download private and its server authentic.
public enum HTTP {
    /// Largest status line plus header block accepted.
    public static let maximumHeaderSize = 64 << 10
    /// Largest single line (status, header field, chunk size) accepted.
    public static let maximumLineSize = 8 << 10
    /// Most header fields (and trailer fields) accepted in one response.
    public static let maximumHeaderCount = 100
}

/// What went wrong talking to a server; every message names the URL.
public enum HTTPError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The text is not an `http://host[:port]/path` URL.
    case invalidURL(String, reason: String)
    /// A scheme this client does not speak (anything but `http` and `https`).
    case unsupportedScheme(url: String, scheme: String)
    /// TLS failed: the CA file, the handshake, the server's certificate, or a record later.
    case tls(url: String, TLSError)
    /// A socket call failed: resolving, connecting, sending, receiving, or a timeout.
    case connection(url: String, SystemIOError)
    /// The server answered with a status the request cannot use (404, 500, 416...).
    case status(url: String, statusLine: String)
    /// The answer is not HTTP/1.x as RFC 9112 describes it, or exceeds a bound.
    case malformedResponse(url: String, detail: String)
    /// The connection closed before the body's announced end.
    case closedEarly(url: String, received: UInt64, expected: String)
    /// More redirects than the client follows.
    case tooManyRedirects(url: String, limit: Int)
    /// The resource is not the one it was at the first request (size or ETag changed).
    case changed(url: String, detail: String)
    /// The server did not say how large the resource is.
    case noSize(url: String, detail: String)

    public var description: String {
        switch self {
        case .invalidURL(let text, let reason):
            return "\"\(text)\" is not a usable URL: \(reason); expected http[s]://HOST[:PORT]/PATH"
        case .unsupportedScheme(let url, let scheme):
            return "\(url): \(scheme):// is not supported; serve the bundle over http:// or https:// "
                + "or copy it to the host first"
        case .tls(let url, let error):
            return "\(url): \(error)"
        case .connection(let url, let error):
            return "\(url): cannot \(error.operation) (\(error.path)): \(error.reason)"
        case .status(let url, let statusLine):
            return "\(url): the server answered \"\(statusLine)\""
        case .malformedResponse(let url, let detail):
            return "\(url): the server's answer is not valid HTTP/1.1: \(detail)"
        case .closedEarly(let url, let received, let expected):
            return "\(url): the server closed the connection after \(received) bytes of the body, before \(expected)"
        case .tooManyRedirects(let url, let limit):
            return "\(url): more than \(limit) redirects; giving up"
        case .changed(let url, let detail):
            return "\(url) changed while it was being read: \(detail); start again once the file on the server is complete"
        case .noSize(let url, let detail):
            return "\(url): the server did not say how large the bundle is (\(detail)); "
                + "the reader needs the size (Content-Length or Content-Range)"
        }
    }
}
