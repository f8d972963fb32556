internal import CZstd

extension Zstandard {
    /// zstd's match-finding strategies (`ZSTD_strategy`), fastest first. The optimal parsers
    /// (`btopt` and up) are what make executable code small: for the initrd they win 10 %
    /// over `lazy2` at a few times its cost.
    public enum Strategy: Int, Sendable, Hashable, CaseIterable {
        case fast = 1, doubleFast, greedy, lazy, lazy2, binaryTreeLazy2, binaryTreeOptimal, binaryTreeUltra, binaryTreeUltra2

        /// The name zstd's `--zstd=strat=` and its documentation use.
        public var name: String {
            ["fast", "dfast", "greedy", "lazy", "lazy2", "btlazy2", "btopt", "btultra", "btultra2"][rawValue - 1]
        }
    }

    /// A level with some of its parameters overridden (zstd's "advanced" parameters; the CLI's
    /// `--zstd=wlog=…,hlog=…`), and how many threads compress.
    ///
    /// The output depends on every field except `workers`: zstd cuts the input into jobs of
    /// `jobSize` bytes whenever `workers` is at least 1, and the bytes are the same for one
    /// worker or eight. So a build may use every core and still make the same initrd.
    public struct Parameters: Sendable, Hashable, CustomStringConvertible {
        public var level: Int
        public var strategy: Strategy?
        /// log2 of the window: how far back a match may reach.
        public var windowLog: Int?
        public var hashLog: Int?
        public var chainLog: Int?
        /// log2 of the match candidates tried per position: the main cost of the optimal parsers.
        public var searchLog: Int?
        public var minMatch: Int?
        public var targetLength: Int?
        /// Bytes per job when `workers` > 0; nil lets zstd pick (four windows, often the
        /// whole input of a small file, which then runs on one thread).
        public var jobSize: Int?
        /// How much of the data before a job the job may refer to, as 9 minus log2 of the
        /// window's fraction (9 the whole window, 6 an eighth): each job indexes that overlap
        /// again, so with small jobs a smaller overlap saves most of the threads' extra work.
        public var overlapLog: Int?
        /// Threads besides the caller's; 0 compresses on the calling thread (different bytes).
        public var workers: Int
        public var checksum: Bool

        public init(level: Int, strategy: Strategy? = nil, windowLog: Int? = nil, hashLog: Int? = nil,
                    chainLog: Int? = nil, searchLog: Int? = nil, minMatch: Int? = nil, targetLength: Int? = nil,
                    jobSize: Int? = nil, overlapLog: Int? = nil, workers: Int = 0, checksum: Bool = true) {
            self.level = level
            self.strategy = strategy
            self.windowLog = windowLog
            self.hashLog = hashLog
            self.chainLog = chainLog
            self.searchLog = searchLog
            self.minMatch = minMatch
            self.targetLength = targetLength
            self.jobSize = jobSize
            self.overlapLog = overlapLog
            self.workers = workers
            self.checksum = checksum
        }

        /// Everything that decides the output, as zstd's CLI would spell it (`workers` left
        /// out, since it does not change the bytes, but whether there are any is named).
        public var description: String {
            var fields = ["level=\(level)"]
            if let strategy { fields.append("strat=\(strategy.name)") }
            for (name, value) in [("wlog", windowLog), ("hlog", hashLog), ("clog", chainLog), ("slog", searchLog),
                                  ("mml", minMatch), ("tlen", targetLength), ("job", jobSize), ("ovlog", overlapLog)] {
                if let value { fields.append("\(name)=\(value)") }
            }
            fields.append(workers > 0 ? "jobs" : "single-threaded")
            if !checksum { fields.append("no-checksum") }
            return fields.joined(separator: ",")
        }

        /// Applies the fields to a compression context; libzstd names a value it refuses.
        func apply(to context: OpaquePointer) throws {
            func set(_ parameter: ZSTD_cParameter, _ value: Int?, _ name: String) throws {
                guard let value else { return }
                try zstdCheck(ZSTD_CCtx_setParameter(context, parameter, Int32(clamping: value)), "setting \(name) to \(value)")
            }
            try set(ZSTD_c_compressionLevel, Int(try zstdValidatedLevel(level)), "the level")
            try set(ZSTD_c_strategy, strategy?.rawValue, "the strategy")
            try set(ZSTD_c_windowLog, windowLog, "the window log")
            try set(ZSTD_c_hashLog, hashLog, "the hash log")
            try set(ZSTD_c_chainLog, chainLog, "the chain log")
            try set(ZSTD_c_searchLog, searchLog, "the search log")
            try set(ZSTD_c_minMatch, minMatch, "the minimum match")
            try set(ZSTD_c_targetLength, targetLength, "the target length")
            try set(ZSTD_c_checksumFlag, checksum ? 1 : 0, "the frame checksum")
            // A libzstd built without threads refuses workers: an error, not a silent
            // single-threaded run, which would give other bytes.
            try set(ZSTD_c_nbWorkers, workers > 0 ? workers : nil, "the worker threads")
            try set(ZSTD_c_jobSize, workers > 0 ? jobSize : nil, "the job size")
            try set(ZSTD_c_overlapLog, workers > 0 ? overlapLog : nil, "the overlap log")
        }
    }

    /// Compresses `bytes` into one zstd frame with `parameters` (see `Parameters` for which
    /// fields decide the bytes).
    public static func compress(_ bytes: [UInt8], parameters: Parameters) throws -> [UInt8] {
        guard let context = ZSTD_createCCtx() else { throw ZstdError.outOfMemory(what: "compression context") }
        defer { ZSTD_freeCCtx(context) }
        try parameters.apply(to: context)
        let capacity = ZSTD_compressBound(bytes.count)
        try zstdCheck(capacity, "sizing the output for \(bytes.count) input bytes")
        var output = [UInt8](repeating: 0, count: capacity)
        let written = try bytes.withUnsafeBytes { input in
            try output.withUnsafeMutableBytes { out in
                try zstdCheck(
                    ZSTD_compress2(context, out.baseAddress, out.count, input.baseAddress, input.count),
                    "compressing \(input.count) bytes (\(parameters))")
            }
        }
        output.removeSubrange(written...)
        return output
    }
}
