import Crypto
/// `hostimg.lock`: the resolved package set, pinned by version and SHA-256, written as
/// deterministic deb822 text.
///
/// ```
/// Lock-Version: 1
/// Request: <sha256 hex of Request.canonical>
/// Essential: yes
/// Include: busybox, systemd          <- sorted, unique
/// Exclude:
/// Repositories:
///  http://deb.debian.org/debian bookworm/main
///
/// Package: adduser                   <- one paragraph per package, sorted by name
/// Version: 3.134
/// Architecture: all
/// Filename: pool/main/a/adduser/adduser_3.134_all.deb
/// Size: 1234
/// SHA256: ...
/// Origin: http://deb.debian.org/debian
/// Selected-By: required by passwd
/// ```
/// The request is stored in the clear beside its digest so a mismatch can say what changed.
public struct LockFile: Equatable, Sendable {
    /// What the lock was resolved for. Lists are compared as sets (sorted, unique);
    /// repositories keep their order, because the first index wins between equal versions.
    public struct Request: Equatable, Sendable {
        public var include: [String]
        public var exclude: [String]
        public var essential: Bool
        /// One line per index, e.g. "http://deb.debian.org/debian bookworm/main".
        public var repositories: [String]

        public init(include: [String], exclude: [String], essential: Bool, repositories: [String]) {
            self.include = Array(Set(include)).sorted()
            self.exclude = Array(Set(exclude)).sorted()
            self.essential = essential
            self.repositories = repositories
        }

        /// The canonical text the digest covers; versioned so a format change shows as a change.
        public var canonical: String {
            var text = "hostimg-request-v1\n"
            text += "essential=\(essential ? "yes" : "no")\n"
            text += include.map { "include=\($0)\n" }.joined()
            text += exclude.map { "exclude=\($0)\n" }.joined()
            text += repositories.map { "repository=\($0)\n" }.joined()
            return text
        }

        /// SHA-256 of `canonical`, as the lock's `Request:` field records it.
        public func digest() throws -> String {
            try SHA256.hexDigest(Array(canonical.utf8))
        }
    }

    public struct Entry: Equatable, Sendable {
        public var package: String
        public var version: String
        public var architecture: String
        public var filename: String
        public var size: Int
        public var sha256: String
        /// Repository base URL `filename` is relative to.
        public var origin: String
        public var selectedBy: String

        public init(
            package: String, version: String, architecture: String, filename: String, size: Int,
            sha256: String, origin: String, selectedBy: String
        ) {
            self.package = package
            self.version = version
            self.architecture = architecture
            self.filename = filename
            self.size = size
            self.sha256 = sha256
            self.origin = origin
            self.selectedBy = selectedBy
        }
    }

    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        case syntax(Deb822.Error)
        case empty
        case unsupportedVersion(String)
        case missingField(field: String, paragraphLine: Int)
        case badSize(package: String, value: String)
        case digestMismatch(stored: String, computed: String)
        case requestChanged(what: String, locked: String, now: String)

        public var description: String {
            switch self {
            case .syntax(let error): return "hostimg.lock is not valid deb822: \(error)"
            case .empty: return "hostimg.lock is empty; run without --locked to create it"
            case .unsupportedVersion(let version):
                return "hostimg.lock has Lock-Version \(version); this hostimg reads version 1 only"
            case .missingField(let field, let line):
                return "hostimg.lock: the paragraph at line \(line) has no \(field) field"
            case .badSize(let package, let value):
                return "hostimg.lock: Size \"\(value)\" of \(package) is not a byte count"
            case .digestMismatch(let stored, let computed):
                return "hostimg.lock: Request \(stored) does not match its own request fields (\(computed)); the file was edited by hand: run without --locked to rewrite it"
            case .requestChanged(let what, let locked, let now):
                return "the lock was made for \(what) \(locked); the manifest now asks for \(now): run without --locked to update it"
            }
        }
    }

    public var request: Request
    public var entries: [Entry]

    public init(request: Request, entries: [Entry]) {
        self.request = request
        self.entries = entries.sorted { $0.package < $1.package }
    }

    /// The lock for a resolution.
    public init(request: Request, resolution: Resolver.Resolution) {
        self.init(request: request, entries: resolution.packages.map { package in
            Entry(
                package: package.name, version: package.version.description,
                architecture: package.architecture, filename: package.filename, size: package.size,
                sha256: package.sha256, origin: package.originBaseURL,
                selectedBy: resolution.reasons[package.name]?.description ?? "requested")
        })
    }

    /// Succeeds when the lock was made for `current`; otherwise names the first difference.
    public func check(matches current: Request) throws {
        guard request.canonical != current.canonical else { return }
        func list(_ items: [String]) -> String { "[" + items.joined(separator: ", ") + "]" }
        if request.include != current.include {
            throw Error.requestChanged(what: "include", locked: list(request.include), now: list(current.include))
        }
        if request.exclude != current.exclude {
            throw Error.requestChanged(what: "exclude", locked: list(request.exclude), now: list(current.exclude))
        }
        if request.essential != current.essential {
            throw Error.requestChanged(what: "essential", locked: "\(request.essential)", now: "\(current.essential)")
        }
        throw Error.requestChanged(
            what: "repositories", locked: list(request.repositories), now: list(current.repositories))
    }

    /// Whether the lock was made for `current`.
    public func matches(_ current: Request) -> Bool { request.canonical == current.canonical }
}
