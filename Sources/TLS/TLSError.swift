import SystemIO

/// What went wrong setting up or speaking TLS; each case carries OpenSSL's own text.
public enum TLSError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Making the context or the session failed (out of memory, a broken libssl).
    case setup(operation: String, reasons: [String])
    /// The certificate authorities could not be loaded (a missing file, no PEM certificate).
    case authorities(path: String, reasons: [String])
    /// The server's certificate chain does not verify for `host`; `reason` is OpenSSL's
    /// verify result ("certificate has expired", "hostname mismatch", ...).
    case certificate(host: String, reason: String, authorities: TLS.Authorities)
    /// The handshake failed otherwise (no common protocol version, not TLS at all, an alert).
    case handshake(host: String, reasons: [String])
    /// The socket failed or timed out under TLS; the socket's own error.
    case transport(SystemIOError)
    /// A TLS record could not be read or written after the handshake.
    case stream(operation: String, reasons: [String])

    public var description: String {
        switch self {
        case .setup(let operation, let reasons):
            return "cannot \(operation): \(Self.text(reasons))"
        case .authorities(let path, let reasons):
            return "cannot load certificate authorities from \(path): \(Self.text(reasons)); "
                + "give a PEM file of CA certificates"
        case .certificate(let host, let reason, let authorities):
            return "the server's certificate for \(host) does not verify: \(reason) (checked against \(authorities)); "
                + "if a private CA signed it, pass that CA's certificate as the CA file"
        case .handshake(let host, let reasons):
            return "the TLS handshake with \(host) failed: \(Self.text(reasons))"
        case .transport(let error):
            return error.description
        case .stream(let operation, let reasons):
            return "cannot \(operation) over TLS: \(Self.text(reasons))"
        }
    }

    private static func text(_ reasons: [String]) -> String {
        reasons.isEmpty ? "no error text from OpenSSL" : reasons.joined(separator: "; ")
    }
}
