import Crypto
import Zstd

/// Signed update bundles: one file a host can check before it writes a byte.
///
/// (Named `UpdateBundle` rather than `Bundle` because `Foundation.Bundle` would make the short
/// name ambiguous in every file that also imports Foundation.)
///
/// A bundle is a POSIX ustar archive, readable by `bsdtar` and GNU tar:
/// ```
/// +---------------------------+  512-byte ustar header, then data padded to 512
/// | manifest.json             |  compact JSON, fixed key order (Manifest.encoded())
/// +---------------------------+
/// | manifest.json.p7s         |  DER PKCS#7, detached, over the exact manifest bytes
/// +---------------------------+  (absent in an unsigned bundle)
/// | root.erofs.zst            |  one zstd frame per payload, with content size and
/// | verity.hashtree.zst       |  checksum, in manifest order
/// | verity-sig.p7s.zst        |
/// | ...                       |
/// +---------------------------+
/// | 2 x 512 zero bytes        |  end-of-archive marker
/// +---------------------------+
/// ```
/// Every header is deterministic: mode 0644, uid/gid 0, no user or group names, the mtime
/// the caller passes, no pax records. With the same inputs, level and an RSA key (PKCS#1
/// v1.5 signatures are deterministic, ECDSA ones are not) the same bytes come out.
///
/// The manifest comes first so a host can read it and its signature (a few KiB), verify the
/// signature against its trust store, and only then stream the payloads through zstd and
/// SHA-256 straight into the inactive slot, activating nothing until every hash matched.
public enum UpdateBundle {
    /// The first member's name.
    public static let manifestName = "manifest.json"
    /// The second member's name in a signed bundle.
    public static let signatureName = "manifest.json.p7s"
    /// Readers refuse a manifest member larger than this before anything is verified.
    public static let maximumManifestSize: UInt64 = 1 << 20
    /// Readers refuse a signature member larger than this.
    public static let maximumSignatureSize: UInt64 = 1 << 20
    /// The only format version this code writes and reads.
    public static let formatVersion = 1
    /// The architecture written into manifests (the name `file(1)` and the UAPI use).
    public static let defaultArchitecture = "x86-64"
    /// Input is compressed in chunks of this size. Fixed, because `resign` must feed the
    /// compressor exactly as `write` did to produce the same frame.
    static let chunkSize = 1 << 20

    /// The member name for a payload role: `<role>.<ext>.zst`, the extension telling what
    /// the uncompressed payload is.
    public static func fileName(forRole role: PayloadRole) -> String {
        "\(role.rawValue).\(role.fileExtension).zst"
    }

    /// A role: 1 to 64 characters of lowercase letters, digits and '-', starting with a
    /// letter or digit.
    static func isValidRole(_ role: PayloadRole) -> Bool {
        let bytes = Array(role.rawValue.utf8)
        guard (1...64).contains(bytes.count), bytes[0] != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z")) || ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || $0 == UInt8(ascii: "-") }
    }

    /// Input payload: a byte range of a file (a partition inside a disk image, or a file).
    public struct PayloadSource: Sendable, Equatable {
        public var role: PayloadRole
        public var path: String
        public var offset: UInt64
        public var length: UInt64

        public init(role: PayloadRole, path: String, offset: UInt64, length: UInt64) {
            self.role = role
            self.path = path
            self.offset = offset
            self.length = length
        }

        /// The whole of a file.
        public static func wholeFile(role: PayloadRole, path: String) throws -> PayloadSource {
            let file = try FileDescriptor.openForReading(path)
            return PayloadSource(role: role, path: path, offset: 0, length: try file.size())
        }
    }

    /// The key and certificate that sign manifests. The certificate's SHA-256 fingerprint
    /// goes into the manifest as `signedBy`, so a host with several trusted certificates
    /// knows which one to try and can say which one was expected.
    public struct Signer: Sendable {
        public let key: PrivateKey
        public let certificate: Certificate

        public init(key: PrivateKey, certificate: Certificate) {
            self.key = key
            self.certificate = certificate
        }

        func sign(_ manifest: [UInt8]) throws -> [UInt8] {
            do {
                return try PKCS7.signDetached(data: manifest, key: key, certificate: certificate)
            } catch {
                throw BundleError.signing("\(error)")
            }
        }
    }
}
