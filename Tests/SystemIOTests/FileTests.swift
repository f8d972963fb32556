import Foundation
import SystemIO
import Testing
import TestSupport

/// `SystemIO.File`: the loops, the errors, and the funnel a test replaces.
@Suite struct FileTests {
    let scratch: ScratchDirectory

    init() throws {
        scratch = try ScratchDirectory()
    }

    func pattern(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) } }

    @Test func writesAndReadsBackThroughShortAndInterruptedTransfers() throws {
        let path = scratch.path("data")
        let bytes = pattern(100_000)
        let fake = FaultySystemCalls(maximumTransfer: 4093, interruptEvery: 3)
        let back = try SystemIO.$calls.withValue(fake) {
            let file = try SystemIO.File(path: path, flags: O_RDWR | O_CREAT)
            try file.write(bytes, at: 512)
            #expect(try file.size() == 100_512)
            return try file.read(count: bytes.count, at: 512)
        }
        #expect(back == bytes)
        // 100 000 bytes at most 4093 per call: 25 pwrites, each a third of them interrupted once.
        #expect(fake.pwrites == 25)
        #expect(fake.bytesWritten == 100_000)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).prefix(512).allSatisfy { $0 == 0 })
    }

    @Test func anExactReadPastTheEndNamesThePathAndTheCounts() throws {
        let path = scratch.path("short")
        try Data(pattern(10)).write(to: URL(fileURLWithPath: path))
        let file = try SystemIO.File(path: path, flags: O_RDONLY)
        let error = try #require(throws: SystemIOError.self) { try file.read(count: 16, at: 4) }
        #expect(error.code == EIO)
        #expect(error.description == "\(path): cannot read 16 bytes at offset 4: the file ends first: Input/output error")
        #expect(try file.read(upTo: 16, at: 4) == Array(pattern(10)[4...]))
        #expect(try file.read(upTo: 16, at: 40) == [])
    }

    @Test func aMissingFileIsAnOpenErrorWithStrerror() throws {
        let path = scratch.path("missing/file")
        let error = try #require(throws: SystemIOError.self) { try SystemIO.File(path: path, flags: O_RDONLY) }
        #expect(error == SystemIOError(path, "open", code: ENOENT))
        #expect(error.description == "\(path): cannot open: No such file or directory")
    }

    @Test func aRegularFileIsNoBlockDeviceAndNeedsNoReread() throws {
        let path = scratch.path("image")
        let file = try SystemIO.File(path: path, flags: O_RDWR | O_CREAT)
        try file.truncate(to: 1 << 20)
        #expect(try file.size() == 1 << 20)
        #expect(try !file.isBlockDevice())
        try file.rereadPartitionTable()
        let error = try #require(throws: SystemIOError.self) { try file.logicalSectorSize() }
        #expect(error.code == ENOTTY)
        #expect(error.operation.contains("BLKSSZGET"))
    }

    /// A non-empty block device of this machine (vda, nvme0n1...) that this process may open
    /// read-only, and its size in bytes from sysfs (which counts 512-byte units), or nil.
    static let blockDevice: (path: String, size: UInt64)? = {
        let sectors = { (name: String) -> UInt64 in
            let text = (try? SystemIO.readFile("/sys/class/block/\(name)/size")) ?? []
            return UInt64(String(decoding: text, as: UTF8.self).filter(\.isNumber)) ?? 0
        }
        let names = ((try? SystemIO.list("/sys/class/block")) ?? []).filter { sectors($0) > 0 }
        let name = names.first { name in
            (try? SystemIO.status(of: "/dev/" + name))?.isBlockDevice == true
                && (try? SystemIO.File(path: "/dev/" + name, flags: O_RDONLY)) != nil
        }
        return name.map { ("/dev/" + $0, sectors($0) * 512) }
    }()

    /// Only reads (BLKGETSIZE64, BLKSSZGET) on a device the machine has: nothing is written.
    @Test(.enabled(if: blockDevice != nil, "no block device this process may open read-only"))
    func aBlockDeviceReportsItsSizeAndSectorSize() throws {
        let device = try #require(Self.blockDevice)
        let file = try SystemIO.File(path: device.path, flags: O_RDONLY)
        #expect(try file.isBlockDevice())
        #expect(try file.size() == device.size)
        #expect([512, 1024, 2048, 4096].contains(try file.logicalSectorSize()))
    }

    @Test func theFunnelIsScopedToTheTaskAndKeptByOpenFiles() throws {
        let path = scratch.path("scoped")
        let fake = FaultySystemCalls(trigger: .pwrite(1), effect: .fail(ENOSPC))
        let file = try SystemIO.$calls.withValue(fake) { try SystemIO.File(path: path, flags: O_RDWR | O_CREAT) }
        // Opened under the fake, the file keeps it after the scope ends.
        let error = try #require(throws: SystemIOError.self) { try file.write([1, 2, 3], at: 0) }
        #expect(error.code == ENOSPC)
        #expect(error.description.hasSuffix("No space left on device"))
        // A file opened outside the scope uses the real calls.
        try SystemIO.File(path: path, flags: O_RDWR).write([1, 2, 3], at: 0)
        #expect(fake.pwrites == 1)
        #expect(try SystemIO.File(path: path, flags: O_RDONLY).read(count: 3, at: 0) == [1, 2, 3])
    }

    @Test func aCrashStopsEveryLaterWriteAndTearsTheCrossingOne() throws {
        let path = scratch.path("torn")
        let fake = FaultySystemCalls(trigger: .bytesWritten(1000), effect: .crash)
        try SystemIO.$calls.withValue(fake) {
            let file = try SystemIO.File(path: path, flags: O_RDWR | O_CREAT)
            try file.write(pattern(600), at: 0)
            #expect(throws: SystemIOError.self) { try file.write(pattern(600), at: 600) }
            #expect(throws: SystemIOError.self) { try file.sync() }
            #expect(throws: SystemIOError.self) { try file.truncate(to: 0) }
        }
        #expect(fake.tripped)
        #expect(fake.bytesWritten == 1000)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == pattern(600) + pattern(400))
    }
}
