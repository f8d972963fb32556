import Foundation
import SystemIO
import Testing
import TestSupport

@testable import GPT

/// An update cut short at every point it can be: each pwrite and fsync failing or crashing
/// the machine, every half sector of a torn write, and every set of writes the disk may have
/// kept since the last fsync. Each time one copy must still describe the old or the new
/// table, `readRecovering` must return one of the two, and a retried update must finish.
@Suite struct UpdateCrashTests {
    static let sectorSizes: [UInt64] = [512, 4096]

    let scratch: ScratchDirectory
    init() throws { scratch = try ScratchDirectory() }

    /// A fresh disk with the slot layout at `name`.
    func disk(_ sectorSize: UInt64, _ name: String) throws -> (path: String, table: GPT.Table) {
        let path = scratch.path(name)
        try? FileManager.default.removeItem(atPath: path)
        let table = try SlotDisk.table(sectorSize: sectorSize)
        try GPT.write(table, to: path)
        return (path, table)
    }

    /// The update under `fake`; whether it finished.
    func update(_ path: String, _ sectorSize: UInt64, through fake: FaultySystemCalls) -> Bool {
        SystemIO.$calls.withValue(fake) {
            (try? GPT.update(path: path, changes: SlotDisk.changes, sectorSize: sectorSize)) != nil
        }
    }

    /// What any reader may find after the crash, then the retry.
    func checkOldOrNew(_ path: String, _ table: GPT.Table, _ context: String) throws {
        let sectorSize = table.sectorSize
        let old = SlotDisk.numbered(table)
        let new = SlotDisk.numbered(SlotDisk.updated(table))
        let recovered = try GPT.readRecovering(path: path, sectorSize: sectorSize)
        #expect(recovered.partitions == old || recovered.partitions == new, "\(context)")
        // The kernel reads the primary alone: it sees the old or the new table, or, while the
        // primary is torn, nothing; the backup then already holds the new one.
        if let primary = try? GPT.readPrimary(path: path, sectorSize: sectorSize) {
            #expect(primary == old || primary == new, "\(context)")
        } else {
            #expect(recovered.source == .backup && recovered.partitions == new, "\(context)")
        }
        _ = try GPT.update(path: path, changes: SlotDisk.changes, sectorSize: sectorSize)
        #expect(try GPT.read(path: path, sectorSize: sectorSize) == SlotDisk.updated(table), "retry after \(context)")
    }

    /// The dry run: four writes and two fsyncs, backup (entries, header) before primary.
    func dryRun(_ sectorSize: UInt64) throws -> (fake: FaultySystemCalls, table: GPT.Table) {
        let (path, table) = try disk(sectorSize, "dry.img")
        let fake = FaultySystemCalls(recording: true)
        #expect(update(path, sectorSize, through: fake))
        return (fake, table)
    }

    @Test(arguments: sectorSizes)
    func theBackupIsWrittenAndSyncedBeforeThePrimary(sectorSize: UInt64) throws {
        let (fake, table) = try dryRun(sectorSize)
        let offsets: [String] = fake.events.map {
            switch $0 {
            case .write(_, let offset, let bytes): "write \(UInt64(offset) / sectorSize) \(bytes.count)"
            case .sync: "sync"
            }
        }
        let arrayBytes = Int(GPT.Table.entryCount * GPT.Table.entrySize)
        let size = Int(sectorSize)
        #expect(offsets == [
            "write \(table.backupEntriesLBA) \(arrayBytes)", "write \(table.backupHeaderLBA) \(size)", "sync",
            "write 2 \(arrayBytes)", "write 1 \(size)", "sync",
        ])
    }

    @Test(arguments: sectorSizes)
    func aFullWriteAlsoPutsTheBackupFirst(sectorSize: UInt64) throws {
        let fake = FaultySystemCalls(recording: true)
        let table = try SlotDisk.table(sectorSize: sectorSize)
        try SystemIO.$calls.withValue(fake) { try GPT.write(table, to: scratch.path("full.img")) }
        let lbas = fake.events.map {
            if case .write(_, let offset, _) = $0 { return Int64(UInt64(offset) / sectorSize) }
            return -1
        }
        #expect(lbas == [Int64(table.backupEntriesLBA), Int64(table.backupHeaderLBA), -1, 0, 2, 1, -1])
    }

    @Test(arguments: sectorSizes)
    func failingOrCrashingAtEachWriteAndSync(sectorSize: UInt64) throws {
        let (dry, _) = try dryRun(sectorSize)
        let triggers = (1...dry.pwrites).map { FaultySystemCalls.Trigger.pwrite($0) }
            + (1...dry.fsyncs).map { FaultySystemCalls.Trigger.fsync($0) }
        for trigger in triggers {
            for effect in [FaultySystemCalls.Effect.fail(EIO), .crash] {
                let (path, table) = try disk(sectorSize, "fault.img")
                let fake = FaultySystemCalls(trigger: trigger, effect: effect)
                #expect(!update(path, sectorSize, through: fake), "\(trigger) \(effect)")
                #expect(fake.tripped)
                try checkOldOrNew(path, table, "\(trigger) \(effect), \(sectorSize)-byte sectors")
            }
        }
    }

    @Test(arguments: sectorSizes)
    func tornAtEveryHalfSector(sectorSize: UInt64) throws {
        let (dry, _) = try dryRun(sectorSize)
        for limit in stride(from: UInt64(0), through: dry.bytesWritten, by: 256) {
            let (path, table) = try disk(sectorSize, "torn.img")
            let fake = FaultySystemCalls(trigger: .bytesWritten(limit), effect: .crash)
            let finished = update(path, sectorSize, through: fake)
            #expect(finished == (limit == dry.bytesWritten && !fake.tripped) || !finished, "\(limit)")
            try checkOldOrNew(path, table, "crash after \(limit) bytes, \(sectorSize)-byte sectors")
        }
    }

    /// A disk may keep any of the writes made since the last fsync, in any order: replay the
    /// dry run's writes up to each fsync, plus every subset of those after it.
    @Test(arguments: sectorSizes)
    func unsyncedWritesMayBeLostInAnyCombination(sectorSize: UInt64) throws {
        let (dry, _) = try dryRun(sectorSize)
        var synced: [(Int64, [UInt8])] = []
        var pending: [(Int64, [UInt8])] = []
        var windows: [(synced: [(Int64, [UInt8])], pending: [(Int64, [UInt8])])] = []
        for event in dry.events {
            switch event {
            case .write(_, let offset, let bytes):
                pending.append((offset, bytes))
            case .sync:
                windows.append((synced, pending))
                synced += pending
                pending = []
            }
        }
        for (index, window) in windows.enumerated() {
            for mask in 0..<(1 << window.pending.count) {
                let (path, table) = try disk(sectorSize, "lost.img")
                let kept = window.pending.enumerated().filter { mask & (1 << $0.offset) != 0 }.map(\.element)
                let file = try SystemIO.File(path: path, flags: O_RDWR)
                for (offset, bytes) in window.synced + kept { try file.write(bytes, at: UInt64(offset)) }
                try checkOldOrNew(path, table, "fsync \(index + 1) not reached, writes kept \(mask), \(sectorSize)-byte sectors")
            }
        }
    }
}
