import Crypto
import Foundation
import Synchronization
import SystemIO
import Testing
import TestSupport
import VMM

/// The sentinel: a round trip through the file, and every corruption found and named.
@Suite struct SentinelTests {
    static let region = Sentinel.Region(size: "256M", offset: "1G")

    struct Fixture {
        let scratch: ScratchDirectory
        let sentinel: Sentinel
        var path: String { scratch.path("hostimg-sentinel") }
        func file(_ name: String) -> String { scratch.path(name) }
    }

    /// Bytes that differ from page to page, so a moved or swapped page changes the hash.
    static func pattern(_ count: Int, seed: UInt8) -> Data {
        Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 12 &+ Int(seed)) })
    }

    /// Two VMs: web (state 100 KiB, RAM 1 MiB) and db (state 10 KiB, RAM 2 MiB), recorded
    /// and written.
    static func fixture() throws -> Fixture {
        let scratch = try ScratchDirectory()
        let files: [(String, Int, UInt8)] = [("web.state", 100 << 10, 1), ("web.ram", 1 << 20, 2), ("db.state", 10 << 10, 3), ("db.ram", 2 << 20, 4)]
        for (name, size, seed) in files { try pattern(size, seed: seed).write(to: URL(fileURLWithPath: scratch.path(name))) }
        let inputs = ["web", "db"].map { name in
            Sentinel.Input(name: name, argv: ["qemu-system-x86_64", "-name", name, "-incoming", "defer"],
                           stateFile: scratch.path("\(name).state"), ramFiles: [scratch.path("\(name).ram")])
        }
        let sentinel = try Sentinel.record(transaction: "3f9c0d2a5e41b7a8", region: region, vms: inputs)
        try sentinel.write(to: scratch.path("hostimg-sentinel"))
        return Fixture(scratch: scratch, sentinel: sentinel)
    }

    static func flip(_ path: String, at offset: Int) throws {
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[offset] ^= 0x40
        try data.write(to: URL(fileURLWithPath: path))
    }

    static func truncate(_ path: String, to size: UInt64) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: size)
        try handle.close()
    }

    @Test func roundTrip() throws {
        let fixture = try Self.fixture()
        let checks = try Sentinel.verify(path: fixture.path, region: Self.region, transaction: "3f9c0d2a5e41b7a8")
        #expect(checks.map(\.vm.name) == ["web", "db"] && checks.allSatisfy(\.isIntact))
        #expect(checks[0].vm.argv == ["qemu-system-x86_64", "-name", "web", "-incoming", "defer"])
        #expect(checks[0].vm.state.size == 100 << 10 && checks[1].vm.ram[0].size == 2 << 20 && checks[1].vm.ram[0].pages == 64)
        #expect(checks[0].vm.ram[0].pages == 64 && checks[0].vm.ram[0].pageSize == 4096)
        let bytes = try fixture.sentinel.encoded()
        #expect(try Sentinel.decode(bytes, path: "x") == fixture.sentinel)
        #expect(Array(bytes.prefix(8)) == Array("HIMGSNTL".utf8))
        let onDisk = try Data(contentsOf: URL(fileURLWithPath: fixture.path))
        #expect([UInt8](onDisk) == bytes)
        let mode = try FileManager.default.attributesOfItem(atPath: fixture.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        // The state hash is sha256sum's.
        let expected = try SHA256.hash([UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture.file("web.state")))))
        #expect(checks[0].vm.state.sha256 == expected)
    }

    @Test func aChangedSentinelFileStopsEveryVM() throws {
        let fixture = try Self.fixture()
        let size = UInt64(try fixture.sentinel.encoded().count)
        let verify = { () throws(SentinelError) -> [Sentinel.Check] in try Sentinel.verify(path: fixture.path, region: Self.region) }
        try Self.flip(fixture.path, at: 20)
        #expect(throws: SentinelError.checksumMismatch(path: fixture.path)) { try verify() }
        try Self.flip(fixture.path, at: 20)
        try Self.flip(fixture.path, at: Int(size) - 1)
        #expect(throws: SentinelError.checksumMismatch(path: fixture.path), "the checksum's own bytes") { try verify() }
        try Self.flip(fixture.path, at: Int(size) - 1)
        try Self.flip(fixture.path, at: 0)
        #expect(throws: SentinelError.badMagic(path: fixture.path)) { try verify() }
        try Self.flip(fixture.path, at: 0)
        try Self.flip(fixture.path, at: 12)
        #expect(throws: SentinelError.lengthMismatch(path: fixture.path, recorded: size ^ 0x40, actual: size)) { try verify() }
        try Self.flip(fixture.path, at: 12)
        #expect(throws: SentinelError.regionDiffers(recorded: Self.region, running: .init(size: "256M", offset: "2G"))) {
            try Sentinel.verify(path: fixture.path, region: .init(size: "256M", offset: "2G"))
        }
        #expect(throws: SentinelError.transactionDiffers(recorded: "3f9c0d2a5e41b7a8", expected: "other")) {
            try Sentinel.verify(path: fixture.path, region: Self.region, transaction: "other")
        }
        try Self.truncate(fixture.path, to: size - 1)
        #expect(throws: SentinelError.lengthMismatch(path: fixture.path, recorded: size, actual: size - 1)) { try verify() }
        try Self.truncate(fixture.path, to: 5)
        #expect(throws: SentinelError.truncated(path: fixture.path, actual: 5)) { try verify() }
        try FileManager.default.removeItem(atPath: fixture.path)
        #expect(throws: SentinelError.self) { try verify() }
    }

    /// `bytes` with `change` applied and the checksum made right again: what a writer bug
    /// (not corruption) would produce.
    static func resealed(_ bytes: [UInt8], _ change: (inout [UInt8]) -> Void) throws -> [UInt8] {
        var body = Array(bytes.dropLast(32))
        change(&body)
        return body + (try SHA256.hash(body))
    }

    @Test func anotherVersionOrABadFieldIsNamed() throws {
        let bytes = try Self.fixture().sentinel.encoded()
        let newer = try Self.resealed(bytes) { $0[8] = 2 }
        #expect(throws: SentinelError.unsupportedVersion(path: "s", version: 2)) { try Sentinel.decode(newer, path: "s") }
        // The VM count sits after the transaction (16 bytes) and the region's words ("256M", "1G").
        let countOffset = 16 + (4 + 16) + (4 + 4) + (4 + 2)
        let huge = try Self.resealed(bytes) { $0[countOffset + 2] = 0xFF }
        #expect(throws: SentinelError.self) { try Sentinel.decode(huge, path: "s") }
        do {
            _ = try Sentinel.decode(huge, path: "s")
        } catch {
            #expect(error.description.hasPrefix("sentinel s is malformed: a count of 16711682 at offset \(countOffset)"))
        }
    }

    @Test func aChangedStateFileStopsItsVMAlone() throws {
        let fixture = try Self.fixture()
        try Self.flip(fixture.file("web.state"), at: 50_000)
        var checks = try Sentinel.verify(path: fixture.path, region: Self.region)
        #expect(checks[0].failures == [.stateFileHash(vm: "web", path: fixture.file("web.state"))] && checks[1].isIntact)
        #expect(checks[0].failures[0].vm == "web")
        try Self.truncate(fixture.file("db.state"), to: 100)
        try FileManager.default.removeItem(atPath: fixture.file("web.state"))
        checks = try Sentinel.verify(path: fixture.path, region: Self.region)
        #expect(checks[1].failures == [.stateFileSize(vm: "db", path: fixture.file("db.state"), recorded: 10 << 10, found: 100)])
        guard case .stateFileUnreadable(vm: "web", path: fixture.file("web.state"), _)? = checks[0].failures.first else {
            Issue.record("\(checks[0].failures)")
            return
        }
    }

    @Test func aChangedSampledPageIsFoundAndAnUnsampledOneIsNot() throws {
        let fixture = try Self.fixture()
        let offsets = Sentinel.sampleOffsets(fileSize: 2 << 20)
        let unsampled = try #require((0..<512).map { UInt64($0) * 4096 }.first { !offsets.contains($0) })
        try Self.flip(fixture.file("db.ram"), at: Int(unsampled) + 7)
        #expect(try Sentinel.verify(path: fixture.path, region: Self.region).allSatisfy(\.isIntact),
                "only the sample is checked: the cost stays fixed")
        try Self.flip(fixture.file("db.ram"), at: Int(offsets[10]) + 4095)
        let checks = try Sentinel.verify(path: fixture.path, region: Self.region)
        #expect(checks[1].failures == [.ramSampleHash(vm: "db", path: fixture.file("db.ram"))] && checks[0].isIntact)
        #expect(checks[1].failures[0].description == "VM db: the sampled pages of its RAM file \(fixture.file("db.ram")) differ from those recorded before the kexec")
        try Self.truncate(fixture.file("web.ram"), to: 4096)
        #expect(try Sentinel.verify(path: fixture.path, region: Self.region)[0].failures == [
            .ramFileSize(vm: "web", path: fixture.file("web.ram"), recorded: 1 << 20, found: 4096),
        ])
    }

    @Test func sampleOffsetsAreFixedInNumberAndSpread() {
        let large = Sentinel.sampleOffsets(fileSize: 1 << 40)
        #expect(large.count == 64 && large.first == 0 && large.last == (1 << 40) - 4096)
        #expect(zip(large, large.dropFirst()).allSatisfy { $0 < $1 } && large.allSatisfy { $0 % 4096 == 0 })
        #expect(Sentinel.sampleOffsets(fileSize: 10 * 4096) == (0..<10).map { UInt64($0) * 4096 })
        #expect(Sentinel.sampleOffsets(fileSize: 4097) == [0, 4096])
        #expect(Sentinel.sampleOffsets(fileSize: 0).isEmpty)
        #expect(Sentinel.sampleOffsets(fileSize: 65 * 4096).count == 64)
    }

    /// Counts the bytes every pread returns.
    final class CountingCalls: SystemCallsForwarding, Sendable {
        let base: any SystemCalls = LinuxSystemCalls()
        let read = Mutex(0)

        func pread(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
            let count = try base.pread(fd, into: buffer, at: offset)
            read.withLock { $0 += count }
            return count
        }
    }

    @Test func theSampleCostDoesNotGrowWithRAM() throws {
        let scratch = try ScratchDirectory()
        try Self.pattern(8192, seed: 9).write(to: URL(fileURLWithPath: scratch.path("vm.state")))
        var read: [Int] = []
        for size: UInt64 in [1 << 20, 1 << 30, 64 << 30] {
            let ram = scratch.path("vm-\(size).ram")
            _ = FileManager.default.createFile(atPath: ram, contents: Data())
            try Self.truncate(ram, to: size)
            let calls = CountingCalls()
            let input = Sentinel.Input(name: "vm", argv: ["qemu"], stateFile: scratch.path("vm.state"), ramFiles: [ram])
            _ = try SystemIO.$calls.withValue(calls) {
                try Sentinel.record(transaction: "t", region: Self.region, vms: [input])
            }
            read.append(calls.read.withLock { $0 })
        }
        #expect(read == [8192 + 64 * 4096, 8192 + 64 * 4096, 8192 + 64 * 4096])
    }
}
