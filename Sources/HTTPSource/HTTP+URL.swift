extension HTTP {
    /// An `http://` or `https://host[:port]/path` URL: a name, an IPv4 literal or a bracketed
    /// IPv6 literal (`http://[::1]:8080/b`), the scheme's default port (80, 443), the path with
    /// its query (the fragment is dropped, as a browser does). User information (`user@`) is
    /// refused: credentials in a URL would end up in logs.
    public struct URL: Hashable, Sendable, CustomStringConvertible {
        public enum Scheme: String, Hashable, Sendable {
            case http
            /// TLS (`TLS.Session`), the server's certificate verified.
            case https

            public var defaultPort: UInt16 { self == .https ? 443 : 80 }
        }

        public var scheme: Scheme
        public var host: String
        public var port: UInt16
        /// Starts with "/"; includes the query.
        public var path: String

        public init(_ text: String) throws(HTTPError) {
            let bytes = Array(text.utf8)
            guard let schemeEnd = Self.schemeEnd(in: bytes) else {
                throw .invalidURL(text, reason: "it has no scheme (http://)")
            }
            let name = String(decoding: bytes[..<schemeEnd], as: UTF8.self).lowercased()
            guard let scheme = Scheme(rawValue: name) else { throw .unsupportedScheme(url: text, scheme: name) }
            self.scheme = scheme
            if let bad = bytes.first(where: { $0 <= 0x20 || $0 == 0x7f }) {
                throw .invalidURL(text, reason: "it contains the control or space character 0x\(String(bad, radix: 16))")
            }
            let rest = bytes[(schemeEnd + 3)...]
            let authorityEnd = rest.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }
                ?? rest.endIndex
            (host, port) = try Self.authority(Array(rest[..<authorityEnd]), defaultPort: scheme.defaultPort, in: text)
            var pathBytes = Array(rest[authorityEnd...])
            if let fragment = pathBytes.firstIndex(of: UInt8(ascii: "#")) { pathBytes.removeSubrange(fragment...) }
            if pathBytes.first != UInt8(ascii: "/") { pathBytes.insert(UInt8(ascii: "/"), at: 0) }
            path = String(decoding: pathBytes, as: UTF8.self)
        }

        /// HOST[:PORT] or [IPV6][:PORT].
        private static func authority(_ bytes: [UInt8], defaultPort: UInt16, in text: String) throws(HTTPError) -> (String, UInt16) {
            guard !bytes.contains(UInt8(ascii: "@")) else {
                throw .invalidURL(text, reason: "it carries user information (user@host); credentials do not belong in a URL")
            }
            var hostBytes = bytes[...]
            var portBytes: ArraySlice<UInt8>?
            if bytes.first == UInt8(ascii: "[") {
                guard let close = bytes.firstIndex(of: UInt8(ascii: "]")) else {
                    throw .invalidURL(text, reason: "the IPv6 address has no closing \"]\"")
                }
                hostBytes = bytes[1..<close]
                let after = bytes[(close + 1)...]
                if !after.isEmpty {
                    guard after.first == UInt8(ascii: ":") else { throw .invalidURL(text, reason: "text follows the IPv6 address") }
                    portBytes = after.dropFirst()
                }
            } else if let colon = bytes.lastIndex(of: UInt8(ascii: ":")) {
                hostBytes = bytes[..<colon]
                portBytes = bytes[(colon + 1)...]
            }
            guard !hostBytes.isEmpty else { throw .invalidURL(text, reason: "the host is empty") }
            var port = defaultPort
            if let portBytes {
                guard let value = UInt16(String(decoding: portBytes, as: UTF8.self)), value > 0,
                    portBytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
                else {
                    throw .invalidURL(text, reason: "the port \"\(String(decoding: portBytes, as: UTF8.self))\" is not a number from 1 to 65535")
                }
                port = value
            }
            return (String(decoding: hostBytes, as: UTF8.self), port)
        }

        /// The target of a redirect: `location` absolute (`http://...`, `https://...`: either
        /// way), scheme-relative (`//host/path`, keeping this URL's scheme), absolute-path
        /// (`/path`) or relative to this URL's directory.
        /// "." and ".." segments are removed (RFC 3986 section 5.2.4).
        public func resolving(_ location: String) throws(HTTPError) -> URL {
            let bytes = Array(location.utf8)
            if Self.schemeEnd(in: bytes) != nil { return try URL(location) }
            if bytes.starts(with: Array("//".utf8)) { return try URL(scheme.rawValue + ":" + location) }
            var target = self
            if bytes.first == UInt8(ascii: "/") {
                target.path = location
            } else {
                let base = path.utf8.prefix { $0 != UInt8(ascii: "?") }
                let directory = base[...(base.lastIndex(of: UInt8(ascii: "/")) ?? base.startIndex)]
                target.path = String(decoding: directory, as: UTF8.self) + location
            }
            target.path = Self.removingDotSegments(target.path)
            return try URL(target.description)
        }

        /// The path (before any query) without "." and ".." segments; ".." at the root stays
        /// at the root.
        static func removingDotSegments(_ path: String) -> String {
            let query = path.utf8.firstIndex(of: UInt8(ascii: "?")).map { String(path[$0...]) } ?? ""
            let plain = path.utf8.prefix { $0 != UInt8(ascii: "?") }
            var output: [Substring] = []
            let segments = String(decoding: plain, as: UTF8.self).split(separator: "/", omittingEmptySubsequences: false).dropFirst()
            for (index, segment) in segments.enumerated() {
                let last = index == segments.count - 1
                switch segment {
                case ".": if last { output.append("") }
                case "..":
                    _ = output.popLast()
                    if last { output.append("") }
                default: output.append(segment)
                }
            }
            return "/" + output.joined(separator: "/") + query
        }

        /// The Host header's value: the port only when it is not the scheme's default, an IPv6
        /// host bracketed.
        var hostHeader: String {
            let name = host.utf8.contains(UInt8(ascii: ":")) ? "[\(host)]" : host
            return port == scheme.defaultPort ? name : "\(name):\(port)"
        }

        public var description: String { "\(scheme.rawValue)://\(hostHeader)\(path)" }

        /// Where "://" follows a scheme (letters, digits, "+", "-", "." from the start).
        private static func schemeEnd(in bytes: [UInt8]) -> Int? {
            guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0,
                bytes[..<colon].allSatisfy({ isSchemeCharacter($0) }),
                bytes[colon...].starts(with: Array("://".utf8))
            else { return nil }
            return colon
        }

        private static func isSchemeCharacter(_ byte: UInt8) -> Bool {
            (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: ".")
        }
    }
}
