import Foundation
import TestSupport
import Testing
import Zstd

/// Compression with explicit parameters (the initrd's): the bytes do not depend on how many
/// threads made them, the CLI and our reader decompress them, and a value libzstd refuses is named.
@Suite struct ZstdParametersTests {
    let input = TestData.mixed(size: 3 * 1024 * 1024, seed: 5)
    static let initrdLike = Zstandard.Parameters(
        level: 19, strategy: .binaryTreeOptimal, windowLog: 22, hashLog: 18, chainLog: 18, searchLog: 1,
        minMatch: 3, targetLength: 32, jobSize: 1 << 20, overlapLog: 6, workers: 1)

    @Test func theBytesAreTheSameForAnyNumberOfWorkers() throws {
        let one = try Zstandard.compress(input, parameters: Self.initrdLike)
        for workers in [2, 4] {
            var parameters = Self.initrdLike
            parameters.workers = workers
            #expect(try Zstandard.compress(input, parameters: parameters) == one, "\(workers) workers")
        }
        #expect(try Zstandard.decompress(one) == input)
        var single = Self.initrdLike
        single.workers = 0
        #expect(try Zstandard.compress(input, parameters: single) != one, "no workers is zstd's other mode (no jobs)")
    }

    @Test func theParametersChangeTheOutputAndAreSpelledOut() throws {
        var shallow = Self.initrdLike
        shallow.strategy = .lazy2
        #expect(try Zstandard.compress(input, parameters: shallow) != Zstandard.compress(input, parameters: Self.initrdLike))
        #expect(Self.initrdLike.description
            == "level=19,strat=btopt,wlog=22,hlog=18,clog=18,slog=1,mml=3,tlen=32,job=1048576,ovlog=6,jobs")
    }

    @Test func aRefusedValueIsNamed() throws {
        var parameters = Self.initrdLike
        parameters.windowLog = 40
        let error = try #require(throws: ZstdError.self) { try Zstandard.compress(input, parameters: parameters) }
        #expect("\(error)".contains("setting the window log to 40"), "\(error)")
        parameters = Self.initrdLike
        parameters.level = 99
        #expect(throws: ZstdError.levelOutOfRange(level: 99, allowed: Zstandard.levels)) {
            try Zstandard.compress(input, parameters: parameters)
        }
    }

    @Test(.enabled(if: Tools.find("zstd") != nil, "the zstd CLI is not installed (apt-get install zstd)"))
    func theCLIReadsAFrameMadeInJobs() throws {
        let scratch = try ScratchDirectory()
        var parameters = Self.initrdLike
        parameters.workers = 2
        let path = scratch.path("jobs.zst")
        try Data(try Zstandard.compress(input, parameters: parameters)).write(to: URL(fileURLWithPath: path))
        let result = try Tools.run(try #require(Tools.find("zstd")), ["-q", "-d", "-c", path])
        #expect(result.status == 0, "zstd -d failed: \(result.stderr)")
        #expect(result.stdout == input)
    }
}
