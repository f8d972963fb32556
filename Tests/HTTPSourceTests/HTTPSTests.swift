import Foundation
import HTTPSource
import SystemIO
import TLS
import Testing

/// https:// against a loopback TLS server whose certificates a throwaway CA signs: a bundle
/// streams when the CA is given, and every certificate that should not verify is refused
/// with OpenSSL's reason, never read unverified.
@Suite struct HTTPSTests {
    @Test func urlsCarryTheirScheme() throws {
        let url = try HTTP.URL("HTTPS://Example.org/a/b.bundle")
        #expect(url.scheme == .https && url.port == 443 && url.description == "https://Example.org/a/b.bundle")
        #expect(try HTTP.URL("https://h:443/x").description == "https://h/x")
        #expect(try HTTP.URL("https://h:80/x").description == "https://h:80/x")
        #expect(try HTTP.URL("http://h/x").port == 80)
        #expect(try url.resolving("//other/q").description == "https://other/q")
        #expect(try url.resolving("http://h/r").description == "http://h/r")
        #expect(try HTTP.URL("http://h/x").resolving("https://h/y").scheme == .https)
        #expect(try url.resolving("c").scheme == .https)
    }

    @Test(loopbackTLS, arguments: ["range", "chunked"])
    func streamsASignedBundleWithTheCAGiven(mode: String) throws {
        let fixture = try TLSFixture()
        let server = try TestServer(tls: try fixture.loopbackServer())
        let helpers = HTTPBundleTests()
        let (payloads, certificate) = try helpers.bundle(on: server, as: "update.bundle")
        let input = try HTTPBundleInput(url: server.url("\(mode)/update.bundle"), client: HTTP.Client(caFile: fixture.caFile))
        #expect(input.url.scheme == .https)
        try helpers.streamAndCheck(input, payloads: payloads, certificate: certificate)
        #expect(input.requestCount == 1)
    }

    @Test(loopbackTLS) func namesAndBothAddressFamiliesVerify() throws {
        let fixture = try TLSFixture()
        let server = try TestServer(tls: try fixture.loopbackServer())
        try server.put("f", pattern(100_000))
        let client = HTTP.Client(caFile: fixture.caFile)
        #expect(try body(try client.get(try HTTP.URL(server.url("plain/f", host: "localhost")))) == pattern(100_000))
        if server.hasIPv6 {
            #expect(try body(try client.get(try HTTP.URL(server.url("plain/f", host: "[::1]")))) == pattern(100_000))
        }
    }

    @Test(loopbackTLS) func theSystemStoreRefusesAPrivateCA() throws {
        let fixture = try TLSFixture()  // kept: its files are the server's until it has read them
        let server = try TestServer(tls: try fixture.loopbackServer())
        try server.put("f", pattern(1000))
        let error = try refusal(server.url("plain/f"), client: HTTP.Client())
        #expect(error.reason == "unable to get local issuer certificate", "\(error)")
        #expect(error.text.contains("does not verify"), "\(error.text)")
        #expect(error.text.hasPrefix(server.url("plain/f") + ": "), "\(error.text)")
    }

    @Test(loopbackTLS) func aCertificateForAnotherHostIsRefusedNamingTheHost() throws {
        let fixture = try TLSFixture()
        let server = try TestServer(tls: try fixture.server("other", subjectAltName: "DNS:other.example"))
        try server.put("f", pattern(1000))
        let client = HTTP.Client(caFile: fixture.caFile)
        let byName = try refusal(server.url("plain/f", host: "localhost"), client: client)
        #expect(byName.reason == "hostname mismatch" && byName.host == "localhost", "\(byName)")
        #expect(byName.text.contains("certificate for localhost does not verify: hostname mismatch"), "\(byName.text)")
        let byAddress = try refusal(server.url("plain/f"), client: client)
        #expect(byAddress.reason == "IP address mismatch" && byAddress.host == "127.0.0.1", "\(byAddress)")
    }

