internal import CZstd

/// Streaming zstd compression: feed chunks, collect chunks, finish once.
///
/// Used where the input does not sit in memory whole: an archive writer's output, a
/// payload read from disk block by block. All chunks go into one frame; `finish()` ends it.
/// The compressed bytes can differ from `Zstandard.compress` of the same data (a streamed
/// frame has no content size unless `pledgedSize` is given) but decompress identically.
public final class ZstdCompressor {
    private let context: CompressionContext
    private var output: [UInt8]
    private var finished = false

    /// - Parameters:
    ///   - level: zstd level, see `Zstandard.levels`.
    ///   - checksum: append a content checksum to the frame (the CLI's default).
    ///   - pledgedSize: the exact total input size, if known; it is recorded in the frame
    ///     header and zstd fails the stream if the input turns out to differ.
    public init(level: Int = Zstandard.defaultLevel, checksum: Bool = true, pledgedSize: UInt64? = nil) throws {
        context = try CompressionContext(level: level, checksum: checksum)
        output = [UInt8](repeating: 0, count: ZSTD_CStreamOutSize())
        if let pledgedSize {
            try zstdCheck(ZSTD_CCtx_setPledgedSrcSize(context.pointer, pledgedSize), "pledging \(pledgedSize) bytes")
        }
    }

    /// Compress one chunk; returns whatever compressed bytes are ready (often none).
    public func compress(_ chunk: [UInt8]) throws -> [UInt8] {
        var result: [UInt8] = []
        try chunk.withUnsafeBytes { try compress($0) { result.append(contentsOf: $0) } }
        return result
    }

    /// Compress one chunk, handing each ready piece of output to `sink` without copying it
    /// into an array first. The pointer passed to `sink` is valid only during the call.
    public func compress(_ chunk: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !finished else { throw ZstdError.streamFinished("ZstdCompressor") }
        _ = try run(chunk, directive: ZSTD_e_continue, sink: sink)
    }

    /// End the frame and return the remaining compressed bytes.
    public func finish() throws -> [UInt8] {
        var result: [UInt8] = []
        try finish { result.append(contentsOf: $0) }
        return result
    }

    /// End the frame, handing the remaining compressed bytes to `sink`.
    public func finish(into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !finished else { throw ZstdError.streamFinished("ZstdCompressor") }
        finished = true
        _ = try run(UnsafeRawBufferPointer(start: nil, count: 0), directive: ZSTD_e_end, sink: sink)
    }

    /// Drive ZSTD_compressStream2 until it has taken all input and, for `ZSTD_e_end`,
    /// flushed the whole frame (return value 0).
    private func run(
        _ chunk: UnsafeRawBufferPointer, directive: ZSTD_EndDirective,
        sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> Int {
        var input = ZSTD_inBuffer(src: chunk.baseAddress, size: chunk.count, pos: 0)
        let context = self.context.pointer
        while true {
            let (remaining, produced) = try output.withUnsafeMutableBytes { out in
                var buffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                let remaining = try zstdCheck(
                    ZSTD_compressStream2(context, &buffer, &input, directive), "compressing a stream chunk")
                return (remaining, buffer.pos)
            }
            if produced > 0 {
                try output.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[..<produced])) }
            }
            let done = directive == ZSTD_e_end ? remaining == 0 : input.pos == input.size
            if done { return remaining }
        }
    }
}

/// Streaming zstd decompression: feed compressed chunks in any sizes, collect output.
///
/// Handles concatenated frames and frames without a recorded size. `finish()` must be called
/// after the last chunk: it is what notices input that stopped in the middle of a frame.
public final class ZstdDecompressor {
    private let context: DecompressionContext
    private var output: [UInt8]
    private let limit: Int
    private var produced = 0
    private var consumed = 0
    /// ZSTD_decompressStream's last hint: 0 exactly when the last frame was complete.
    private var frameOpen = false
    private var finished = false

    /// - Parameter limit: the largest total output accepted (a guard for untrusted input).
    public init(limit: Int = Int.max) throws {
        context = try DecompressionContext()
        output = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
        self.limit = limit
    }

    /// Decompress one chunk; returns whatever output is ready.
    public func decompress(_ chunk: [UInt8]) throws -> [UInt8] {
        var result: [UInt8] = []
        try chunk.withUnsafeBytes { try decompress($0) { result.append(contentsOf: $0) } }
        return result
    }

    /// Decompress one chunk, handing each piece of output to `sink`. The pointer passed to
    /// `sink` is valid only during the call.
    public func decompress(_ chunk: UnsafeRawBufferPointer, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !finished else { throw ZstdError.streamFinished("ZstdDecompressor") }
        var input = ZSTD_inBuffer(src: chunk.baseAddress, size: chunk.count, pos: 0)
        let context = self.context.pointer
        let consumedBefore = consumed
        while true {
            let (hint, count, outputFull) = try output.withUnsafeMutableBytes { out in
                var buffer = ZSTD_outBuffer(dst: out.baseAddress, size: out.count, pos: 0)
                let hint = try zstdCheck(
                    ZSTD_decompressStream(context, &buffer, &input),
                    "decompressing the stream at input byte \(consumedBefore + input.pos)")
                return (hint, buffer.pos, buffer.pos == buffer.size)
            }
            // A call that takes no input and makes no output reports the header size of a
            // next frame that may never come; only a call that made progress changes state.
            let progressed = consumedBefore + input.pos > consumed || count > 0
            consumed = consumedBefore + input.pos
            if hint == 0 {
                frameOpen = false
            } else if progressed {
                frameOpen = true
            }
            if count > 0 {
                produced += count
                guard produced <= limit else { throw ZstdError.outputLimitExceeded(limit: limit) }
                try output.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            }
            // zstd may hold decoded data back even after taking all input (a full output
            // buffer, or the end of a frame still to be confirmed), so stop only once all
            // input is taken and a call either completed the frame or made no output.
            if input.pos == input.size && !outputFull && (hint == 0 || count == 0) { return }
        }
    }

    /// Check that the input ended on a frame boundary.
    public func finish() throws {
        guard !finished else { throw ZstdError.streamFinished("ZstdDecompressor") }
        finished = true
        if consumed == 0 { throw ZstdError.emptyInput }
        if frameOpen { throw ZstdError.truncated(inputBytes: consumed) }
    }

    /// Total decompressed bytes so far.
    public var outputByteCount: Int { produced }
}
