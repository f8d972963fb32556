import Foundation
import Synchronization
import SystemIO
import Testing
import TestSupport

@testable import GPT

/// The block-device path of `update`, on an image file that a fake funnel makes look like a
/// disk (S_IFBLK, BLKSSZGET, BLKGETSIZE64, BLKRRPART): no real device is touched.
@Suite struct UpdateBlockDeviceTests {
    final class PretendDisk: SystemCallsForwarding, Sendable {
        let base: any SystemCalls = LinuxSystemCalls()
        let sectorSize: UInt32
        let reread: Int32?
        let calls = Mutex<[String]>([])

        /// `reread`: the errno BLKRRPART fails with, nil for success.
        init(sectorSize: UInt32, reread: Int32?) {
            self.sectorSize = sectorSize
            self.reread = reread
        }

        func fstat(_ fd: Int32) throws(Errno) -> FileStatus {
            var status = try base.fstat(fd)
            status.mode = UInt32(S_IFBLK) | 0o660
            status.size = 0
            return status
        }

        func blockDeviceSize(_ fd: Int32) throws(Errno) -> UInt64 {
            try base.fstat(fd).size
        }

        func logicalSectorSize(_ fd: Int32) throws(Errno) -> UInt32 { sectorSize }

        func fsync(_ fd: Int32) throws(Errno) {
            calls.withLock { $0.append("fsync") }
            try base.fsync(fd)
        }

        func rereadPartitionTable(_ fd: Int32) throws(Errno) {
            calls.withLock { $0.append("BLKRRPART") }
            if let reread { throw Errno(reread) }
        }
    }

    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }

    func disk(_ sectorSize: UInt64) throws -> (String, GPT.Table) {
        let table = try SlotDisk.table(sectorSize: sectorSize)
        try GPT.write(table, to: scratch.path("disk"))
        return (scratch.path("disk"), table)
    }

    @Test(arguments: [UInt64(512), 4096])
    func theDevicesSectorSizeIsUsedAndTheKernelToldLast(sectorSize: UInt64) throws {
        let (path, table) = try disk(sectorSize)
        let device = PretendDisk(sectorSize: UInt32(sectorSize), reread: nil)
        let result = try SystemIO.$calls.withValue(device) {
            #expect(try GPT.readPrimary(path: path) == SlotDisk.numbered(table))
            return try GPT.update(path: path, changes: SlotDisk.changes)
        }
        #expect(result.sectorSize == sectorSize)
        #expect(result.kernelNotice == nil)
        #expect(device.calls.withLock { $0 } == ["fsync", "fsync", "BLKRRPART"])
        #expect(try GPT.read(path: path, sectorSize: sectorSize) == SlotDisk.updated(table))
    }

    @Test func aBusyDiskIsANoticeNotAFailure() throws {
        let (path, table) = try disk(4096)
        let device = PretendDisk(sectorSize: 4096, reread: EBUSY)
        let result = try SystemIO.$calls.withValue(device) { try GPT.update(path: path, changes: SlotDisk.changes) }
        let notice = try #require(result.kernelNotice)
        #expect(notice.contains("BLKRRPART") && notice.contains("in use") && notice.contains("Device or resource busy"))
        #expect(try GPT.read(path: path, sectorSize: 4096) == SlotDisk.updated(table))
    }

    @Test func anotherRereadFailureIsAnError() throws {
        let (path, _) = try disk(512)
        let device = PretendDisk(sectorSize: 512, reread: EINVAL)
        let error = try SystemIO.$calls.withValue(device) {
            try #require(throws: GPTError.self) { try GPT.update(path: path, changes: SlotDisk.changes) }
        }
        #expect(error == .io(path: path, operation: "re-read the partition table (BLKRRPART) of", message: "Invalid argument"))
    }

    @Test func aSectorSizeThatIsNotTheDevicesIsRefused() throws {
        let (path, _) = try disk(4096)
        let device = PretendDisk(sectorSize: 4096, reread: nil)
        let before = try SlotDisk.contents(path)
        #expect(throws: GPTError.sectorSizeMismatch(path: path, requested: 512, device: 4096)) {
            try SystemIO.$calls.withValue(device) { _ = try GPT.update(path: path, changes: SlotDisk.changes, sectorSize: 512) }
        }
        #expect(try SlotDisk.contents(path) == before)
    }
}
