import ByteCodec
import Foundation
import Testing
import TestSupport

@testable import DMVerity

/// Shared helpers: seeded data files, veritysetup runs and the parsing of its output.
enum VeritySupport {
    static let veritysetup = Tools.find("veritysetup")
    static let openssl = Tools.find("openssl")

    /// Fixed salt and UUID, so veritysetup can be given the same ones.
    static func parameters(seed: UInt8 = 7, hashBlockSize: Int = 4096) -> DMVerity.Parameters {
        var parameters = DMVerity.Parameters(
            salt: (0..<32).map { UInt8(truncatingIfNeeded: Int($0) &* 37 &+ Int(seed)) },
            uuid: [0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x4d, 0xef, 0x81, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, seed])
        parameters.hashBlockSize = hashBlockSize
        return parameters
    }

    static func uuidString(_ bytes: [UInt8]) -> String {
        let hex = Hex.encode(bytes)
        let parts = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { range in
            String(hex[hex.index(hex.startIndex, offsetBy: range.lowerBound)..<hex.index(hex.startIndex, offsetBy: range.upperBound)])
        }
        return parts.joined(separator: "-")
    }

    /// `count` seeded pseudo-random bytes.
    static func randomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset + 8 <= buffer.count {
                buffer.storeBytes(of: generator.next(), toByteOffset: offset, as: UInt64.self)
                offset += 8
            }
            while offset < buffer.count {
                buffer[offset] = UInt8(truncatingIfNeeded: generator.next())
                offset += 1
            }
        }
        return bytes
    }

    static func write(_ bytes: [UInt8], to path: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func read(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func fileRegion(_ path: String) throws -> DMVerity.Region {
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64 ?? 0
        return DMVerity.Region(path: path, offset: 0, length: size)
    }

    /// Flip every bit of one byte of a file in place.
    static func flipByte(in path: String, at offset: Int) throws {
        var bytes = try read(path)
        bytes[offset] ^= 0xff
        try write(bytes, to: path)
    }

    /// `veritysetup format` with our salt and UUID; returns its root hash.
    static func veritysetupFormat(data: String, hash: String, parameters: DMVerity.Parameters) throws -> String {
        let tool = try #require(veritysetup)
        let result = try Tools.run(tool, [
            "format", "--salt=\(Hex.encode(parameters.salt))", "--uuid=\(uuidString(parameters.uuid))",
            "--hash-block-size=\(parameters.hashBlockSize)", "--data-block-size=\(parameters.dataBlockSize)",
            data, hash,
        ])
        #expect(result.status == 0, "veritysetup format failed: \(result.stderr)")
        return try #require(field("Root hash", in: result.stdoutText), "no root hash in: \(result.stdoutText)")
    }

    /// `veritysetup verify DATA HASH ROOT`: true when it passes.
    static func veritysetupVerify(data: String, hash: String, rootHash: String) throws -> Tools.Result {
        try Tools.run(try #require(veritysetup), ["verify", data, hash, rootHash])
    }

    /// The value of a "Name:   value" line of veritysetup output.
    static func field(_ name: String, in text: String) -> String? {
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            return line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }
}
