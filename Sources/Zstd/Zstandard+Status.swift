internal import CZstd

/// The one place where libzstd return codes become Swift errors.
///
/// Every libzstd call that can fail returns a `size_t` that is either a result or an error
/// code recognisable with `ZSTD_isError`; the caller names the operation so the error says
/// which step failed.
@discardableResult
func zstdCheck(_ code: Int, _ operation: @autoclosure () -> String) throws -> Int {
    if ZSTD_isError(code) != 0 {
        let name = ZSTD_getErrorName(code).map { String(cString: $0) } ?? "error code \(code)"
        throw ZstdError.library(operation: operation(), message: name)
    }
    return code
}

/// Validate a level before handing it to libzstd, which would silently clamp it.
func zstdValidatedLevel(_ level: Int) throws -> Int32 {
    let allowed = Zstandard.levels
    guard allowed.contains(level) else {
        throw ZstdError.levelOutOfRange(level: level, allowed: allowed)
    }
    return Int32(level)
}

/// A compression context owned by exactly one Swift value, freed when that value goes away.
struct CompressionContext: ~Copyable {
    let pointer: OpaquePointer

    init(level: Int, checksum: Bool) throws {
        let zLevel = try zstdValidatedLevel(level)
        guard let pointer = ZSTD_createCCtx() else {
            throw ZstdError.outOfMemory(what: "compression context")
        }
        do {
            try zstdCheck(ZSTD_CCtx_setParameter(pointer, ZSTD_c_compressionLevel, zLevel), "setting level \(level)")
            try zstdCheck(
                ZSTD_CCtx_setParameter(pointer, ZSTD_c_checksumFlag, checksum ? 1 : 0), "enabling the frame checksum")
        } catch {
            ZSTD_freeCCtx(pointer)
            throw error
        }
        self.pointer = pointer
    }

    deinit { ZSTD_freeCCtx(pointer) }
}

/// A decompression context owned by exactly one Swift value, freed when that value goes away.
struct DecompressionContext: ~Copyable {
    let pointer: OpaquePointer

    init() throws {
        guard let pointer = ZSTD_createDCtx() else {
            throw ZstdError.outOfMemory(what: "decompression context")
        }
        self.pointer = pointer
    }

    deinit { ZSTD_freeDCtx(pointer) }
}
