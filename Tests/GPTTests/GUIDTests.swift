import ByteCodec
import Foundation
import Testing
import TestSupport

@testable import GPT

@Suite struct GUIDTests {
    @Test func parsesAndFormats() throws {
        let text = "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"
        let guid = try #require(GPT.GUID(text))
        #expect(guid.bytes == [0x4F, 0x68, 0xBC, 0xE3, 0xE8, 0xCD, 0x4D, 0xB1, 0x96, 0xE7, 0xFB, 0xCA, 0xF9, 0x84, 0xB7, 0x09])
        #expect(guid.description == text)
        #expect(GPT.GUID(text.uppercased()) == guid)
        #expect(GPT.GUID.zero.description == "00000000-0000-0000-0000-000000000000")
    }

    @Test(arguments: [
        "", "4f68bce3e8cd4db196e7fbcaf984b709", "4f68bce3-e8cd-4db1-96e7-fbcaf984b70", "4f68bce3-e8cd-4db1-96e7-fbcaf984b7090",
        "4f68bce3-e8cd-4db1-96e7fbcaf984b709-", "4f68bce3-e8cd-4db1-96e7-fbcaf984b7g9", "4f68bce3-e8cd-4db1-96e7-fbcaf984b7é",
        "4f68bce3--e8cd-4db1-96e7-fbcaf984b70", "4f68bce3-e8cd-4db1-96e7-fbcaf984b7é0", "4f68bce3-e8cd-4db1-96e7-fbcaf984b7éé",
    ])
    func rejectsMalformed(_ text: String) {
        #expect(GPT.GUID(text) == nil)
    }

    @Test func espEncodesMixedEndian() throws {
        let esp = GPT.PartitionType.esp
        #expect(esp.description == "c12a7328-f81f-11d2-ba4b-00a0c93ec93b")
        let disk: [UInt8] = [0x28, 0x73, 0x2A, 0xC1, 0x1F, 0xF8, 0xD2, 0x11, 0xBA, 0x4B, 0x00, 0xA0, 0xC9, 0x3E, 0xC9, 0x3B]
        #expect(esp.encodedMixedEndian() == disk)
        #expect(GPT.GUID(mixedEndian: disk) == esp)
        #expect(GPT.GUID(mixedEndian: ([0xFF] + disk)[1...]) == esp)
    }

    @Test func mixedEndianRoundTripsRandomGUIDs() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<200 {
            let guid = GPT.GUID(bytes: (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
            #expect(GPT.GUID(mixedEndian: guid.encodedMixedEndian()) == guid)
            #expect(GPT.GUID(guid.description) == guid)
            // Only the first three fields move.
            #expect(Array(guid.encodedMixedEndian()[8...]) == Array(guid.bytes[8...]))
        }
    }

    @Test func codableAsText() throws {
        let guid = GPT.PartitionType.root
        let data = try JSONEncoder().encode([guid])
        #expect(String(decoding: data, as: UTF8.self) == "[\"4f68bce3-e8cd-4db1-96e7-fbcaf984b709\"]")
        #expect(try JSONDecoder().decode([GPT.GUID].self, from: data) == [guid])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([GPT.GUID].self, from: Data("[\"nope\"]".utf8)) }
    }

    @Test func partitionTypeNames() {
        let type = GPT.PartitionType.self
        let expected: [(GPT.GUID, String, String)] = [
            (type.root, "root-x86-64", "4f68bce3-e8cd-4db1-96e7-fbcaf984b709"),
            (type.rootVerity, "root-x86-64-verity", "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5"),
            (type.rootVeritySignature, "root-x86-64-verity-sig", "41092b05-9fc8-4523-994f-2def0408b176"),
            (type.esp, "esp", "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"),
            (type.variableData, "var", "4d21b016-b534-45c2-a9fb-5c16e091fd2d"),
            (type.linuxData, "linux-generic", "0fc63daf-8483-4772-8e79-3d69d8477de4"),
        ]
        for (guid, name, text) in expected {
            #expect(guid.description == text)
            #expect(type.name(of: guid) == name)
            #expect(type.type(named: name) == guid)
        }
        #expect(type.name(of: .zero) == nil)
    }

    @Test func attributeBits() {
        #expect(GPT.Attributes.requiredPartition.rawValue == 1)
        #expect(GPT.Attributes.noBlockIOProtocol.rawValue == 2)
        #expect(GPT.Attributes.legacyBIOSBootable.rawValue == 4)
        #expect(GPT.Attributes.growFileSystem.rawValue == 1 << 59)
        #expect(GPT.Attributes.readOnly.rawValue == 1 << 60)
        #expect(GPT.Attributes.noAuto.rawValue == 1 << 63)
        #expect(GPT.Attributes([.readOnly, .noAuto]).description == "read-only, no-auto")
        #expect(GPT.Attributes(rawValue: 1 << 50).description == "0x4000000000000")
    }

    @Test func crc32KnownVectors() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        #expect(CRC32.checksum([UInt8](repeating: 0, count: 32)) == 0x190A_55AD)
    }
}

@Suite struct DerivedGUIDTests {
    @Test func setsVersion4AndVariantBits() throws {
        var generator = SeededGenerator(seed: 11)
        for index in 0..<64 {
            let seed = (0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let guid = try derivedGUID(seed: seed, message: Array("m\(index)".utf8))
            #expect(guid.bytes[6] >> 4 == 4)
            #expect(guid.bytes[8] >> 6 == 0b10)
            #expect(guid.description.dropFirst(14).first == "4")
        }
    }

    @Test func deterministicAndSensitiveToInputs() throws {
        let seed = Fixtures.seed
        let message = GPT.PartitionType.root.bytes
        let first = try derivedGUID(seed: seed, message: message)
        #expect(try derivedGUID(seed: seed, message: message) == first)
        #expect(try derivedGUID(seed: seed, message: GPT.PartitionType.rootVerity.bytes) != first)
        #expect(try derivedGUID(seed: [0xFF] + seed.dropFirst(), message: message) != first)
        #expect(try derivedGUID(seed: seed, message: Array("disk-uuid".utf8)) != first)
    }

    /// The HMAC input is exactly (key: seed, message: message): openssl computes the same tag.
    @Test(.enabled(if: Tools.find("openssl") != nil, "openssl is not installed"))
    func matchesOpenSSLHMAC() throws {
        let openssl = try #require(Tools.find("openssl"))
        let scratch = try ScratchDirectory()
        let seed: [UInt8] = [0xDE, 0xAD, 0xBE, 0xEF] + Array(0..<12)
        let cases: [[UInt8]] = [Array("disk-uuid".utf8), GPT.PartitionType.esp.bytes, GPT.PartitionType.root.bytes + [1, 0, 0, 0, 0, 0, 0, 0]]
        for (index, message) in cases.enumerated() {
            let file = scratch.path("message\(index)")
            try Data(message).write(to: URL(fileURLWithPath: file))
            let result = try Tools.run(openssl, ["dgst", "-sha256", "-mac", "HMAC", "-macopt", "hexkey:\(Hex.encode(seed))", file])
            #expect(result.status == 0, "\(result.stderr)")
            let hex = try #require(result.stdoutText.split(separator: "=").last?.trimmingCharacters(in: .whitespacesAndNewlines))
            #expect(hex.count == 64)
            var bytes = try #require(Hex.decode(String(hex.prefix(32))))
            try #require(bytes.count == 16)
            bytes[6] = bytes[6] & 0x0F | 0x40
            bytes[8] = bytes[8] & 0x3F | 0x80
            #expect(try derivedGUID(seed: seed, message: message) == GPT.GUID(bytes: bytes))
        }
    }
}
