import Crypto
import Foundation
import TestSupport

@testable import GPT

/// The hostimg disk: ESP, two A/B slots of root + verity + signature, and the state partition.
enum Fixtures {
    static let mib: UInt64 = 1 << 20
    static let seed: [UInt8] = Array(0..<16)

    static let diskGUID = GPT.GUID("6b2f1c3e-0d4a-4f5b-8c7d-9e8f7a6b5c4d") ?? .zero

    /// Partition UUID the repart way: HMAC(seed, type bytes [+ le64 k for the k-th extra]).
    static func uuid(_ type: GPT.GUID, _ k: UInt64) -> GPT.GUID {
        var message = type.bytes
        if k > 0 { message += (0..<8).map { UInt8(truncatingIfNeeded: k >> ($0 * 8)) } }
        return (try? derivedGUID(seed: seed, message: message)) ?? .zero
    }

    static var hostimgRequests: [GPT.Layout.Request] {
        let type = GPT.PartitionType.self
        return [
            .init(name: "esp", type: type.esp, uuid: uuid(type.esp, 0), size: 128 * mib),
            .init(name: "qemu-dev_0.1.0", type: type.root, uuid: uuid(type.root, 0), size: 560 * mib),
            .init(
                name: "qemu-dev_0.1.0", type: type.rootVerity, uuid: uuid(type.rootVerity, 0), size: 8 * mib,
                attributes: .readOnly),
            .init(
                name: "qemu-dev_0.1.0", type: type.rootVeritySignature, uuid: uuid(type.rootVeritySignature, 0),
                size: 16 * 1024, attributes: .readOnly),
            .init(name: "_empty", type: type.root, uuid: uuid(type.root, 1), size: 560 * mib),
            .init(
                name: "_empty", type: type.rootVerity, uuid: uuid(type.rootVerity, 1), size: 8 * mib,
                attributes: .readOnly),
            .init(
                name: "_empty", type: type.rootVeritySignature, uuid: uuid(type.rootVeritySignature, 1),
                size: 16 * 1024, attributes: .readOnly),
            .init(
                name: "state", type: type.variableData, uuid: uuid(type.variableData, 0), size: 256 * mib,
                attributes: .growFileSystem),
        ]
    }

    static func hostimgTable() throws -> GPT.Table {
        try GPT.Layout.plan(diskSize: 2 << 30, diskGUID: diskGUID, requests: hostimgRequests)
    }

    /// A small disk for tests that damage bytes: 4 MiB with two partitions.
    static func smallTable() throws -> GPT.Table {
        let type = GPT.PartitionType.self
        return try GPT.Layout.plan(
            diskSize: 4 * mib, diskGUID: diskGUID,
            requests: [
                .init(name: "a", type: type.root, uuid: uuid(type.root, 0), size: mib),
                .init(name: "b", type: type.linuxData, uuid: uuid(type.linuxData, 0), size: mib, attributes: .noAuto),
            ])
    }

    static func bytes(_ path: String, at offset: UInt64, count: Int) throws -> [UInt8] {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        return [UInt8](try handle.read(upToCount: count) ?? Data())
    }

    static func overwrite(_ path: String, at offset: UInt64, with bytes: [UInt8]) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: offset)
        try handle.write(contentsOf: Data(bytes))
    }

    /// XOR one byte, so the damage is never a no-op.
    static func flip(_ path: String, at offset: UInt64) throws {
        let old = try bytes(path, at: offset, count: 1)
        try overwrite(path, at: offset, with: [(old.first ?? 0) ^ 0x5A])
    }
}

/// A table written to a sparse image file in its own scratch directory.
final class WrittenImage {
    let scratch: ScratchDirectory
    let path: String
    let table: GPT.Table

    /// `table`, or the hostimg layout when none is given.
    init(_ table: GPT.Table? = nil) throws {
        scratch = try ScratchDirectory()
        path = scratch.path("disk.img")
        self.table = try table ?? Fixtures.hostimgTable()
        try GPT.write(self.table, to: path)
    }
}

/// systemd-repart's identifier, as ImageLayout derives it: HMAC-SHA256(seed, message) as a v4 GUID.
func derivedGUID(seed: [UInt8], message: [UInt8]) throws -> GPT.GUID {
    GPT.GUID.version4(from: try HMACSHA256.authenticationCode(for: message, key: seed))
}
