import Foundation
import Testing

@testable import HostImgCLI

/// `hostimg explain module NAME --report FILE`: the chain a build recorded, and clear errors.
@Suite struct ExplainCommandTests {
    static let report = """
        {"image": "x", "version": "1", "sourceDateEpoch": 0, "packages": [], "conflicts": [],
         "files": 0, "rootfsBytes": 0, "stages": [],
         "drivers": {"kernelVersion": "6.1.0-test", "modulesBefore": 3, "modulesAfter": 2,
           "bytesBefore": 300, "bytesAfter": 200, "firmwareFilesBefore": 0, "firmwareFilesAfter": 0,
           "firmwareBytesRemoved": 0, "unmatchedHardware": [], "builtinDriversWithoutHardware": ["ahci"],
           "decisions": [
             {"module": "dm_bufio", "path": "/usr/lib/modules/6.1.0-test/kernel/drivers/md/dm-bufio.ko", "kept": true,
              "reasons": ["needed by dm_verity", "dm_verity: initrd (kernels/k.yaml:5:7)"], "bytes": 100},
             {"module": "dm_verity", "path": "/usr/lib/modules/6.1.0-test/kernel/drivers/md/dm-verity.ko", "kept": true,
              "reasons": ["initrd (kernels/k.yaml:5:7)"], "bytes": 100},
             {"module": "floppy", "path": "/usr/lib/modules/6.1.0-test/kernel/drivers/block/floppy.ko", "kept": false,
              "reasons": ["denied by drivers.deny (m.yaml:9:10)"], "bytes": 100}],
           "builtins": [{"module": "ahci", "reasons": ["no hardware id matches it"]}]}}
        """

    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("explain-\(UUID().uuidString).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func printsTheChainDirectReasonFirst() async throws {
        let path = try write(Self.report)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let kept = await hostimg(["explain", "module", "dm-bufio", "--report", path])
        #expect(kept.status == 0, "\(kept.standardError)")
        #expect(kept.standardOutput.split(separator: "\n") == [
            "dm_bufio: kept (/usr/lib/modules/6.1.0-test/kernel/drivers/md/dm-bufio.ko, 100 bytes)",
            "needed by dm_verity", "dm_verity: initrd (kernels/k.yaml:5:7)",
        ])
        let removed = await hostimg(["explain", "module", "floppy", "--report", path])
        #expect(removed.standardOutput.hasPrefix("floppy: removed"), "\(removed.standardOutput)")
        let builtin = await hostimg(["explain", "module", "ahci", "--report", path])
        #expect(builtin.standardOutput.hasPrefix("ahci: built into the kernel 6.1.0-test"), "\(builtin.standardOutput)")
    }

    @Test func anUnknownModuleOrABadReportIsAnError() async throws {
        let path = try write(Self.report)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let unknown = await hostimg(["explain", "module", "nope", "--report", path])
        #expect(unknown.status == 1)
        #expect(unknown.standardError.contains("kernel 6.1.0-test has no module or built-in named nope"), "\(unknown.standardError)")

        let bad = try write("{not json")
        defer { try? FileManager.default.removeItem(atPath: bad) }
        let broken = await hostimg(["explain", "module", "dm_verity", "--report", bad])
        #expect(broken.status == 2)
        #expect(broken.standardError.contains("\(bad) is not a hostimg build report"), "\(broken.standardError)")

        let neither = await hostimg(["explain", "module", "dm_verity"])
        #expect(neither.status == 2)
        #expect(neither.standardError.contains("give exactly one of --report FILE and --manifest FILE"))
    }
}
