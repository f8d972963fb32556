import Crypto
import Foundation
import Testing
import TestSupport

@testable import Bundle

/// Shared inputs: signing identities (generated once per test run, RSA keys take a moment),
/// payload files and small helpers to look inside bundles.
enum Fixtures {
    static let mtime: Int64 = 1_700_000_000
    static let rootHash = String(repeating: "ab", count: 32)

    private static let rsa = Result { try DevelopmentIdentity.generate(commonName: "bundle test rsa", validityDays: 30, keyType: .rsa2048) }
    private static let otherRSA = Result { try DevelopmentIdentity.generate(commonName: "someone else", validityDays: 30, keyType: .rsa2048) }
    private static let ec = Result { try DevelopmentIdentity.generate(commonName: "bundle test ec", validityDays: 30, keyType: .ecP256) }

    static func identity(_ type: DevelopmentIdentity.KeyType) throws -> DevelopmentIdentity {
        try (type == .rsa2048 ? rsa : ec).get()
    }

    static func otherIdentity() throws -> DevelopmentIdentity { try otherRSA.get() }

    static func signer(_ identity: DevelopmentIdentity) throws -> UpdateBundle.Signer {
        UpdateBundle.Signer(key: try PrivateKey(pem: identity.privateKeyPEM), certificate: try Certificate(pem: identity.certificatePEM))
    }

    static func certificate(_ identity: DevelopmentIdentity) throws -> Certificate {
        try Certificate(pem: identity.certificatePEM)
    }

    /// Semi-compressible bytes: random runs mixed with repeated text, roughly what a file
    /// system image compresses like.
    static func data(count: Int, seed: UInt64) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        var bytes = [UInt8](repeating: 0, count: count)
        let text = Array("usr/lib/x86_64-linux-gnu/libc.so.6 ELF 64-bit LSB shared object ".utf8)
        var index = 0
        while index < count {
            let run = Int(generator.next() % 512) + 16
            if generator.next() % 2 == 0 {
                for offset in 0..<min(run, count - index) { bytes[index + offset] = text[offset % text.count] }
            } else {
                var word = generator.next()
                for offset in 0..<min(run, count - index) {
                    if offset % 8 == 0 { word = generator.next() }
                    bytes[index + offset] = UInt8(truncatingIfNeeded: word >> (UInt64(offset % 8) * 8))
                }
            }
            index += run
        }
        return bytes
    }

    /// The three payloads the build writes: root (inside a "disk image" at an offset, as a
    /// partition would be), verity and an empty verity-sig.
    struct Payloads {
        let root: [UInt8]
        let verity: [UInt8]
        let veritySig: [UInt8]
        let sources: [UpdateBundle.PayloadSource]

        var byRole: [UpdateBundle.PayloadRole: [UInt8]] { ["root": root, "verity": verity, "verity-sig": veritySig] }
    }

    static let rootOffset: UInt64 = 1 << 20

    static func payloads(in scratch: ScratchDirectory, rootSize: Int = 8 << 20, veritySig: [UInt8] = []) throws -> Payloads {
        let root = data(count: rootSize, seed: 1)
        let verity = data(count: 70_000, seed: 2)
        var disk = data(count: Int(rootOffset), seed: 3)
        disk += root
        disk += data(count: 4096, seed: 4)
        try Data(disk).write(to: scratch.url.appendingPathComponent("disk.img"))
        try Data(verity).write(to: scratch.url.appendingPathComponent("verity.img"))
        try Data(veritySig).write(to: scratch.url.appendingPathComponent("root.p7s"))
        return Payloads(
            root: root, verity: verity, veritySig: veritySig,
            sources: [
                UpdateBundle.PayloadSource(role: "root", path: scratch.path("disk.img"), offset: rootOffset, length: UInt64(root.count)),
                try .wholeFile(role: "verity", path: scratch.path("verity.img")),
                try .wholeFile(role: "verity-sig", path: scratch.path("root.p7s")),
            ])
    }

    @discardableResult
    static func writeBundle(
        _ path: String, _ payloads: Payloads, signer: UpdateBundle.Signer?, version: String = "1.0.0"
    ) throws -> UpdateBundle.Manifest {
        try UpdateBundle.write(
            to: path, name: "hostimg-test", version: version, rootHash: rootHash, payloads: payloads.sources,
            signer: signer, mtime: mtime)
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// Offset of the data of member `name`, found by scanning the 512-byte headers.
    static func dataOffset(of name: String, in bundle: [UInt8]) throws -> Int {
        var offset = 0
        while offset + 512 <= bundle.count {
            let header = try UpdateBundle.TarHeader(decoding: Array(bundle[offset..<(offset + 512)]), at: UInt64(offset), path: "test")
            if header.name == name { return offset + 512 }
            offset += 512 + Int(header.paddedDataSize)
        }
        throw BundleError.payloadMissing(role: "?", file: name)
    }

    /// Assemble a tar from raw members with the bundle's own member writer (for hostile inputs).
    static func tar(_ path: String, members: [(String, [UInt8])]) throws {
        try UpdateBundle.writeAtomically(path) { output in
            for (name, bytes) in members {
                try UpdateBundle.appendMember(name, bytes: bytes, mtime: 0, to: &output)
            }
        }
    }
}
