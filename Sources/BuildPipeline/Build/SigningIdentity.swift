import Manifests
import Crypto
import Foundation
import SystemIO

/// The key and certificate that sign a build's verity root hashes and its update bundle.
///
/// Where they come from, in order: `--key`/`--cert` on the command line, the manifest's
/// `signing` section (a file or an environment variable holding the PEM), or — for a
/// manifest without `signing` — the development key kept in the cache, which `hostimg keygen`
/// can also write. A development-signed build says so on every run and in its report.
public struct SigningIdentity: Sendable {
    public let key: PrivateKey
    public let certificate: Certificate
    /// "keys/signing.key", "$HOSTIMG_SIGNING_KEY", "development key in /root/.cache/hostimg/…".
    public let source: String

    /// The subject marker `hostimg keygen` and the cache's development key carry.
    public static let developmentCommonName = "hostimg development key"

    public init(key: PrivateKey, certificate: Certificate, source: String) throws {
        guard key.matches(certificate) else {
            throw SigningError("the key from \(source) does not match the certificate \(certificate.subject)",
                               hint: "pass the certificate that was issued for this key")
        }
        self.key = key
        self.certificate = certificate
        self.source = source
    }

    /// True for certificates made by `hostimg keygen` (or the cache's development key): images
    /// signed with them must never reach a fleet.
    public var isDevelopment: Bool { Self.isDevelopment(certificate) }

    public static func isDevelopment(_ certificate: Certificate) -> Bool {
        certificate.subject.contains(developmentCommonName)
    }

    /// Key and certificate from PEM files.
    public static func load(keyFile: String, certificateFile: String) throws -> SigningIdentity {
        let key: PrivateKey
        let certificate: Certificate
        do {
            key = try PrivateKey(pemFile: keyFile)
        } catch {
            throw SigningError("cannot read the signing key \(keyFile): \(error)",
                               hint: "a PEM private key (`hostimg keygen` writes one)")
        }
        do {
            certificate = try Certificate(pemFile: certificateFile)
        } catch {
            throw SigningError("cannot read the certificate \(certificateFile): \(error)",
                               hint: "a PEM X.509 certificate (`hostimg keygen` writes one)")
        }
        return try SigningIdentity(key: key, certificate: certificate, source: keyFile)
    }

    /// The manifest's `signing` section: each half a file (relative to the manifest that
    /// names it) or an environment variable holding the PEM text.
    public static func load(_ signing: Manifest.Signing, environment: [String: String]) throws -> SigningIdentity {
        guard let keySource = signing.key, let certificateSource = signing.certificate else {
            throw SigningError("the manifest's `signing` needs both `key` and `certificate`",
                               hint: "e.g. key: {env: HOSTIMG_SIGNING_KEY}, certificate: {file: keys/signing.crt}")
        }
        let (keyPEM, keyName) = try read(keySource, environment: environment, what: "signing key")
        let (certificatePEM, certificateName) = try read(certificateSource, environment: environment, what: "certificate")
        let key: PrivateKey
        let certificate: Certificate
        do {
            key = try PrivateKey(pem: keyPEM)
        } catch {
            throw SigningError("the signing key from \(keyName) is not a PEM private key: \(error)", hint: nil)
        }
        do {
            certificate = try Certificate(pem: certificatePEM)
        } catch {
            throw SigningError("the certificate from \(certificateName) is not a PEM certificate: \(error)", hint: nil)
        }
        return try SigningIdentity(key: key, certificate: certificate, source: keyName)
    }

    private static func read(_ source: Manifest.KeySource, environment: [String: String],
                             what: String) throws -> ([UInt8], String) {
        switch source {
        case let .file(path):
            let resolved = ManifestLoader.resolve(path.value, relativeTo: path.location.file)
            guard let data = FileManager.default.contents(atPath: resolved) else {
                throw SigningError("\(path.location): the \(what) file \(resolved) cannot be read",
                                   hint: "check the path (relative to the manifest) or run `hostimg keygen`")
            }
            return ([UInt8](data), resolved)
        case let .environment(name):
            guard let value = environment[name.value], !value.isEmpty else {
                throw SigningError("\(name.location): the environment variable \(name.value) (the \(what)) is not set",
                                   hint: "export it with the PEM text, or build with --unsigned and run `hostimg sign` later")
            }
            return (Array(value.utf8), "$\(name.value)")
        }
    }

    /// The development key in the cache, made on first use: RSA (so signatures are
    /// reproducible: the same key signs the same root hash with the same bytes).
    public static func development(cache: String) throws -> SigningIdentity {
        let directory = cache + "/keys/development"
        let keyPath = directory + "/key.pem"
        let certificatePath = directory + "/cert.pem"
        if !FileManager.default.fileExists(atPath: keyPath) || !FileManager.default.fileExists(atPath: certificatePath) {
            try KeyFiles.write(
                try DevelopmentIdentity.generate(commonName: developmentCommonName, validityDays: 3650, keyType: .rsa2048),
                directory: directory, force: true)
        }
        let identity = try load(keyFile: keyPath, certificateFile: certificatePath)
        return try SigningIdentity(key: identity.key, certificate: identity.certificate,
                                   source: "development key \(keyPath)")
    }
}

/// Writing a key pair: the key 0600, both atomically, never over existing files unless told.
public enum KeyFiles {
    public static func write(_ identity: DevelopmentIdentity, directory: String, force: Bool) throws {
        let keyPath = directory + "/key.pem"
        let certificatePath = directory + "/cert.pem"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SigningError("cannot create \(directory): \(error.localizedDescription)", hint: nil)
        }
        if !force {
            for path in [keyPath, certificatePath] where FileManager.default.fileExists(atPath: path) {
                throw SigningError("\(path) already exists", hint: "pass --force to replace it, or choose another --out")
            }
        }
        try SystemIO.replace(keyPath, with: Array(identity.privateKeyPEM.utf8), permissions: 0o600)
        try SystemIO.replace(certificatePath, with: Array(identity.certificatePEM.utf8), permissions: 0o644)
    }
}

public struct SigningError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var hint: String?

    public init(_ message: String, hint: String?) {
        self.message = message
        self.hint = hint
    }

    public var description: String { hint.map { "\(message) (\($0))" } ?? message }
}
