import Crypto
import Glibc
import SystemIO

/// The certificates the running image accepts bundles from (AGENT.md, "Slots" and "Phase 0";
/// issue 15): every `*.pem` in `/usr/lib/hostimg/trust/`, baked into the image by the build
/// (the `host` stage writes the signing certificate there, named by its SHA-256), so it is
/// covered by the image's root hash and versioned with it.
///
/// Loading fails closed: no directory, a directory without a certificate, or any `*.pem`
/// that cannot be read or is not exactly one certificate is an error, and the switch installs
/// nothing. A trust store that is partly unreadable is not trusted in part: it was not what
/// the build wrote.
public struct TrustStore: Sendable, CustomStringConvertible {
    public static let defaultDirectory = "/usr/lib/hostimg/trust"
    /// The largest file read: a PEM certificate takes a few KiB.
    static let maximumFileSize = 1 << 20

    public struct Entry: Sendable {
        /// The file's name in `directory`.
        public var file: String
        public var certificate: Certificate
    }

    public let directory: String
    /// In file-name order; never empty.
    public let entries: [Entry]

    public var certificates: [Certificate] { entries.map(\.certificate) }

    /// SHA-256 of each certificate's DER, lowercase hex (`openssl x509 -outform DER | sha256sum`).
    public var fingerprints: [String] { entries.map(\.certificate.sha256Fingerprint) }

    /// For `status`: "/usr/lib/hostimg/trust: 1 certificate: sha256 3f2a…91 (/CN=…)".
    public var description: String {
        let count = entries.count == 1 ? "1 certificate" : "\(entries.count) certificates"
        let each = entries.map { "sha256 \($0.certificate.sha256Fingerprint) (\($0.certificate.subject))" }
        return "\(directory): \(count): " + each.joined(separator: ", ")
    }

    /// Every `*.pem` of `directory`, each one certificate; throws on the first problem.
    public static func load(directory: String = defaultDirectory) throws(TrustStoreError) -> TrustStore {
        let names: [String]
        do throws(SystemIOError) {
            names = try SystemIO.list(directory)
        } catch {
            if error.code == ENOENT { throw .missing(directory: directory) }
            throw .unreadableDirectory(directory: directory, reason: error.reason)
        }
        let files = names.filter { $0.hasSuffix(".pem") }
        guard !files.isEmpty else { throw .empty(directory: directory, others: names) }
        var entries: [Entry] = []
        for file in files {
            entries.append(Entry(file: file, certificate: try certificate(directory + "/" + file)))
        }
        return TrustStore(directory: directory, entries: entries)
    }

    static func certificate(_ path: String) throws(TrustStoreError) -> Certificate {
        let bytes: [UInt8]
        do throws(SystemIOError) {
            bytes = try SystemIO.readFile(path, limit: maximumFileSize)
        } catch {
            throw .unreadableFile(path: path, reason: error.reason)
        }
        let count = occurrences(of: Array("-----BEGIN CERTIFICATE-----".utf8), in: bytes)
        guard count <= 1 else { throw .severalCertificates(path: path, count: count) }
        do {
            return try Certificate(pem: bytes)
        } catch {
            throw .notACertificate(path: path, reason: "\(error)")
        }
    }

    static func occurrences(of marker: [UInt8], in bytes: [UInt8]) -> Int {
        guard !marker.isEmpty, bytes.count >= marker.count else { return 0 }
        return (0...(bytes.count - marker.count)).filter { bytes[$0..<$0 + marker.count].elementsEqual(marker) }.count
    }
}

/// Why the image has no usable trust store; each message names the file or directory, what
/// is wrong with it, and that nothing will be installed.
public enum TrustStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(directory: String)
    case unreadableDirectory(directory: String, reason: String)
    /// No `*.pem`; `others` are the names that are there.
    case empty(directory: String, others: [String])
    case unreadableFile(path: String, reason: String)
    case notACertificate(path: String, reason: String)
    case severalCertificates(path: String, count: Int)

    /// What was checked and what failed.
    public var problem: String {
        switch self {
        case let .missing(directory):
            return "\(directory) does not exist (an image built unsigned carries no trust store, and `hostimg sign` cannot add one; build the image signed)"
        case let .unreadableDirectory(directory, reason):
            return "cannot list \(directory): \(reason)"
        case let .empty(directory, others):
            let found = others.isEmpty ? "it is empty" : "it holds only \(others.joined(separator: ", "))"
            return "\(directory) holds no *.pem certificate (\(found))"
        case let .unreadableFile(path, reason):
            return "cannot read \(path): \(reason)"
        case let .notACertificate(path, reason):
            return "\(path) is not a PEM certificate: \(reason)"
        case let .severalCertificates(path, count):
            return "\(path) holds \(count) certificates; the trust store takes one per file"
        }
    }

    public var description: String {
        "\(problem). The image has no usable trust store, so no bundle signature can be checked and nothing will be installed (fail closed)."
    }
}
