import Foundation
import SystemIO
import Testing
import TestSupport

@testable import FAT

/// `add` and `remove` stopped by a crash at each of their writes in turn
/// (`FaultySystemCalls`): the file is then either whole or not there, and what fsck.fat
/// finds is only what it reclaims on its own (clusters no entry names, a stale FSInfo count,
/// FAT copies one write apart).
@Suite struct EditCrashTests {
    /// fsck.fat's findings that a crash may leave (the start of each line it prints); any
    /// other is a visible inconsistency.
    static let harmless = [
        "fsck.fat ", "FATs differ but appear to be intact.", "Using first FAT.", "Reclaimed ", "Free cluster summary wrong",
        "Auto-correcting.", "Leaving filesystem unchanged.",
    ]

    /// Runs `operation` on a fresh volume from `make` once to count its writes, then once per
    /// write on another fresh volume with the machine stopping at that write, and hands each
    /// stopped volume to `check`.
    static func drill(
        make: () throws -> WrittenVolume, operation: (FAT.Volume) throws(FATError) -> Void,
        check: (WrittenVolume, Int) throws -> Void
    ) throws {
        let counter = FaultySystemCalls()
        let dry = try make()
        try SystemIO.$calls.withValue(counter) { try operation(try dry.open(.readWrite)) }
        let writes = counter.pwrites
        #expect(writes >= 4)
        for stop in 1...writes {
            let written = try make()
            let crash = FaultySystemCalls(trigger: .pwrite(stop), effect: .crash)
            #expect(throws: FATError.self, "write \(stop)") {
                try SystemIO.$calls.withValue(crash) { try operation(try written.open(.readWrite)) }
            }
            try check(written, stop)
            guard Upstream.fsckAvailable else { continue }
            let fsck = try Upstream.fsck(written)
            let lines = fsck.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            for line in lines where !line.isEmpty && !line.contains(" files, ") && !harmless.contains(where: line.hasPrefix) {
                Issue.record("write \(stop): fsck.fat found \(line)\n\(fsck.output)")
            }
        }
    }

    /// A file added where its directory must grow (a full cluster of 8.3 names).
    @Test func anAddStoppedAtAnyWriteShowsTheWholeFileOrNone() throws {
        let files = (1...14).map { FAT.File(path: "full/F\($0)", contents: Fixtures.pattern($0, seed: UInt64($0))) }
        let name = "a name that needs three long-name entries.efi"
        let contents = Fixtures.pattern(5000, seed: 70)
        try Self.drill(
            make: { try WrittenVolume(files: files, directories: [], size: 34 << 20) },
            operation: { volume throws(FATError) in
                try volume.add(path: "full/" + name, contents: contents, timestamp: Edit.timestamp)
            },
            check: { written, stop in
                let volume = try written.open()
                let names = try volume.list("full").map(\.name)
                #expect(names.count == 14 || names.count == 15, "write \(stop): \(names)")
                if names.contains(name) { #expect(try volume.read("full/" + name) == contents, "write \(stop)") }
                #expect(!names.contains { $0.hasPrefix("A") && $0.contains("~") }, "write \(stop): a short name alone: \(names)")
            })
    }

    @Test func aRemoveStoppedAtAnyWriteShowsTheWholeFileOrNone() throws {
        let target = HostileReaderTests.small[1]
        try Self.drill(
            make: { try Edit.small(.fat32) },
            operation: { volume throws(FATError) in try volume.remove(path: target.path) },
            check: { written, stop in
                let volume = try written.open()
                if try volume.list("EFI/Linux").isEmpty { return }
                #expect(try volume.read(target.path) == target.contents, "write \(stop)")
            })
    }
}
