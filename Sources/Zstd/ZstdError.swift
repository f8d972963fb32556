/// Errors from the zstd wrapper.
///
/// libzstd reports failures as special `size_t` return values; `ZSTD_getErrorName` turns them
/// into text such as "Unknown frame descriptor" or "Restored data doesn't match checksum".
/// That text is kept verbatim in `.library` so a bug report shows what zstd itself said, and
/// the other cases cover the conditions zstd cannot name because they depend on how the
/// wrapper was called (a stream that ended early, a size limit set by the caller).
public enum ZstdError: Error, CustomStringConvertible, Equatable, Sendable {
    /// libzstd rejected an operation; `message` is `ZSTD_getErrorName` of its return value.
    case library(operation: String, message: String)
    /// libzstd could not allocate a context (`ZSTD_createCCtx`/`ZSTD_createDCtx` returned NULL).
    case outOfMemory(what: String)
    /// The requested level lies outside what this libzstd accepts.
    case levelOutOfRange(level: Int, allowed: ClosedRange<Int>)
    /// The input ended inside a frame: the data is truncated.
    case truncated(inputBytes: Int)
    /// The input was empty, so it holds no zstd frame at all.
    case emptyInput
    /// Decompressed data grew past the limit the caller set.
    case outputLimitExceeded(limit: Int)
    /// `compress`/`decompress` was called after `finish()`.
    case streamFinished(String)

    public var description: String {
        switch self {
        case .library(let operation, let message):
            return "zstd \(operation) failed: \(message)"
        case .outOfMemory(let what):
            return "zstd could not allocate a \(what); the process is out of memory"
        case .levelOutOfRange(let level, let allowed):
            return "zstd level \(level) is not supported; use a level in \(allowed.lowerBound)...\(allowed.upperBound) "
                + "(3 is zstd's default, 19 the highest without --ultra)"
        case .truncated(let inputBytes):
            return "zstd input ends in the middle of a frame after \(inputBytes) bytes; "
                + "the file is truncated or was not downloaded completely"
        case .emptyInput:
            return "zstd input is empty; expected at least one zstd frame (magic 28 b5 2f fd)"
        case .outputLimitExceeded(let limit):
            return "zstd output exceeds the limit of \(limit) bytes; raise the limit if the input is trusted"
        case .streamFinished(let type):
            return "\(type) was already finished; create a new \(type) for each stream"
        }
    }
}
