import Crypto
import Foundation
import Testing
import TestSupport

@testable import Bundle

/// The written bundle checked by the upstream tools: bsdtar and GNU tar list it, bsdtar and
/// zstd unpack it to the original payloads, openssl verifies the manifest signature.
@Suite struct BundleToolTests {
    @Test(
        .enabled(if: Tools.find("bsdtar") != nil && Tools.find("zstd") != nil && Tools.find("openssl") != nil, "bsdtar, zstd or openssl is not installed"),
        arguments: [DevelopmentIdentity.KeyType.rsa2048, .ecP256])
    func upstreamToolsReadTheBundle(keyType: DevelopmentIdentity.KeyType) throws {
        let scratch = try ScratchDirectory()
        let payloads = try Fixtures.payloads(in: scratch)
        let identity = try Fixtures.identity(keyType)
        let bundle = scratch.path("update.bundle")
        let manifest = try Fixtures.writeBundle(bundle, payloads, signer: try Fixtures.signer(identity))

        // The manifest describes the inputs.
        #expect(manifest.payloads.map(\.file) == ["root.erofs.zst", "verity.hashtree.zst", "verity-sig.p7s.zst"])
        #expect(manifest.payloads.map(\.size) == [UInt64(8 << 20), 70_000, 0])
        #expect(manifest.payloads[0].sha256 == (try SHA256.hexDigest(payloads.root)))
        #expect(manifest.payloads[1].sha256 == (try SHA256.hexDigest(payloads.verity)))
        #expect(manifest.payloads[2].sha256 == (try SHA256.hexDigest([])))
        #expect(manifest.payloads[0].compressedSize < manifest.payloads[0].size)
        #expect(manifest.signedBy == (try Fixtures.certificate(identity)).sha256Fingerprint)

        // bsdtar lists the members in order, with the deterministic header fields.
        let bsdtar = try #require(Tools.find("bsdtar"))
        let listing = try Tools.run(bsdtar, ["-tvf", bundle])
        #expect(listing.status == 0, "\(listing.stderr)")
        let lines = listing.stdoutText.split(separator: "\n")
        #expect(lines.map { $0.split(separator: " ").last.map(String.init) ?? "" }
            == ["manifest.json", "manifest.json.p7s", "root.erofs.zst", "verity.hashtree.zst", "verity-sig.p7s.zst"])
        #expect(lines.allSatisfy { $0.hasPrefix("-rw-r--r--  0 0      0") }, "\(listing.stdoutText)")
        if let gnuTar = Tools.find("tar") {
            let gnu = try Tools.run(gnuTar, ["--numeric-owner", "--full-time", "-tvf", bundle])
            #expect(gnu.status == 0, "\(gnu.stderr)")
            #expect(gnu.stdoutText.split(separator: "\n").count == 5)
            #expect(gnu.stderr.isEmpty, "GNU tar warned: \(gnu.stderr)")
        }

        // bsdtar + zstd reproduce the payloads exactly.
        let out = scratch.path("x")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let extract = try Tools.run(bsdtar, ["-xf", bundle, "-C", out])
        #expect(extract.status == 0, "\(extract.stderr)")
        let zstd = try #require(Tools.find("zstd"))
        for info in manifest.payloads {
            let result = try Tools.run(zstd, ["-d", "-c", "\(out)/\(info.file)"])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout == payloads.byRole[info.role], "payload \(info.role) differs after zstd -d")
        }
        #expect(try Fixtures.bytes("\(out)/manifest.json") == manifest.encoded())

        // openssl accepts the detached signature over the manifest bytes.
        let certificatePath = scratch.path("cert.pem")
        try identity.certificatePEM.write(toFile: certificatePath, atomically: true, encoding: .utf8)
        let openssl = try #require(Tools.find("openssl"))
        let verify = try Tools.run(openssl, [
            "smime", "-verify", "-binary", "-inform", "DER", "-in", "\(out)/manifest.json.p7s",
            "-content", "\(out)/manifest.json", "-certfile", certificatePath, "-CAfile", certificatePath,
            "-purpose", "any", "-noverify", "-out", "/dev/null",
        ])
        #expect(verify.status == 0, "openssl: \(verify.stderr)")
        // ... and rejects it over altered bytes.
        var altered = try Fixtures.bytes("\(out)/manifest.json")
        altered[altered.count / 2] ^= 0x01
        try Fixtures.write(altered, to: "\(out)/manifest.json")
        let reject = try Tools.run(openssl, [
            "smime", "-verify", "-binary", "-inform", "DER", "-in", "\(out)/manifest.json.p7s",
            "-content", "\(out)/manifest.json", "-certfile", certificatePath, "-CAfile", certificatePath,
            "-purpose", "any", "-noverify", "-out", "/dev/null",
        ])
        #expect(reject.status != 0)

        // Our own reader agrees.
        let reader = try UpdateBundle.Reader(path: bundle)
        #expect(reader.manifest == manifest)
        try reader.verifySignature(trusting: try Fixtures.certificate(identity))
        try reader.verifyPayloads()
    }

    @Test(.enabled(if: Tools.find("bsdtar") != nil, "bsdtar is not installed"))
    func unsignedBundleHasNoSignatureMember() throws {
        let scratch = try ScratchDirectory()
        let payloads = try Fixtures.payloads(in: scratch, rootSize: 10_000)
        let bundle = scratch.path("unsigned.bundle")
        let manifest = try Fixtures.writeBundle(bundle, payloads, signer: nil)
        #expect(manifest.signedBy == nil)
        let listing = try Tools.run(try #require(Tools.find("bsdtar")), ["-tf", bundle])
        #expect(listing.stdoutText == "manifest.json\nroot.erofs.zst\nverity.hashtree.zst\nverity-sig.p7s.zst\n")
    }
}
