import Debian
import Foundation

/// The fields of a (verified) `Release` file that the client uses — see
/// https://wiki.debian.org/DebianRepository/Format#A.22Release.22_files.
public struct ReleaseFile: Sendable {
    /// One line of the `SHA256` field: ` <hash> <size> <path relative to dists/SUITE/>`.
    public struct Entry: Sendable, Hashable {
        public var sha256: String
        public var size: UInt64
        public var path: String
    }

    public var suite: String?
    public var codename: String?
    public var date: Date?
    public var validUntil: Date?
    public var architectures: [String]
    public var components: [String]
    /// `No-Support-for-Architecture-all: Packages`: `Architecture: all` packages are listed in
    /// every `binary-ARCH/Packages`, so `binary-all` must not be fetched as well.
    public var noSupportForArchitectureAll: Bool
    /// Indexed by path (`main/binary-amd64/Packages.xz`).
    public var sha256: [String: Entry]

    /// Parses the text of a Release file, refusing one without a SHA256 list.
    public init(_ bytes: [UInt8], url: String) throws {
        let paragraphs: [Deb822.Paragraph]
        do {
            paragraphs = try Deb822.parse(String(decoding: bytes, as: UTF8.self))
        } catch {
            throw RepositoryError.invalidRelease(url: url, reason: "\(error)")
        }
        guard let fields = paragraphs.first else {
            throw RepositoryError.invalidRelease(url: url, reason: "the file is empty")
        }
        suite = fields["Suite"]
        codename = fields["Codename"]
        architectures = fields["Architectures"]?.words ?? []
        components = fields["Components"]?.words ?? []
        noSupportForArchitectureAll = fields["No-Support-for-Architecture-all"]?.trimmingSpaces == "Packages"
        date = try fields["Date"].map { try Self.parseDate($0, field: "Date", url: url) }
        validUntil = try fields["Valid-Until"].map { try Self.parseDate($0, field: "Valid-Until", url: url) }

        guard let list = fields["SHA256"] else {
            throw RepositoryError.invalidRelease(url: url, reason: "no SHA256 field; MD5Sum/SHA1-only repositories are refused")
        }
        var entries: [String: Entry] = [:]
        for line in list.split(separator: "\n") {
            let words = line.words
            guard words.count == 3, let size = UInt64(words[1]), words[0].count == 64,
                  words[0].allSatisfy(\.isHexDigit) else {
                throw RepositoryError.invalidRelease(url: url, reason: "malformed SHA256 line \"\(line)\"")
            }
            entries[words[2]] = Entry(sha256: words[0].lowercased(), size: size, path: words[2])
        }
        sha256 = entries
    }

    /// Refuses a Release whose `Valid-Until` lies before `now`.
    public func checkValidity(now: Date = Date(), url: String) throws {
        if let validUntil, validUntil < now {
            throw RepositoryError.expired(url: url, validUntil: Self.format(validUntil))
        }
    }

    /// The Packages index to fetch for `component`/`architecture`: the first of `.xz`, `.gz`
    /// and uncompressed that the Release lists, plus the uncompressed entry if listed (it lets a
    /// warm cache skip both download and decompression).
    public func packagesIndex(component: String, architecture: String)
        -> (download: Entry, uncompressed: Entry?)? {
        let base = "\(component)/binary-\(architecture)/Packages"
        let uncompressed = sha256[base]
        for suffix in [".xz", ".gz", ""] {
            if let entry = sha256[base + suffix] { return (entry, uncompressed) }
        }
        return nil
    }

    /// Whether `binary-all` indices must be fetched next to `binary-ARCH` ones: only when the
    /// Release lists `all` among its Architectures and does not say that arch-all packages are
    /// already in the per-architecture indices (repository format, "Architectures" field).
    public var needsBinaryAll: Bool {
        architectures.contains("all") && !noSupportForArchitectureAll
    }

    /// RFC 2822 dates as Release files write them ("Sat, 10 Jun 2023 08:52:41 UTC"); the
    /// weekday is optional and the zone is `UTC`, `GMT` or a numeric offset.
    static func parseDate(_ text: String, field: String, url: String) throws -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        let trimmed = String(text.trimmingSpaces)
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEE, dd MMM yyyy HH:mm:ss Z",
                       "dd MMM yyyy HH:mm:ss zzz", "dd MMM yyyy HH:mm:ss Z"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: trimmed) { return date }
        }
        throw RepositoryError.invalidRelease(url: url, reason: "\(field) \"\(trimmed)\" is not an RFC 2822 date")
    }

    static func format(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'UTC'"
        return formatter.string(from: date)
    }
}
