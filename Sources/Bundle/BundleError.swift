import Crypto
import SystemIO
import Zstd

/// Errors from writing and reading update bundles.
///
/// A host reads bundles it did not build, so every structural problem of the archive gets its
/// own case and a message that names the member, the offset or the field, and what was
/// expected instead. Payload problems always name the payload's role, because that is what
/// an operator can act on ("the verity payload is corrupt: download again").
public enum BundleError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file does not start with a ustar header (wrong magic or header checksum).
    case notATar(path: String, detail: String)
    /// The file ends before the structure it announces (a header, member data or the
    /// end-of-archive marker).
    case truncated(path: String, offset: UInt64, expected: String)
    /// A ustar header field that cannot be read (a size that is not octal, an unsupported
    /// member type...).
    case invalidHeader(offset: UInt64, field: String, problem: String)
    /// The first member is not `manifest.json`.
    case firstMemberNotManifest(found: String)
    /// The manifest or signature member is larger than a reader accepts before verifying.
    case memberTooLarge(name: String, size: UInt64, limit: UInt64)
    /// The manifest JSON is malformed or a field has a value outside what format 1 allows.
    case invalidManifest(field: String, problem: String)
    /// The bundle carries no `manifest.json.p7s`.
    case unsigned
    /// The manifest signature does not verify against the trusted certificate.
    case badSignature(subject: String, detail: String)
    /// A payload's size or hash differs from the manifest.
    case payloadMismatch(role: UpdateBundle.PayloadRole, what: String)
    /// The archive ends (or reaches its end-of-archive marker) before a payload the manifest lists.
    case payloadMissing(role: UpdateBundle.PayloadRole, file: String)
    /// A member that the manifest does not announce at this position.
    case unexpectedMember(name: String, position: Int, expected: String)
    /// A member name that could escape the extraction directory or is not a plain file name.
    case unsafeMemberName(String)
    /// `streamPayload`/`resign` named a role the manifest does not list.
    case unknownRole(UpdateBundle.PayloadRole, known: [UpdateBundle.PayloadRole])
    /// A parameter of `write`/`resign` outside what the format allows.
    case invalidArgument(String)
    /// The path is not a regular file (a FIFO, a socket, a directory...).
    case unreadable(path: String, reason: String)
    /// Bytes after the end-of-archive marker, where `tar x -i` would find more members.
    case trailingData(offset: UInt64, bytes: UInt64)
    /// A system call failed; `errno` is the C error number.
    case io(operation: String, path: String, errno: Int32)
    /// Signing the manifest failed (key and certificate do not match, OpenSSL error).
    case signing(String)
    /// Compressing a payload failed inside libzstd.
    case compression(role: UpdateBundle.PayloadRole, detail: String)

    public var description: String {
        switch self {
        case .notATar(let path, let detail):
            return "\(path) is not an update bundle: \(detail); a bundle is a ustar archive starting with manifest.json"
        case .truncated(let path, let offset, let expected):
            return "\(path) is truncated: it ends at byte \(offset) where \(expected) should be; "
                + "the file was not copied or downloaded completely"
        case .invalidHeader(let offset, let field, let problem):
            return "tar header at byte \(offset): field \(field) \(problem)"
        case .firstMemberNotManifest(let found):
            return "the first archive member is \"\(found)\"; an update bundle starts with manifest.json"
        case .memberTooLarge(let name, let size, let limit):
            return "member \(name) has \(size) bytes; a reader accepts at most \(limit) bytes for it before it is verified"
        case .invalidManifest(let field, let problem):
            return "manifest.json is invalid: \(field) \(problem)"
        case .unsigned:
            return "the bundle is unsigned (no manifest.json.p7s member); sign it with `resign` before installing it"
        case .badSignature(let subject, let detail):
            return "the manifest signature does not verify with the trusted certificate \(subject): \(detail)"
        case .payloadMismatch(let role, let what):
            return "payload \(role) does not match the manifest: \(what)"
        case .payloadMissing(let role, let file):
            return "payload \(role) (\(file)) is missing from the archive"
        case .unexpectedMember(let name, let position, let expected):
            return "unexpected archive member \"\(name)\" at position \(position); expected \(expected)"
        case .unsafeMemberName(let name):
            return "archive member name \"\(name)\" is unsafe; bundle members are plain file names "
                + "(letters, digits, '.', '-', '_', no '/' and not '.' or '..')"
        case .unknownRole(let role, let known):
            return "the bundle has no payload with role \"\(role)\"; it has \(known.map(\.rawValue).joined(separator: ", "))"
        case .invalidArgument(let text):
            return text
        case .unreadable(let path, let reason):
            return "cannot read \(path) as an update bundle: \(reason)"
        case .trailingData(let offset, let bytes):
            return "\(bytes) bytes follow the end-of-archive marker at byte \(offset); a bundle ends there "
                + "(extracting with `tar -i` would find them), so it was altered after it was written"
        case .io(let operation, let path, let code):
            return "could not \(operation) \(path): \(Errno(code))"
        case .signing(let detail):
            return "could not sign the bundle manifest: \(detail)"
        case .compression(let role, let detail):
            return "could not compress payload \(role): \(detail)"
        }
    }
}
