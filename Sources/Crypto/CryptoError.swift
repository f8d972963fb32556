internal import COpenSSL

/// Errors from the libcrypto wrapper.
///
/// OpenSSL keeps a per-thread queue of errors, each with a library, a reason and often a
/// detail ("error:0480006C:PEM routines::no start line"). The wrapper drains that queue when a
/// call fails and keeps every line, because the last line alone is often generic ("PKCS7
/// routines::signature failure") while an earlier one says what actually went wrong.
public enum CryptoError: Error, CustomStringConvertible, Equatable, Sendable {
    /// An OpenSSL call failed; `reasons` is the drained error queue, oldest first.
    case openSSL(operation: String, reasons: [String])
    /// The private key is encrypted and no passphrase, or a wrong one, was given.
    case encryptedKey(source: String, passphraseGiven: Bool, reasons: [String])
    /// The private key is not the one the certificate was issued for.
    case keyDoesNotMatchCertificate(subject: String)
    /// The detached signature does not verify against the data and trusted certificate.
    case verificationFailed(reasons: [String])
    /// An argument outside what the operation accepts; the text names the value and the range.
    case invalidArgument(String)

    public var description: String {
        switch self {
        case .openSSL(let operation, let reasons):
            let detail = reasons.isEmpty ? "no error text from OpenSSL" : reasons.joined(separator: "; ")
            return "OpenSSL could not \(operation): \(detail)\(Self.hint(for: reasons))"
        case .encryptedKey(let source, let passphraseGiven, let reasons):
            let detail = reasons.isEmpty ? "" : " (OpenSSL: " + reasons.joined(separator: "; ") + ")"
            return passphraseGiven
                ? "could not decrypt the \(source) with the given passphrase; check the passphrase\(detail)"
                : "the \(source) is encrypted; pass its passphrase, or use an unencrypted key for development builds"
        case .keyDoesNotMatchCertificate(let subject):
            return "the private key does not belong to the certificate \(subject); "
                + "use the key that was generated together with this certificate"
        case .verificationFailed(let reasons):
            let detail = reasons.isEmpty ? "" : ": " + reasons.joined(separator: "; ")
            return "PKCS#7 signature does not verify\(detail) "
                + "(the data changed since signing, or it was signed by a different certificate)"
        case .invalidArgument(let text):
            return text
        }
    }

    /// Plain-language hints for the OpenSSL reasons people hit most often.
    private static func hint(for reasons: [String]) -> String {
        // A byte search, not `String.contains(String)`: that one lives in _StringProcessing,
        // and a single use links it and the regex parser (1.2 MB) into the initrd's
        // statically linked init, which links this module.
        func mentions(_ phrase: String) -> Bool {
            reasons.contains { reason in
                reason.utf8.count >= phrase.utf8.count
                    && (0...(reason.utf8.count - phrase.utf8.count)).contains { offset in
                        reason.utf8.dropFirst(offset).starts(with: phrase.utf8)
                    }
            }
        }
        if mentions("no start line") {
            return " (the input has no '-----BEGIN ...-----' block of the expected kind; "
                + "check that a key was not passed as a certificate or the other way round)"
        }
        if mentions("No such file") || mentions("no such file") {
            return " (check the path)"
        }
        return ""
    }
}

// MARK: - The one place where OpenSSL results become Swift errors

/// Drain this thread's OpenSSL error queue into readable lines, oldest first. Public for
/// `TLS`, whose libssl shares libcrypto's queue: one helper turns it into text.
public func drainOpenSSLErrors() -> [String] {
    var lines: [String] = []
    var buffer = [CChar](repeating: 0, count: 256)
    while true {
        let code = ERR_get_error()
        if code == 0 { break }
        ERR_error_string_n(code, &buffer, buffer.count)
        lines.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
    return lines
}

/// Start an operation with an empty error queue, so a failure reports only its own errors.
func resetOpenSSLErrors() {
    ERR_clear_error()
}

/// Check an OpenSSL status: most calls return 1 (or a positive count) on success and 0 or
/// a negative value on failure.
@discardableResult
func openSSLCheck(_ status: Int32, _ operation: @autoclosure () -> String) throws -> Int32 {
    guard status > 0 else {
        throw CryptoError.openSSL(operation: operation(), reasons: drainOpenSSLErrors())
    }
    return status
}

/// Check an OpenSSL call that returns a pointer, NULL meaning failure.
func openSSLCheck<Pointer>(_ pointer: Pointer?, _ operation: @autoclosure () -> String) throws -> Pointer {
    guard let pointer else {
        throw CryptoError.openSSL(operation: operation(), reasons: drainOpenSSLErrors())
    }
    return pointer
}
