import Bundle
import Crypto
import Foundation
import HTTPSource
import Testing
import TestSupport

/// A real signed bundle read over HTTP the way the agent reads it: sequentially, one stream.
@Suite struct HTTPBundleTests {
    private static let identity = Result { try DevelopmentIdentity.generate(commonName: "http bundle test", validityDays: 30, keyType: .ecP256) }

    /// A signed bundle with three payloads, in the server's directory as `name`; returns the
    /// payloads by role and the certificate that verifies it. HTTPSTests reuses it.
    func bundle(on server: TestServer, as name: String) throws -> ([UpdateBundle.PayloadRole: [UInt8]], Certificate) {
        let identity = try Self.identity.get()
        let payloads: [(UpdateBundle.PayloadRole, [UInt8])] = [
            ("root", pattern(1_200_000, seed: 1) + [UInt8](repeating: 7, count: 800_000)),
            ("verity", pattern(70_000, seed: 2)), ("verity-sig", []),
        ]
        var sources: [UpdateBundle.PayloadSource] = []
        for (role, bytes) in payloads {
            let path = server.scratch.path("payload-\(role)")
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            sources.append(try .wholeFile(role: role, path: path))
        }
        let signer = UpdateBundle.Signer(key: try PrivateKey(pem: identity.privateKeyPEM), certificate: try Certificate(pem: identity.certificatePEM))
        try UpdateBundle.write(
            to: server.scratch.path(name), name: "http-test", version: "1.0.0", rootHash: String(repeating: "cd", count: 32),
            payloads: sources, signer: signer, mtime: 1_700_000_000)
        return (Dictionary(uniqueKeysWithValues: payloads), try Certificate(pem: identity.certificatePEM))
    }

    @Test(loopbackPython, arguments: ["range", "plain", "chunked"])
    func streamsASignedBundleInOneRequest(mode: String) throws {
        let server = try TestServer()
        let (payloads, certificate) = try bundle(on: server, as: "update.bundle")
        let input = try HTTPBundleInput(url: server.url("\(mode)/update.bundle"))
        let reader = try streamAndCheck(input, payloads: payloads, certificate: certificate)
        #expect(input.requestCount == 1, "a sequential reader reads forward only")
        // Out of order is refused in a sequential reader.
        #expect(throws: BundleError.self) { try reader.streamPayload(role: "root") { _ in } }
    }

    /// Reads `input` as the agent does: the signature, every payload in order (each compared
    /// with what was written), the archive's end. HTTPSTests reuses it.
    @discardableResult
    func streamAndCheck(
        _ input: HTTPBundleInput, payloads: [UpdateBundle.PayloadRole: [UInt8]], certificate: Certificate
    ) throws -> UpdateBundle.Reader {
        let reader = try UpdateBundle.Reader(input: input, sequential: true)
        try reader.verifySignature(trusting: certificate)
        for info in reader.manifest.payloads {
            var received: [UInt8] = []
            try reader.streamPayload(role: info.role) { received.append(contentsOf: $0) }
            #expect(try SHA256.hexDigest(received) == info.sha256, "\(info.role)")
            #expect(received == payloads[info.role], "\(info.role)")
        }
        try reader.checkEnd()
        return reader
    }

    @Test(loopbackPython) func aFlippedPayloadByteNamesTheRole() throws {
        let server = try TestServer()
        let (_, certificate) = try bundle(on: server, as: "good.bundle")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: server.scratch.path("good.bundle"))))
        let verity = try UpdateBundle.Reader(path: server.scratch.path("good.bundle")).manifest.payloads[1]
        let verityData = try dataOffset(of: verity.file, in: bytes)
        bytes[verityData + Int(verity.compressedSize) / 2] ^= 0x10
        try server.put("bad.bundle", bytes)

        let reader = try UpdateBundle.Reader(input: try HTTPBundleInput(url: server.url("range/bad.bundle")), sequential: true)
        try reader.verifySignature(trusting: certificate)
        try reader.streamPayload(role: "root") { _ in }
        let error = #expect(throws: BundleError.self) { try reader.streamPayload(role: "verity") { _ in } }
        guard case .payloadMismatch(let role, _) = error else {
            Issue.record("expected payloadMismatch, got \(String(describing: error))")
            return
        }
        #expect(role == "verity")
    }

    /// Where member `name`'s data starts, scanning the 512-byte ustar headers (name at 0,
    /// octal size at 124).
    private func dataOffset(of name: String, in bundle: [UInt8]) throws -> Int {
        var offset = 0
        while offset + 512 <= bundle.count {
            let header = bundle[offset..<(offset + 512)]
            let member = String(decoding: header.prefix(100).prefix { $0 != 0 }, as: UTF8.self)
            if member == name { return offset + 512 }
            let sizeText = String(decoding: header.dropFirst(124).prefix(11), as: UTF8.self)
            guard let size = Int(sizeText, radix: 8) else { break }
            offset += 512 + (size + 511) / 512 * 512
        }
        throw ServerError("no member \(name) in the bundle")
    }
}
