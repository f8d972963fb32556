import Bundle
import Crypto
import Foundation
import HTTPSource
import Testing
import TestSupport

/// `HTTPBundleInput`: positional reads over one stream, new requests only for jumps, and
/// every server misbehaviour a named error.
@Suite struct HTTPBundleInputTests {
    static let data = pattern(1_500_000)

    /// Reads `count` bytes at `offset` through `input`, checked against `data`.
    private func check(_ input: HTTPBundleInput, _ offset: Int, _ count: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var buffer = [UInt8](repeating: 0, count: count)
        let got = try buffer.withUnsafeMutableBytes { try input.read(into: $0, at: UInt64(offset)) }
        let expected = Self.data[min(offset, Self.data.count)..<min(offset + count, Self.data.count)]
        #expect(got == expected.count, sourceLocation: sourceLocation)
        #expect(buffer[..<got] == expected, "read of \(count) at \(offset)", sourceLocation: sourceLocation)
    }

    @Test(loopbackPython, arguments: ["range", "chunked", "capped"])
    func forwardReadsShareOneStreamJumpsReopen(mode: String) throws {
        let server = try TestServer()
        try server.put("f", Self.data)
        let input = try HTTPBundleInput(url: server.url("\(mode)/f"))
        #expect(input.size == UInt64(Self.data.count))
        #expect(input.supportsRanges)
        try check(input, 0, 512)
        try check(input, 512, 70_000)
        try check(input, 100_000, 1000)  // a small gap: discarded
        if mode != "capped" { #expect(input.requestCount == 1) }
        try check(input, 1_200_000, 4096)  // far ahead: a new range
        try check(input, 10, 10)  // behind: a new range
        try check(input, 1_499_990, 100)  // the end: short
        try check(input, 1_500_000, 100)
        #expect(input.requestCount >= 4)
    }

    @Test(loopbackPython) func aServerIgnoringRangeWorksByDiscarding() throws {
        let server = try TestServer()
        try server.put("f", Self.data)
        let input = try HTTPBundleInput(url: server.url("plain/f"))
        #expect(!input.supportsRanges)
        try check(input, 0, 512)
        try check(input, 1_200_000, 4096)  // far ahead, still one request
        #expect(input.requestCount == 1)
        try check(input, 100, 100)  // behind: the download restarts from 0
        #expect(input.requestCount == 2)
    }

    @Test(loopbackPython) func redirectsAreFollowedOnEveryRequest() throws {
        let server = try TestServer()
        try server.put("f", Self.data)
        let input = try HTTPBundleInput(url: server.url("redirect/4/f"))
        try check(input, 1_000_000, 100)
        try check(input, 0, 100)
    }

    @Test(loopbackPython) func missingOrUnsizedIsRefused() throws {
        let server = try TestServer()
        try server.put("f", Self.data)
        #expect(throws: HTTPError.status(url: server.url("range/missing"), statusLine: "HTTP/1.1 404 Not Found")) {
            try HTTPBundleInput(url: server.url("range/missing"))
        }
        #expect(throws: HTTPError.noSize(url: server.url("chunked-nosize/f"), detail: "HTTP/1.1 200 OK without Content-Length or Content-Range")) {
            try HTTPBundleInput(url: server.url("chunked-nosize/f"))
        }
    }

    /// The server's answers differ between the first and the second request.
    @Test(loopbackPython, arguments: ["changing", "etag"]) func aFileChangingOnTheServerIsRefused(mode: String) throws {
        let server = try TestServer()
        try server.put("f", Self.data)
        let input = try HTTPBundleInput(url: server.url("\(mode)/f"))
        let detail = mode == "etag" ? "its ETag was \"v1\", now it is \"v2\"" : "it had 1500001 bytes, now the server says 1500002"
        #expect(throws: HTTPError.changed(url: server.url("\(mode)/f"), detail: detail)) { try check(input, 1_400_000, 10) }
    }

    @Test(loopbackPython) func aBodyShorterThanAnnouncedIsAnError() throws {
        let server = try TestServer()
        try server.put("f", Self.data)
        let input = try HTTPBundleInput(url: server.url("truncated/f"))
        let error = #expect(throws: HTTPError.self) { try check(input, 1_400_000, 100_000) }
        guard case .closedEarly(let url, let received, _) = error else {
            Issue.record("expected closedEarly, got \(String(describing: error))")
            return
        }
        #expect(url == server.url("truncated/f") && received == 99_000)
    }
}
