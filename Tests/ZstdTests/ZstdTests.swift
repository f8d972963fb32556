import Foundation
import TestSupport
import Testing
import Zstd

/// Deterministic test data: the same bytes on every run, so a failure reproduces.
struct TestData {
    /// xorshift64*: tiny, deterministic, good enough to make incompressible bytes.
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 2_685_821_657_736_338_717
    }

    /// Random bytes, repeated text, long zero runs and a byte ramp, interleaved, so every
    /// zstd block type (raw, RLE, compressed) shows up.
    static func mixed(size: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
        var generator = TestData(seed: seed)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(size)
        let text = Array("Package: hostimg\nDepends: libc6 (>= 2.36), libzstd1\nDescription: test\n".utf8)
        var section = 0
        while bytes.count < size {
            let length = min(size - bytes.count, 1 + Int(generator.next() % 200_000))
            switch section % 4 {
            case 0: for _ in 0..<length { bytes.append(UInt8(truncatingIfNeeded: generator.next())) }
            case 1: for i in 0..<length { bytes.append(text[i % text.count]) }
            case 2: bytes.append(contentsOf: repeatElement(0, count: length))
            default: for i in 0..<length { bytes.append(UInt8(truncatingIfNeeded: i)) }
            }
            section += 1
        }
        return bytes
    }
}

@Suite struct ZstdOneShotTests {
    let input = TestData.mixed(size: 5 * 1024 * 1024)

    @Test(arguments: [1, 3, -5])
    func roundTripMultiMegabyte(level: Int) throws {
        let compressed = try Zstandard.compress(input, level: level)
        #expect(Zstandard.hasFrameMagic(compressed))
        #expect(compressed.count < input.count)
        let restored = try Zstandard.decompress(compressed)
        #expect(restored == input)
    }

    @Test func compressionIsDeterministic() throws {
        #expect(try Zstandard.compress(input, level: 3) == Zstandard.compress(input, level: 3))
    }

    @Test func emptyInputCompressesToAValidFrame() throws {
        let compressed = try Zstandard.compress([])
        #expect(try Zstandard.decompress(compressed) == [])
    }

    @Test func concatenatedFramesDecompressToTheConcatenation() throws {
        let a = Array("first frame ".utf8)
        let b = TestData.mixed(size: 300_000, seed: 7)
        let joined = try Zstandard.compress(a) + Zstandard.compress(b, level: 9)
        #expect(try Zstandard.decompress(joined) == a + b)
    }

    @Test func corruptedInputThrows() throws {
        var compressed = try Zstandard.compress(input, level: 3)
        compressed[compressed.count / 2] ^= 0x40
        #expect(throws: ZstdError.self) { try Zstandard.decompress(compressed) }
    }

    @Test func truncatedInputThrowsTruncated() throws {
        let compressed = try Zstandard.compress(input, level: 3)
        let cut = Array(compressed[..<(compressed.count - 100)])
        let error = #expect(throws: ZstdError.self) { try Zstandard.decompress(cut) }
        #expect(error == .truncated(inputBytes: cut.count))
        #expect(error?.description.contains("truncated") == true)
    }

    @Test func garbageAndEmptyInputThrowWithZstdText() throws {
        let error = #expect(throws: ZstdError.self) { try Zstandard.decompress(Array("not zstd at all".utf8)) }
        guard case .library(_, let message)? = error else {
            Issue.record("expected a library error, got \(String(describing: error))")
            return
        }
        #expect(message == "Unknown frame descriptor")
        #expect(throws: ZstdError.emptyInput) { try Zstandard.decompress([]) }
    }

    @Test func outputLimitIsEnforced() throws {
        let compressed = try Zstandard.compress([UInt8](repeating: 0, count: 1_000_000))
        #expect(throws: ZstdError.outputLimitExceeded(limit: 4096)) {
            try Zstandard.decompress(compressed, limit: 4096)
        }
    }

    @Test func levelOutOfRangeIsRejectedNotClamped() {
        let error = #expect(throws: ZstdError.self) { try Zstandard.compress([1, 2, 3], level: 99) }
        #expect(error?.description.contains("level 99") == true)
    }
}

