extension HTTP {
    /// A response: status line and header fields, then the body, read as it arrives.
    ///
    /// The body ends where RFC 9112 section 6.3 says: chunked transfer coding (Transfer-Encoding
    /// wins over Content-Length), else Content-Length, else the connection's close. A
    /// connection that closes before a chunked body's last chunk or before Content-Length
    /// bytes is `HTTPError.closedEarly`, never a short body taken for a whole one; so is a
    /// TLS connection that ends a body without a length and without close_notify. A close
    /// without close_notify after a body with a length is fine: the length says it is whole.
    public final class Response {
        /// The URL that answered (after redirects).
        public let url: URL
        public let statusCode: Int
        /// "HTTP/1.1 404 Not Found", for messages.
        public let statusLine: String
        /// Field names in lowercase, values trimmed, in the order received.
        public let headers: [(name: String, value: String)]
        /// Content-Length, when the body is not chunked.
        public let contentLength: UInt64?
        private let connection: Connection
        private var framing: Framing
        /// Body bytes handed out so far.
        public private(set) var received: UInt64 = 0

        enum Framing {
            case length(remaining: UInt64)
            case chunked(remainingInChunk: UInt64)
            case untilClose
            case finished
        }

        /// Read the head (skipping interim 1xx answers) from `connection`.
        init(connection: Connection) throws(HTTPError) {
            self.connection = connection
            url = connection.url
            var head = try Head(connection)
            var interim = 0
            while (100...199).contains(head.code) {
                interim += 1
                guard interim <= 10 else { throw .malformedResponse(url: url.description, detail: "more than 10 interim (1xx) answers") }
                head = try Head(connection)
            }
            statusCode = head.code
            statusLine = head.statusLine
            headers = head.fields
            (framing, contentLength) = try Self.framing(head, noBody: head.code == 204 || head.code == 304, url: url)
        }

        /// The first value of the field `name` (lowercase).
        public func header(_ name: String) -> String? {
            headers.first { $0.name == name }?.value
        }

        private static func framing(_ head: Head, noBody: Bool, url: URL) throws(HTTPError) -> (Framing, UInt64?) {
            if noBody { return (.finished, 0) }
            let codings = head.fields.filter { $0.name == "transfer-encoding" }.map { $0.value.lowercased() }
            if !codings.isEmpty {
                guard codings == ["chunked"] else {
                    throw .malformedResponse(url: url.description, detail: "Transfer-Encoding \"\(codings.joined(separator: ", "))\" is not supported (only chunked)")
                }
                return (.chunked(remainingInChunk: 0), nil)
            }
            let lengths = Set(head.fields.filter { $0.name == "content-length" }.map(\.value))
            guard let text = lengths.first else { return (.untilClose, nil) }
            guard lengths.count == 1, let length = parseDecimal(text) else {
                throw .malformedResponse(url: url.description, detail: "Content-Length \"\(lengths.sorted().joined(separator: ", "))\" is not one decimal number")
            }
            return (length == 0 ? .finished : .length(remaining: length), length)
        }

        /// Up to `buffer.count` body bytes; 0 at the body's end.
        public func read(into buffer: UnsafeMutableRawBufferPointer) throws(HTTPError) -> Int {
            while true {
                switch framing {
                case .finished:
                    return 0
                case .untilClose:
                    let count = try connection.read(into: buffer)
                    if count == 0 && connection.closedWithoutNotify {
                        // Over TLS only close_notify tells the body's end from a cut (RFC 8446
                        // section 6.1): a body framed by the close needs it.
                        throw .closedEarly(url: url.description, received: received, expected: "the TLS close_notify that ends a body without a length")
                    }
                    if count == 0 { framing = .finished }
                    received += UInt64(count)
                    return count
                case .length(let remaining):
                    let count = try bodyRead(buffer, atMost: remaining, expected: "the \(contentLength ?? 0) bytes of Content-Length")
                    framing = remaining == UInt64(count) ? .finished : .length(remaining: remaining - UInt64(count))
                    return count
                case .chunked(let remaining) where remaining > 0:
                    let count = try bodyRead(buffer, atMost: remaining, expected: "the end of a chunk")
                    if remaining == UInt64(count) {
                        try expectChunkEnd()
                    }
                    framing = .chunked(remainingInChunk: remaining - UInt64(count))
                    return count
                case .chunked:
                    let size = try nextChunkSize()
                    if size == 0 {
                        try skipTrailers()
                        framing = .finished
                    } else {
                        framing = .chunked(remainingInChunk: size)
                    }
                }
            }
        }

        private func bodyRead(_ buffer: UnsafeMutableRawBufferPointer, atMost remaining: UInt64, expected: String) throws(HTTPError) -> Int {
            guard !buffer.isEmpty else { return 0 }
            let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[..<Int(min(UInt64(buffer.count), remaining))])
            let count = try connection.read(into: slice)
            guard count > 0 else { throw .closedEarly(url: url.description, received: received, expected: expected) }
            received += UInt64(count)
            return count
        }

        /// The chunk-size line: hex digits, then optional ";extensions".
        private func nextChunkSize() throws(HTTPError) -> UInt64 {
            guard let line = try connection.readLine(what: "a chunk-size line") else {
                throw .closedEarly(url: url.description, received: received, expected: "the last chunk of a chunked body")
            }
            let digits = line.prefix { $0 != UInt8(ascii: ";") }.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }
            guard !digits.isEmpty, digits.count <= 15, let size = UInt64(String(decoding: digits, as: UTF8.self), radix: 16),
                digits.allSatisfy({ $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "-") })
            else {
                throw .malformedResponse(url: url.description, detail: "chunk size \"\(String(decoding: line.prefix(40), as: UTF8.self))\" is not a hexadecimal number")
            }
            return size
        }

        /// The CRLF after a chunk's data.
        private func expectChunkEnd() throws(HTTPError) {
            guard let line = try connection.readLine(what: "the line end after a chunk") else {
                throw .closedEarly(url: url.description, received: received, expected: "the line end after a chunk")
            }
            guard line.isEmpty else { throw .malformedResponse(url: url.description, detail: "a chunk is longer than its size says") }
        }

        /// Trailer fields after the last chunk, up to the empty line; ignored, but bounded.
        private func skipTrailers() throws(HTTPError) {
            for _ in 0...HTTP.maximumHeaderCount {
                guard let line = try connection.readLine(what: "a trailer field") else {
                    throw .closedEarly(url: url.description, received: received, expected: "the end of the trailer fields")
                }
                if line.isEmpty { return }
            }
            throw .malformedResponse(url: url.description, detail: "more than \(HTTP.maximumHeaderCount) trailer fields")
        }
    }

    /// A non-negative decimal number of at most 19 digits (no sign, no spaces inside).
    static func parseDecimal(_ text: String) -> UInt64? {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 19, bytes.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
        return UInt64(text)
    }
}