    @Test(loopbackTLS) func anExpiredCertificateIsRefused() throws {
        let fixture = try TLSFixture()
        let server = try TestServer(tls: try fixture.loopbackServer(validity: .expired))
        try server.put("f", pattern(1000))
        let error = try refusal(server.url("plain/f"), client: HTTP.Client(caFile: fixture.caFile))
        #expect(error.reason == "certificate has expired", "\(error)")
    }

    @Test(loopbackTLS) func redirectsCrossBetweenHTTPAndHTTPS() throws {
        let fixture = try TLSFixture()
        let secure = try TestServer(tls: try fixture.loopbackServer())
        let plain = try TestServer()
        try plain.put("f", pattern(200_000))
        // http → https → http, then https → http → https.
        let back = secure.url("goto/" + hex(plain.url("range/f")))
        try secure.put("f", pattern(200_000))
        let client = HTTP.Client(caFile: fixture.caFile)
        let first = try client.get(try HTTP.URL(plain.url("goto/" + hex(back))))
        #expect(first.url.description == plain.url("range/f") && first.statusCode == 206)
        #expect(try body(first) == pattern(200_000))
        let second = try client.get(try HTTP.URL(secure.url("goto/" + hex(plain.url("goto/" + hex(secure.url("plain/f")))))))
        #expect(second.url.description == secure.url("plain/f") && second.url.scheme == .https)
        #expect(try body(second) == pattern(200_000))
    }

    @Test(loopbackTLS, .timeLimit(.minutes(1))) func brokenTLSIsANamedError() throws {
        let fixture = try TLSFixture()
        let secure = try TestServer(tls: try fixture.loopbackServer())
        try secure.put("f", pattern(5000))
        let client = HTTP.Client(timeout: .milliseconds(800), caFile: fixture.caFile)
        // A body without a length needs close_notify, which the server never sends.
        let cut = #expect(throws: HTTPError.self) { try body(try client.get(try HTTP.URL(secure.url("until-close/f")))) }
        #expect(cut.map { "\($0)" }?.contains("before the TLS close_notify") == true, "\(String(describing: cut))")
        // A TLS server that sends nothing after the handshake times out like a plain one.
        let silent = #expect(throws: HTTPError.self) { try client.get(try HTTP.URL(secure.url("silent"))) }
        guard case .connection(_, let cause) = silent else {
            Issue.record("expected a timeout, got \(String(describing: silent))")
            return
        }
        #expect(cause.code == ETIMEDOUT, "\(cause)")
        // https:// to a plain HTTP server: the handshake fails, it does not hang.
        let plain = try TestServer()
        let mixed = #expect(throws: HTTPError.self) { try client.get(try HTTP.URL(plain.url("plain/f").replacingOccurrences(of: "http:", with: "https:"))) }
        guard case .tls(_, .handshake(let host, let reasons)) = mixed else {
            Issue.record("expected a handshake error, got \(String(describing: mixed))")
            return
        }
        #expect(host == "127.0.0.1" && !reasons.isEmpty)
        // A CA file that is missing is named, not replaced by the system's.
        let missing = #expect(throws: HTTPError.self) { try HTTP.Client(caFile: "/nonexistent/ca.pem").get(try HTTP.URL(secure.url("plain/f"))) }
        guard case .tls(_, .authorities(let path, _)) = missing else {
            Issue.record("expected an authorities error, got \(String(describing: missing))")
            return
        }
        #expect(path == "/nonexistent/ca.pem")
    }

    /// The certificate error a GET of `url` ends in: host, OpenSSL's reason, the message.
    private func refusal(_ url: String, client: HTTP.Client) throws -> (host: String, reason: String, text: String) {
        let error = #expect(throws: HTTPError.self) { try client.get(try HTTP.URL(url)) }
        guard case .tls(let named, .certificate(let host, let reason, _)) = error, named == url else {
            throw ServerError("expected a certificate error for \(url), got \(String(describing: error))")
        }
        return (host, reason, "\(error.map { "\($0)" } ?? "")")
    }

    private func hex(_ text: String) -> String {
        text.utf8.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}
