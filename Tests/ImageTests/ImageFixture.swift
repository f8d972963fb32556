import ContentStore
import Crypto
import FileTree
import Foundation
import Bundle
import BuildPipeline
import Manifests
import TestSupport

/// A small root tree and a build of it: every file type the image must carry, a few hundred
/// files, in a 16 MiB slot so a test builds in well under a second.
struct ImageFixture {
    let scratch: ScratchDirectory
    let store: ContentStore
    let tree: FileTree

    init(files: Int = 200, seed: UInt64 = 7) throws {
        scratch = try ScratchDirectory()
        store = try ContentStore(root: scratch.path("cache"))
        var random = SeededGenerator(seed: seed)
        var tree = FileTree()
        for directory in ["/usr", "/usr/bin", "/usr/lib", "/etc", "/var", "/var/lib", "/dev"] {
            try tree.insert(.directory(), at: directory)
        }
        for index in 0..<files {
            let size = Int.random(in: 0...(index % 17 == 0 ? 70_000 : 3000), using: &random)
            let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &random) }
            let ref = try store.put(bytes)
            try tree.insert(FileTree.Node(.regular(ref), mode: index % 5 == 0 ? 0o755 : 0o644), at: "/usr/lib/file-\(index)")
        }
        let ping = try store.put(Array("#!/bin/sh\necho ping\n".utf8))
        // A v2 file capability: cap_net_raw (13) permitted and effective.
        let capability: [UInt8] = [0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        try tree.insert(FileTree.Node(.regular(ping), mode: 0o755, xattrs: ["security.capability": capability]), at: "/usr/bin/ping")
        try tree.insert(FileTree.Node(.hardlink("/usr/bin/ping"), mode: 0o755), at: "/usr/bin/ping6")
        try tree.insert(FileTree.Node(.symlink("usr/bin"), mode: 0o777), at: "/bin")
        try tree.insert(FileTree.Node(.regular(try store.put(Array("host\n".utf8))), mode: 0o644), at: "/etc/hostname")
        try tree.insert(FileTree.Node(.characterDevice(major: 1, minor: 3), mode: 0o666), at: "/dev/null")
        try tree.insert(FileTree.Node(.fifo, mode: 0o600, uid: 1000, gid: 1000), at: "/var/lib/fifo")
        self.tree = tree
    }

    func options(output: String, signer: SigningIdentity?, seed: [UInt8] = Array(repeating: 0x42, count: 16)) -> ImageBuild.Options {
        ImageBuild.Options(output: output, name: "test", version: "1.0", sourceDateEpoch: 1_700_000_000, seed: seed,
                           slotSize: 16 << 20, espSize: 8 << 20, stateSize: 8 << 20, signer: signer)
    }

    func build(into name: String, signer: SigningIdentity?) async throws -> (ImageBuild.Result, ImageBuild.Options) {
        let options = options(output: scratch.path(name), signer: signer)
        try FileManager.default.createDirectory(atPath: options.output, withIntermediateDirectories: true)
        return (try await ImageBuild(options).run(tree: tree, store: store), options)
    }

    /// One RSA identity per test process: generating keys is the slow part.
    static let identity: (SigningIdentity, DevelopmentIdentity) = {
        do {
            let generated = try DevelopmentIdentity.generate(commonName: SigningIdentity.developmentCommonName + " (tests)",
                                                             validityDays: 30, keyType: .rsa2048)
            let identity = try SigningIdentity(key: try PrivateKey(pem: generated.privateKeyPEM),
                                               certificate: try Certificate(pem: generated.certificatePEM), source: "tests")
            return (identity, generated)
        } catch {
            fatalError("cannot make a test identity: \(error)")
        }
    }()

    func writeIdentity() throws -> (key: String, cert: String) {
        let key = scratch.path("key.pem")
        let cert = scratch.path("cert.pem")
        try Self.identity.1.privateKeyPEM.write(toFile: key, atomically: true, encoding: .utf8)
        try Self.identity.1.certificatePEM.write(toFile: cert, atomically: true, encoding: .utf8)
        return (key, cert)
    }
}

/// Copies `length` bytes at `offset` of `path` into a new file (tools that take no offset).
func extract(_ path: String, offset: UInt64, length: UInt64, to target: String) throws {
    let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: offset)
    let data = try handle.read(upToCount: Int(length)) ?? Data()
    try data.write(to: URL(fileURLWithPath: target))
}

func flipByte(in path: String, at offset: UInt64) throws {
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: offset)
    let byte = try handle.read(upToCount: 1) ?? Data([0])
    try handle.seek(toOffset: offset)
    handle.write(Data([byte[0] ^ 0x5A]))
}

extension ImageFixture {
    static func otherCertificate() throws -> Certificate {
        let other = try DevelopmentIdentity.generate(commonName: "someone else", validityDays: 1, keyType: .ecP256)
        return try Certificate(pem: other.certificatePEM)
    }
}

/// Walks a bundle's tar headers by hand (independently of the Bundle module) to find where a
/// member's data starts.
enum UpdateBundleProbe {
    struct NotFound: Error {}

    static func payloadOffset(bundle: String, member role: String) throws -> UInt64 {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: bundle)))
        var offset = 0
        while offset + 512 <= bytes.count {
            let header = bytes[offset..<offset + 512]
            let name = String(decoding: header.prefix(100).prefix { $0 != 0 }, as: UTF8.self)
            if name.isEmpty { break }
            let sizeText = String(decoding: header.dropFirst(124).prefix(12).prefix { $0 != 0 && $0 != 0x20 }, as: UTF8.self)
            let size = Int(sizeText, radix: 8) ?? 0
            if name.hasPrefix(role + ".") { return UInt64(offset + 512) }
            offset += 512 + (size + 511) / 512 * 512
        }
        throw NotFound()
    }
}

extension UpdateBundleProbe {
    /// Every payload of `bundle`, decompressed into `directory` (one file per role), in
    /// manifest order.
    static func payloads(of bundle: String, into directory: String) throws -> [(role: String, path: String)] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let reader = try UpdateBundle.Reader(path: bundle)
        return try reader.manifest.payloads.map { info in
            let path = directory + "/" + info.role.rawValue
            var bytes: [UInt8] = []
            try reader.streamPayload(role: info.role) { bytes.append(contentsOf: $0) }
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return (info.role.rawValue, path)
        }
    }

    /// An unsigned bundle of `payloads`, with the files of `replacing` (role: path) instead.
    static func write(_ bundle: String, rootHash: String, payloads: [(role: String, path: String)],
                      replacing: [String: String] = [:]) throws {
        let sources = try payloads.map { role, path in
            try UpdateBundle.PayloadSource.wholeFile(role: UpdateBundle.PayloadRole(rawValue: role), path: replacing[role] ?? path)
        }
        try UpdateBundle.write(to: bundle, name: "test", version: "1.0", rootHash: rootHash, payloads: sources,
                               signer: nil, mtime: 1_700_000_000)
    }
}
