import Bundle

/// An update bundle read over HTTP without a local copy: an `UpdateBundle.Input` whose
/// positional reads are served from one open response while they move forward.
///
/// The first request (`Range: bytes=0-`) learns the size: `Content-Range: bytes 0-B/TOTAL`
/// of a 206, or Content-Length of a 200 (a server that ignores Range). Then a read at the
/// stream's position continues it; a read a little ahead (less than `skipLimit`) discards
/// the gap; a read far ahead or behind opens a new ranged request `Range: bytes=OFFSET-`.
/// `UpdateBundle.Reader(input:sequential: true)` reads only forward, so a whole bundle
/// normally costs one request.
///
/// A server that ignores Range answers every request with the whole body (200): reads ahead
/// discard up to the offset on the open stream whatever the gap, and a read behind restarts
/// the download from byte 0 and discards up to the offset, so it costs the whole prefix again.
///
/// Every answer must announce the same total size, and the same ETag when the first one had
/// one: a bundle replaced on the server while it is read is `HTTPError.changed`, not a
/// mixture of two files.
public final class HTTPBundleInput: UpdateBundle.Input {
    public let url: HTTP.URL
    public let size: UInt64
    public var name: String { url.description }
    public var mayContinuePastBundle: Bool { false }
    /// Whether the first answer honoured Range (206).
    public let supportsRanges: Bool
    /// Requests made so far (redirects not counted), for tests and statistics.
    public private(set) var requestCount = 0
    /// Reads at most this far ahead of the open stream discard the gap instead of opening a
    /// new request (a request costs a round trip, 256 KiB is a few milliseconds of transfer).
    public static let skipLimit: UInt64 = 256 << 10

    private let client: HTTP.Client
    private let entityTag: String?
    private var stream: Stream?

    /// An open response serving the bytes [position, end) of the resource.
    private struct Stream {
        let response: HTTP.Response
        var position: UInt64
        let end: UInt64
        let ranged: Bool
    }

    public convenience init(url: String, client: HTTP.Client = HTTP.Client()) throws {
        try self.init(url: try HTTP.URL(url), client: client)
    }

    public init(url: HTTP.URL, client: HTTP.Client = HTTP.Client()) throws {
        self.url = url
        self.client = client
        let response = try client.get(url, headers: [("Range", "bytes=0-")])
        requestCount = 1
        entityTag = response.header("etag")
        let opened = try Self.stream(response, at: 0, expectedSize: nil, url: url)
        size = opened.size
        supportsRanges = opened.stream.ranged
        stream = opened.stream
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
        guard offset < size else { return 0 }
        let want = Int(min(UInt64(buffer.count), size - offset))
        var done = 0
        while done < want {
            let position = offset + UInt64(done)
            var current = try streamPositioned(at: position)
            let count = try current.response.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[done..<want]))
            guard count > 0 else {
                // A chunked body that ends before the range it announced.
                stream = nil
                throw HTTPError.closedEarly(url: name, received: current.response.received, expected: "byte \(current.end)")
            }
            current.position += UInt64(count)
            // At the end of its range the answer is done; a server may cap ranges below the
            // size, and the next read then asks for the rest.
            stream = current.position < current.end ? current : nil
            done += count
        }
        return done
    }

    /// The open stream moved to `position`: continued, advanced by discarding, or replaced
    /// by a new request.
    private func streamPositioned(at position: UInt64) throws -> Stream {
        if var current = stream, current.position <= position, position < current.end,
            position - current.position <= Self.skipLimit || !current.ranged
        {
            try discard(position - current.position, from: &current)
            return current
        }
        stream = nil
        let response = try client.get(url, headers: [("Range", "bytes=\(position)-")])
        requestCount += 1
        if let entityTag, let now = response.header("etag"), now != entityTag {
            throw HTTPError.changed(url: name, detail: "its ETag was \(entityTag), now it is \(now)")
        }
        var opened = try Self.stream(response, at: position, expectedSize: size, url: url).stream
        try discard(position - opened.position, from: &opened)
        return opened
    }

    private func discard(_ count: UInt64, from current: inout Stream) throws {
        guard count > 0 else { return }
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 << 10, alignment: 16)
        defer { scratch.deallocate() }
        var left = count
        while left > 0 {
            let got = try current.response.read(into: UnsafeMutableRawBufferPointer(rebasing: scratch[..<Int(min(left, 64 << 10))]))
            guard got > 0 else {
                throw HTTPError.closedEarly(url: name, received: current.response.received, expected: "byte \(current.position + count - left + 1)")
            }
            left -= UInt64(got)
        }
        current.position += count
    }

    /// The stream an answer to `Range: bytes=OFFSET-` opens, and the resource's size.
    private static func stream(
        _ response: HTTP.Response, at offset: UInt64, expectedSize: UInt64?, url: HTTP.URL
    ) throws(HTTPError) -> (stream: Stream, size: UInt64) {
        let name = url.description
        let (first, last, total): (UInt64, UInt64, UInt64)
        switch response.statusCode {
        case 206:
            guard let text = response.header("content-range") else {
                throw .malformedResponse(url: name, detail: "206 Partial Content without Content-Range")
            }
            (first, last, total) = try ContentRange.parse(text, url: name)
            guard first == offset else {
                throw .malformedResponse(url: name, detail: "asked for bytes from \(offset), the server sent \(text)")
            }
            if let length = response.contentLength, length != last - first + 1 {
                throw .malformedResponse(url: name, detail: "Content-Length \(length) does not match Content-Range \(text)")
            }
        case 200:
            guard let length = response.contentLength else {
                throw .noSize(url: name, detail: "\(response.statusLine) without Content-Length or Content-Range")
            }
            guard length > 0 else { throw .noSize(url: name, detail: "the body is empty") }
            (first, last, total) = (0, length - 1, length)
        default:
            throw .status(url: response.url.description, statusLine: response.statusLine)
        }
        if let expectedSize, expectedSize != total {
            throw .changed(url: name, detail: "it had \(expectedSize) bytes, now the server says \(total)")
        }
        let stream = Stream(response: response, position: first, end: last + 1, ranged: response.statusCode == 206)
        return (stream, total)
    }
}

/// `Content-Range: bytes FIRST-LAST/TOTAL` (RFC 9110 section 14.4), the total known.
enum ContentRange {
    static func parse(_ text: String, url: String) throws(HTTPError) -> (UInt64, UInt64, UInt64) {
        let bytes = Array(text.utf8)
        let bad = HTTPError.malformedResponse(url: url, detail: "Content-Range \"\(String(text.prefix(100)))\" is not bytes FIRST-LAST/TOTAL")
        guard bytes.starts(with: Array("bytes ".utf8)) else { throw bad }
        let rest = bytes.dropFirst(6)
        guard let dash = rest.firstIndex(of: UInt8(ascii: "-")), let slash = rest.firstIndex(of: UInt8(ascii: "/")), dash < slash,
            let first = HTTP.parseDecimal(String(decoding: rest[..<dash], as: UTF8.self)),
            let last = HTTP.parseDecimal(String(decoding: rest[(dash + 1)..<slash], as: UTF8.self))
        else { throw bad }
        let totalText = String(decoding: rest[(slash + 1)...], as: UTF8.self)
        guard let total = HTTP.parseDecimal(totalText) else {
            throw HTTPError.noSize(url: url, detail: "Content-Range \"\(text)\" gives no total")
        }
        guard first <= last, last < total else { throw bad }
        return (first, last, total)
    }
}