@Suite struct ZstdStreamingTests {
    let input = TestData.mixed(size: 3 * 1024 * 1024 + 17, seed: 42)
    /// Odd sizes, including 1-byte chunks, so chunk edges fall inside zstd blocks and headers.
    let chunkSizes = [1, 7, 4093, 65_537, 3, 131_071, 1]

    func chunks(of bytes: [UInt8]) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var offset = 0
        var index = 0
        while offset < bytes.count {
            let size = min(chunkSizes[index % chunkSizes.count], bytes.count - offset)
            result.append(Array(bytes[offset..<(offset + size)]))
            offset += size
            index += 1
        }
        return result
    }

    @Test func streamingCompressionDecompressesLikeOneShot() throws {
        let compressor = try ZstdCompressor(level: 5)
        var streamed: [UInt8] = []
        for chunk in chunks(of: input) { streamed += try compressor.compress(chunk) }
        streamed += try compressor.finish()
        #expect(try Zstandard.decompress(streamed) == input)
        #expect(try Zstandard.decompress(Zstandard.compress(input, level: 5)) == input)
    }

    @Test func streamingDecompressionWithOddChunks() throws {
        let compressed = try Zstandard.compress(input, level: 3)
        let decompressor = try ZstdDecompressor()
        var restored: [UInt8] = []
        for chunk in chunks(of: compressed) { restored += try decompressor.decompress(chunk) }
        try decompressor.finish()
        #expect(restored == input)
        #expect(decompressor.outputByteCount == input.count)
    }

    @Test func streamingDecompressorNoticesTruncation() throws {
        let compressed = try Zstandard.compress(input, level: 3)
        let decompressor = try ZstdDecompressor()
        _ = try decompressor.decompress(Array(compressed.dropLast(1)))
        #expect(throws: ZstdError.truncated(inputBytes: compressed.count - 1)) { try decompressor.finish() }
    }

    @Test func pledgedSizeMismatchFails() throws {
        let compressor = try ZstdCompressor(pledgedSize: 10)
        _ = try compressor.compress([1, 2, 3])
        #expect(throws: ZstdError.self) { try compressor.finish() }
    }

    @Test func compressorRefusesUseAfterFinish() throws {
        let compressor = try ZstdCompressor()
        _ = try compressor.finish()
        #expect(throws: ZstdError.self) { try compressor.compress([1]) }
    }
}

@Suite(.enabled(if: Tools.find("zstd") != nil, "the zstd CLI is not installed (apt-get install zstd)"))
struct ZstdCLITests {
    @Test func cliDecompressesOurOutput() throws {
        let scratch = try ScratchDirectory()
        let input = TestData.mixed(size: 2 * 1024 * 1024, seed: 3)
        let path = scratch.path("data.zst")
        try Data(try Zstandard.compress(input, level: 19)).write(to: URL(fileURLWithPath: path))
        let result = try Tools.run(try #require(Tools.find("zstd")), ["-q", "-d", "-c", path])
        #expect(result.status == 0, "zstd -d failed: \(result.stderr)")
        #expect(result.stdout == input)

        let compressor = try ZstdCompressor(level: 3)
        let streamedPath = scratch.path("streamed.zst")
        let streamed = try compressor.compress(input) + compressor.finish()
        try Data(streamed).write(to: URL(fileURLWithPath: streamedPath))
        let test = try Tools.run(try #require(Tools.find("zstd")), ["-q", "-t", streamedPath])
        #expect(test.status == 0, "zstd -t rejected the streamed frame: \(test.stderr)")
    }

    @Test func weDecompressCLIOutputWithoutContentSize() throws {
        let scratch = try ScratchDirectory()
        let input = TestData.mixed(size: 1024 * 1024, seed: 11)
        let plain = scratch.path("plain")
        try Data(input).write(to: URL(fileURLWithPath: plain))
        // --no-content-size makes the CLI write frames like a pipe would.
        let result = try Tools.run(try #require(Tools.find("zstd")), ["-q", "-c", "--no-content-size", plain])
        #expect(result.status == 0, "zstd failed: \(result.stderr)")
        #expect(try Zstandard.decompress(result.stdout) == input)
    }
}
