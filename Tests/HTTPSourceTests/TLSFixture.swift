import Foundation
import Testing
import TestSupport

/// A throwaway certificate authority and server certificates it signs, made by the openssl
/// CLI (`openssl ca`, which alone can back-date a certificate for the expired case).
final class TLSFixture {
    let scratch: ScratchDirectory
    let openssl: String
    /// The CA's certificate, the file `HTTP.Client(caFile:)` is given.
    var caFile: String { scratch.path("ca.pem") }

    static var opensslPath: String? { Tools.find("openssl") }

    /// When a certificate is valid.
    enum Validity {
        case current
        case expired
        var arguments: [String] {
            switch self {
            case .current: return ["-days", "2"]
            case .expired: return ["-startdate", "20200101000000Z", "-enddate", "20200102000000Z"]
            }
        }
    }

    init() throws {
        guard let openssl = Self.opensslPath else { throw ServerError("openssl is not installed") }
        self.openssl = openssl
        scratch = try ScratchDirectory()
        try run([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", scratch.path("ca.key"),
            "-out", caFile, "-subj", "/CN=hostimg test CA", "-days", "2",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
        try "".write(toFile: scratch.path("index.txt"), atomically: true, encoding: .utf8)
        try "01\n".write(toFile: scratch.path("serial"), atomically: true, encoding: .utf8)
        try """
            [ca]
            default_ca = test
            [test]
            database = \(scratch.path("index.txt"))
            new_certs_dir = \(scratch.url.path)
            serial = \(scratch.path("serial"))
            default_md = sha256
            policy = any
            unique_subject = no
            email_in_dn = no
            [any]
            commonName = supplied

            """.write(toFile: scratch.path("ca.cnf"), atomically: true, encoding: .utf8)
    }

    /// A key and a certificate signed by the CA for `subjectAltName` ("DNS:localhost,IP:127.0.0.1").
    func server(_ name: String, subjectAltName: String, validity: Validity = .current) throws -> (certificate: String, key: String) {
        let key = scratch.path("\(name).key")
        let certificate = scratch.path("\(name).pem")
        try run([
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
            "-out", scratch.path("\(name).csr"), "-subj", "/CN=\(name)",
        ])
        try "subjectAltName=\(subjectAltName)\nextendedKeyUsage=serverAuth\n"
            .write(toFile: scratch.path("\(name).ext"), atomically: true, encoding: .utf8)
        try run([
            "ca", "-batch", "-notext", "-config", scratch.path("ca.cnf"), "-cert", caFile, "-keyfile", scratch.path("ca.key"),
            "-in", scratch.path("\(name).csr"), "-out", certificate, "-extfile", scratch.path("\(name).ext"),
        ] + validity.arguments)
        return (certificate, key)
    }

    /// The usual server: localhost, 127.0.0.1 and ::1.
    func loopbackServer(validity: Validity = .current) throws -> (certificate: String, key: String) {
        try server("loopback", subjectAltName: "DNS:localhost,IP:127.0.0.1,IP:::1", validity: validity)
    }

    private func run(_ arguments: [String]) throws {
        let result = try Tools.run(openssl, arguments)
        guard result.status == 0 else {
            throw ServerError("openssl \(arguments.prefix(2).joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
    }
}

let loopbackTLS = ConditionTrait.enabled(
    if: TestServer.python != nil && TLSFixture.opensslPath != nil, "needs python3 and openssl for the loopback HTTPS server")
