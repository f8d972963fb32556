import Foundation
import Testing
import TestSupport

@testable import Bundle

/// Compression and verification throughput on 100 MiB of semi-compressible data. Off by
/// default (it takes a few seconds and is a measurement, not a check); run with
/// `HOSTIMG_BENCH=1 swift test --filter throughput`.
@Suite struct BundleThroughputTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["HOSTIMG_BENCH"] != nil, "set HOSTIMG_BENCH=1 to measure"))
    func throughput() throws {
        let scratch = try ScratchDirectory()
        let input = scratch.path("root.img")
        _ = FileManager.default.createFile(atPath: input, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: input))
        let size = 100 << 20
        for seed in 0..<(size >> 22) {
            try handle.write(contentsOf: Fixtures.data(count: 4 << 20, seed: UInt64(seed) + 100))
        }
        try handle.close()
        let sources = [try UpdateBundle.PayloadSource.wholeFile(role: "root", path: input)]
        let mib = Double(size) / 1_048_576
        for level in [1, 3] {
            let bundle = scratch.path("bench-\(level).bundle")
            let start = Date()
            let manifest = try UpdateBundle.write(
                to: bundle, name: "bench", version: "1", rootHash: Fixtures.rootHash, payloads: sources, signer: nil,
                mtime: 0, level: level)
            let writeSeconds = Date().timeIntervalSince(start)
            let verifyStart = Date()
            try UpdateBundle.Reader(path: bundle).verifyPayloads()
            let verifySeconds = Date().timeIntervalSince(verifyStart)
            let ratio = Double(manifest.payloads[0].compressedSize) / Double(size)
            print(
                "bundle level \(level): write \(String(format: "%.0f", mib / writeSeconds)) MiB/s, "
                    + "verify \(String(format: "%.0f", mib / verifySeconds)) MiB/s, ratio \(String(format: "%.2f", ratio))")
            #expect(manifest.payloads[0].size == UInt64(size))
        }
    }
}
