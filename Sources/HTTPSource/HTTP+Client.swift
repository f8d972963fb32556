import TLS

extension HTTP {
    /// GET requests, one connection each (`Connection: close`: a reader that jumps opens a
    /// new request anyway, and nothing waits on a kept-alive socket).
    public struct Client: Sendable {
        /// Bounds connecting and each send or receive (not the whole download).
        public var timeout: Duration
        /// Redirects followed before giving up (301, 302, 303, 307, 308).
        public var maximumRedirects: Int
        /// For https: a PEM file of the certificate authorities a server's chain must lead
        /// to (a private CA), instead of the system's (`TLS.systemBundle`, else OpenSSL's
        /// default locations). Either way the chain and the host name are verified.
        public var caFile: String?

        public init(timeout: Duration = .seconds(30), maximumRedirects: Int = 5, caFile: String? = nil) {
            self.timeout = timeout
            self.maximumRedirects = maximumRedirects
            self.caFile = caFile
        }

        static let redirects: Set<Int> = [301, 302, 303, 307, 308]

        /// GET `url` with the extra `headers`, following redirects; returns the final answer
        /// whatever its status, its body unread.
        public func get(_ url: URL, headers: [(name: String, value: String)] = []) throws(HTTPError) -> Response {
            var target = url
            for _ in 0...maximumRedirects {
                let response = try request(target, headers: headers)
                guard Self.redirects.contains(response.statusCode) else { return response }
                guard let location = response.header("location"), !location.isEmpty else {
                    throw .malformedResponse(url: target.description, detail: "\"\(response.statusLine)\" without a Location")
                }
                target = try target.resolving(location)
            }
            throw .tooManyRedirects(url: url.description, limit: maximumRedirects)
        }

        /// One request and the head of its answer.
        func request(_ url: URL, headers: [(name: String, value: String)]) throws(HTTPError) -> Response {
            let connection = try Connection(url: url, timeout: timeout, tls: url.scheme == .https ? try context(for: url) : nil)
            var text = "GET \(url.path) HTTP/1.1\r\nHost: \(url.hostHeader)\r\nUser-Agent: hostimg\r\n"
                + "Accept-Encoding: identity\r\nConnection: close\r\n"
            for (name, value) in headers { text += "\(name): \(value)\r\n" }
            try connection.send(text + "\r\n")
            return try Response(connection: connection)
        }

        /// The TLS context https requests verify servers in; made per request (loading the
        /// system bundle takes milliseconds, a request's round trips more).
        private func context(for url: URL) throws(HTTPError) -> TLS.Context {
            do {
                return try TLS.Context(authorities: caFile.map { .file($0) } ?? .system)
            } catch {
                throw .tls(url: url.description, error)
            }
        }
    }
}
