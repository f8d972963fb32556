import Foundation

/// One binary package source: a repository base URL, one suite, its components and the
/// keyring its `InRelease` must be signed with — what one `deb` line (or one URI × suite of
/// a deb822 stanza) of APT's configuration means, or what a manifest names explicitly.
public struct AptSource: Sendable, Hashable, CustomStringConvertible {
    /// The keys an `InRelease` file may be signed with.
    public enum Keyring: Sendable, Hashable, CustomStringConvertible {
        /// Keyring files (binary OpenPGP or ASCII-armored); any key in any of them may sign.
        case files([String])
        /// An ASCII-armored public key block written inline in a `.sources` file's Signed-By.
        case inline(armored: String)

        public var description: String {
            switch self {
            case let .files(paths): return paths.joined(separator: ", ")
            case .inline: return "the inline Signed-By key block"
            }
        }
    }

    /// The repository root, without a trailing slash (`http://deb.debian.org/debian`).
    public var baseURL: URL
    public var suite: String
    public var components: [String]
    public var keyring: Keyring
    /// Architectures the source is restricted to (`arch=` / `Architectures:`); empty means
    /// whatever the build asks for.
    public var architectures: [String]
    /// Where the source was declared (`/etc/apt/sources.list:3`), for messages.
    public var declaredAt: String?

    public init(baseURL: URL, suite: String, components: [String], keyring: Keyring,
                architectures: [String] = [], declaredAt: String? = nil) {
        var text = baseURL.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        self.baseURL = URL(string: text) ?? baseURL
        self.suite = suite
        self.components = components
        self.keyring = keyring
        self.architectures = architectures
        self.declaredAt = declaredAt
    }

    /// A source spelled out in a manifest: `url`, `suite`, `components`, `keyring` (a path).
    public init(url: String, suite: String, components: [String], keyring: String) throws {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(),
              ["http", "https", "file"].contains(scheme) else {
            throw RepositoryError.unsupportedURL(url: url)
        }
        self.init(baseURL: parsed, suite: suite, components: components, keyring: .files([keyring]))
    }

    /// `dists/SUITE/` under the base URL.
    public var distsURL: URL {
        baseURL.appendingPathComponent("dists").appendingPathComponent(suite)
    }

    public var inReleaseURL: URL { distsURL.appendingPathComponent("InRelease") }

    /// "http://deb.debian.org/debian bookworm" — completed with "/main" per component.
    public var origin: String { "\(baseURL.absoluteString) \(suite)" }

    public func origin(component: String) -> String { "\(origin)/\(component)" }

    public var description: String {
        "\(origin) \(components.joined(separator: " ")) (keyring: \(keyring))"
    }
}

extension AptSource {
    /// Parses the one-line format: `deb [opt=value ...] URI SUITE [COMPONENT...]`.
    /// Returns nil for comments, blank lines and `deb-src` lines.
    static func parseOneLine(_ rawLine: String, file: String, line: Int,
                             defaultKeyring: Keyring) throws -> [AptSource]? {
        var text = Substring(rawLine)
        if let hash = text.firstIndex(of: "#") { text = text[..<hash] }
        text = text.trimmingSpaces
        guard !text.isEmpty else { return nil }
        let invalid = { (reason: String) in RepositoryError.invalidSource(file: file, line: line, reason: reason) }

        let type = text.prefix { $0 != " " && $0 != "\t" && $0 != "[" }
        text = text[type.endIndex...].trimmingSpaces
        switch type {
        case "deb-src": return nil
        case "deb": break
        default: throw invalid("unknown type \"\(type)\"; expected deb or deb-src")
        }

        var options: [String: String] = [:]
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw invalid("\"[\" without a closing \"]\"") }
            for option in text[text.index(after: text.startIndex)..<close].words {
                guard let equals = option.firstIndex(of: "=") else {
                    throw invalid("option \"\(option)\" is not key=value")
                }
                options[option[..<equals].lowercased()] = String(option[option.index(after: equals)...])
            }
            text = text[text.index(after: close)...].trimmingSpaces
        }

        let words = text.words
        guard words.count >= 2 else { throw invalid("expected a URI and a suite after \"deb\"") }
        guard let url = URL(string: words[0]), url.scheme != nil else {
            throw invalid("\"\(words[0])\" is not a URI")
        }
        let suite = words[1]
        let components = Array(words.dropFirst(2))
        try checkFlat(suite: suite, components: components, invalid: invalid)
        let keyring = try options["signed-by"].map { try signedBy($0, invalid: invalid) } ?? defaultKeyring
        let architectures = options["arch"].map { $0.split(separator: ",").map(String.init) } ?? []
        return [AptSource(baseURL: url, suite: suite, components: components, keyring: keyring,
                          architectures: architectures, declaredAt: "\(file):\(line)")]
    }

    /// Flat repositories (`deb URI directory/` without components) have no `dists/`; they are
    /// not supported, so say so rather than fetching a wrong URL.
    static func checkFlat(suite: String, components: [String],
                          invalid: (String) -> RepositoryError) throws {
        if suite.hasSuffix("/") || components.isEmpty {
            throw invalid("flat repository \"\(suite)\" (no components) is not supported; "
                + "use a repository with dists/\(suite)/ and components")
        }
    }

    /// Signed-By holds a keyring path, several comma-separated paths, or an armored key block.
    static func signedBy(_ value: String, invalid: (String) -> RepositoryError) throws -> Keyring {
        if value.contains("-----BEGIN PGP PUBLIC KEY BLOCK-----") { return .inline(armored: armorBlock(value)) }
        let paths = value.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" || $0 == "\n" }).map(String.init)
        guard !paths.isEmpty else { throw invalid("Signed-By is empty") }
        for path in paths where !path.hasPrefix("/") {
            throw invalid("Signed-By \"\(path)\" is not an absolute keyring path; "
                + "key fingerprints are not supported, name the keyring file instead")
        }
        return .files(paths)
    }

    /// An inline key block back in ASCII-armor form, as APT reads it from a deb822 value
    /// (sources.list(5), Signed-By): every line without its indentation, a lone "." as the
    /// empty line, and no empty lines before the block (`Signed-By:` with the block below).
    static func armorBlock(_ value: String) -> String {
        value.split(separator: "\n", omittingEmptySubsequences: false)
            .map { line in
                let text = line.trimmingSpaces
                return text == "." ? "" : String(text)
            }
            .drop(while: \.isEmpty)
            .joined(separator: "\n")
    }
}
