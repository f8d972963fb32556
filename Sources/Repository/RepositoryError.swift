import Foundation

/// Everything the repository client refuses, with the URL, file or keyring to look at.
///
/// The messages are written for the person running the build: they say what was found, what
/// was expected, and usually what to change (a keyring path, a suite name, a mirror).
public enum RepositoryError: Error, CustomStringConvertible, Sendable {
    // MARK: APT configuration
    /// A line or stanza of an APT sources file that cannot be understood.
    case invalidSource(file: String, line: Int, reason: String)

    // MARK: Signatures
    /// The keyring a source names does not exist or cannot be read.
    case keyringMissing(keyring: String, url: String)
    /// `InRelease` carries no OpenPGP signature at all (for example a plain `Release`).
    case unsigned(url: String)
    /// The signature does not match the signed text.
    case badSignature(url: String, keyring: String, detail: String)
    /// The signature is good, but made by a key that is not in the keyring.
    case unknownSigner(url: String, keyring: String, keyID: String)
    /// The signing key is expired or revoked.
    case untrustedSigner(url: String, keyring: String, detail: String)
    /// `gpgv` itself could not be run or failed without a status we understand.
    case verifierFailed(url: String, keyring: String, detail: String)

    // MARK: Release
    /// The Release text is missing a field or has one that cannot be parsed.
    case invalidRelease(url: String, reason: String)
    /// `Valid-Until` lies in the past: the mirror is stale or the file is replayed.
    case expired(url: String, validUntil: String)
    /// The Release file does not list the index a source asks for.
    case indexNotListed(url: String, component: String, architecture: String, listed: [String])

    // MARK: Downloads
    /// The server answered, but not with the file (404, 403, 500...).
    case httpStatus(url: String, status: Int, name: String)
    /// The transfer failed (after retries for transient errors).
    case transfer(url: String, name: String, attempts: Int, detail: String)
    /// The downloaded bytes are not the bytes the signed index promises.
    case integrity(url: String, name: String, detail: String)
    /// A downloaded index could not be decompressed.
    case decompression(url: String, detail: String)
    /// The URL scheme is neither http, https nor file.
    case unsupportedURL(url: String)

    public var description: String {
        switch self {
        case let .invalidSource(file, line, reason):
            return "\(file):\(line): \(reason)"
        case let .keyringMissing(keyring, url):
            return "\(url): keyring \(keyring) does not exist or is not readable; "
                + "install the archive's keyring package or fix Signed-By / the manifest's keyring"
        case let .unsigned(url):
            return "\(url) is not signed (no OpenPGP signature found); refusing an unsigned repository index"
        case let .badSignature(url, keyring, detail):
            return "\(url): BAD signature checked against \(keyring) (\(detail)); the file was altered or is corrupt"
        case let .unknownSigner(url, keyring, keyID):
            return "\(url) is signed by key \(keyID), which is not in \(keyring); "
                + "add the archive's key to the keyring or point the source at the right keyring"
        case let .untrustedSigner(url, keyring, detail):
            return "\(url): the signing key in \(keyring) cannot be trusted: \(detail)"
        case let .verifierFailed(url, keyring, detail):
            return "\(url): gpgv could not verify against \(keyring): \(detail)"
        case let .invalidRelease(url, reason):
            return "\(url): invalid Release data: \(reason)"
        case let .expired(url, validUntil):
            return "\(url) expired at \(validUntil) (Valid-Until); the mirror is out of date or serves a replayed "
                + "file — use a current mirror"
        case let .indexNotListed(url, component, architecture, listed):
            let shown = listed.prefix(6).joined(separator: ", ")
            return "\(url) lists no Packages index for \(component)/binary-\(architecture)"
                + (listed.isEmpty ? "" : " (it lists e.g. \(shown))")
                + "; check the suite, component and architecture"
        case let .httpStatus(url, status, name):
            return "\(name): \(url) answered HTTP \(status)"
        case let .transfer(url, name, attempts, detail):
            let tries = attempts == 1 ? "" : " after \(attempts) attempts"
            return "\(name): downloading \(url) failed\(tries): \(detail)"
        case let .integrity(url, name, detail):
            return "\(name) from \(url) does not match the signed index: \(detail)"
        case let .decompression(url, detail):
            return "\(url): cannot decompress: \(detail)"
        case let .unsupportedURL(url):
            return "\(url): only http://, https:// and file:// URLs are supported"
        }
    }
}
