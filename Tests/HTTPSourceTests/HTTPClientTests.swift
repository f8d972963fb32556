import Foundation
import HTTPSource
import SystemIO
import Testing

/// The client on its own: URLs, status lines, redirects, framing, and every broken answer
/// ending in a named error (never a crash or a hang).
@Suite struct HTTPClientTests {
    @Test func urlsParseAndResolve() throws {
        let url = try HTTP.URL("HTTP://Example.org:8080/a/b.bundle?x=1#frag")
        #expect(url.host == "Example.org" && url.port == 8080 && url.path == "/a/b.bundle?x=1")
        #expect(try HTTP.URL("http://[::1]:81/x").host == "::1")
        #expect(try HTTP.URL("http://[::1]/x").description == "http://[::1]/x")
        #expect(try HTTP.URL("http://10.0.0.1").path == "/")
        #expect(try url.resolving("c.bundle").description == "http://Example.org:8080/a/c.bundle")
        #expect(try url.resolving("/z").description == "http://Example.org:8080/z")
        #expect(try url.resolving("//other/q").description == "http://other/q")
        #expect(try url.resolving("http://h:9/r").description == "http://h:9/r")
        #expect(try url.resolving("../x/./y?q=/../").description == "http://Example.org:8080/x/y?q=/../")
        #expect(try url.resolving("../../../..").description == "http://Example.org:8080/")
        #expect(throws: HTTPError.unsupportedScheme(url: "ftp://h/b", scheme: "ftp")) { try HTTP.URL("ftp://h/b") }
        for bad in ["ftp://h/x", "h/x", "http://", "http://h:0/", "http://h:70000/", "http://u@h/", "http://[::1/", "http://h/a b"] {
            #expect(throws: HTTPError.self, "\(bad)") { try HTTP.URL(bad) }
        }
    }

    @Test(loopbackPython) func getsBodiesByLengthAndChunked() throws {
        let server = try TestServer()
        let data = pattern(300_000)
        try server.put("f", data)
        for mode in ["plain", "range", "chunked", "chunked-nosize"] {
            let response = try HTTP.Client().get(try HTTP.URL(server.url("\(mode)/f")))
            #expect(try body(response) == data, "\(mode)")
        }
    }

    @Test(loopbackPython) func namesAndIPv6LiteralsConnect() throws {
        let server = try TestServer()
        try server.put("f", pattern(1000))
        #expect(try body(try HTTP.Client().get(try HTTP.URL(server.url("plain/f", host: "localhost")))).count == 1000)
        if server.hasIPv6 {
            #expect(try body(try HTTP.Client().get(try HTTP.URL(server.url("plain/f", host: "[::1]")))).count == 1000)
        }
    }

    @Test(loopbackPython) func followsRedirectsUpToFive() throws {
        let server = try TestServer()
        try server.put("f", pattern(5000))
        let response = try HTTP.Client().get(try HTTP.URL(server.url("redirect/4/f")))
        #expect(response.statusCode == 206 || response.statusCode == 200)
        #expect(response.url.path == "/range/f")
        #expect(try body(response).count == 5000)
        let error = #expect(throws: HTTPError.self) { try HTTP.Client().get(try HTTP.URL(server.url("loop"))) }
        #expect(error == .tooManyRedirects(url: server.url("loop"), limit: 5))
        #expect(throws: HTTPError.tooManyRedirects(url: server.url("redirect/3/f"), limit: 2)) {
            try HTTP.Client(maximumRedirects: 2).get(try HTTP.URL(server.url("redirect/3/f")))
        }
    }

    @Test(loopbackPython) func brokenAnswersAreNamedErrors() throws {
        let server = try TestServer()
        let client = HTTP.Client(timeout: .seconds(5))
        let cases: [(String, String)] = [
            ("hostile-header", "larger than 65536 bytes"), ("hostile-line", "longer than 8192 bytes"),
            ("bad-status", "is not HTTP/1.x"), ("bad-length", "Content-Length \"-5\""), ("hostile-chunk", "not a hexadecimal number"),
            ("nothing", "the server sent nothing"),
        ]
        for (path, text) in cases {
            let error = #expect(throws: HTTPError.self, "\(path)") { try body(try client.get(try HTTP.URL(server.url(path)))) }
            #expect(error.map { "\($0)" }?.contains(text) == true, "\(path): \(String(describing: error))")
            #expect(error.map { "\($0)" }?.contains(server.url(path)) == true, "\(path): \(String(describing: error))")
        }
    }

    @Test(loopbackPython, .timeLimit(.minutes(1))) func aSilentServerTimesOut() throws {
        let server = try TestServer()
        let error = #expect(throws: HTTPError.self) {
            try HTTP.Client(timeout: .milliseconds(500)).get(try HTTP.URL(server.url("silent")))
        }
        guard case .connection(_, let cause) = error else {
            Issue.record("expected a connection error, got \(String(describing: error))")
            return
        }
        #expect(cause.code == ETIMEDOUT && cause.operation == "receive", "\(cause)")
    }

    @Test func refusedConnectionNamesTheAddressAndErrno() throws {
        // Port 1 on loopback: nothing listens there in a test environment.
        let error = #expect(throws: HTTPError.self) { try HTTP.Client().get(try HTTP.URL("http://127.0.0.1:1/b")) }
        #expect(error.map { "\($0)" } == "http://127.0.0.1:1/b: cannot connect to 127.0.0.1 (127.0.0.1 port 1): Connection refused")
    }

    @Test func unknownHostNamesTheResolver() throws {
        // The resolver is faked through the funnel: no query leaves the machine.
        let error = SystemIO.$calls.withValue(UnknownHosts()) {
            #expect(throws: HTTPError.self) { try HTTP.Client().get(try HTTP.URL("http://no-such-host.invalid/b")) }
        }
        #expect(error.map { "\($0)" } == "http://no-such-host.invalid/b: cannot resolve the host name (no-such-host.invalid port 80): "
                + "Name or service not known", "\(String(describing: error))")
    }
}

/// Every name is unknown (EAI_NONAME).
struct UnknownHosts: SystemCallsForwarding {
    let base: any SystemCalls = LinuxSystemCalls()
    func resolve(_ host: String, port: UInt16) throws(AddressLookupError) -> [SocketAddress] {
        throw AddressLookupError(code: EAI_NONAME, systemErrno: 0)
    }
}

/// A whole body.
func body(_ response: HTTP.Response) throws -> [UInt8] {
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 10_000)
    while true {
        let count = try buffer.withUnsafeMutableBytes { try response.read(into: $0) }
        if count == 0 { return bytes }
        bytes += buffer[..<count]
    }
}
