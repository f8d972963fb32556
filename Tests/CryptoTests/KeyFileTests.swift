import Crypto
import Foundation
import TestSupport
import Testing

/// Key and certificate paths are input: a FIFO, a directory or a huge file is refused, never
/// read forever (issue 12: `--cert` given a FIFO used to block `verify` and `sign`).
@Suite struct KeyFileTests {
    @Test func aFIFOIsRefusedNotReadForever() throws {
        let scratch = try ScratchDirectory()
        let fifo = scratch.path("cert.pem")
        #expect(mkfifo(fifo, 0o600) == 0)
        let certificate = #expect(throws: CryptoError.self) { try Certificate(pemFile: fifo) }
        #expect("\(certificate.map { "\($0)" } ?? "")".contains("FIFO"))
        #expect(throws: CryptoError.self) { try PrivateKey(pemFile: fifo) }
    }

    @Test func aDirectoryAndAnOversizedFileAreRefused() throws {
        let scratch = try ScratchDirectory()
        #expect(throws: CryptoError.self) { try Certificate(pemFile: scratch.url.path) }
        let big = scratch.path("big.pem")
        try Data(count: 2 << 20).write(to: URL(fileURLWithPath: big))
        let error = #expect(throws: CryptoError.self) { try PrivateKey(pemFile: big) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("larger than"))
    }

    @Test func aRealFileStillLoads() throws {
        let scratch = try ScratchDirectory()
        let identity = try DevelopmentIdentity.generate(commonName: "key file test", validityDays: 1)
        try identity.certificatePEM.write(toFile: scratch.path("c.pem"), atomically: true, encoding: .utf8)
        try identity.privateKeyPEM.write(toFile: scratch.path("k.pem"), atomically: true, encoding: .utf8)
        let certificate = try Certificate(pemFile: scratch.path("c.pem"))
        #expect(try PrivateKey(pemFile: scratch.path("k.pem")).matches(certificate))
    }
}
