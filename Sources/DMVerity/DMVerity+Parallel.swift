import Crypto
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension DMVerity {
    /// The number of online processors, the default number of hashing threads.
    public static var defaultParallelism: Int {
        max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1)
    }

    /// Bytes each thread reads per `pread`: large enough that system call overhead vanishes
    /// next to hashing (about 2 ms of SHA-256 with SHA-NI), small enough that memory stays at
    /// a few MiB per thread however large the data is.
    static let chunkBytes = 4 << 20

    /// Run `body`, turning a Crypto failure into this module's error.
    static func hashing<Result>(_ body: () throws -> Result) throws(DMVerityError) -> Result {
        do {
            return try body()
        } catch let error as DMVerityError {
            throw error
        } catch {
            throw .hashing("\(error)")
        }
    }

    /// Level 0 of the tree: `SHA256(salt ‖ data block i)` for every data block of `region`,
    /// written to `output` (32 bytes per block, in order).
    ///
    /// Threads take 4 MiB chunks from a shared counter, read them with `pread` into their
    /// own buffer and hash them with their own hasher; each writes a disjoint range of
    /// `output`, so only the counter is locked. `progress` is called under that lock after
    /// each chunk, so its calls are serialized and the byte count only grows.
    static func hashDataBlocks(
        file: OpenFile, region: Region, blockSize: Int, blocks: UInt64, salt: [UInt8],
        parallelism: Int, output: TreeBuffer, outputOffset: Int,
        progress: (@Sendable (UInt64, UInt64) -> Void)?
    ) throws(DMVerityError) {
        struct State {
            var nextChunk: UInt64 = 0
            var bytesDone: UInt64 = 0
            var failure: DMVerityError?
        }
        let blocksPerChunk = UInt64(max(chunkBytes / blockSize, 1))
        let chunkCount = (blocks + blocksPerChunk - 1) / blocksPerChunk
        let totalBytes = blocks * UInt64(blockSize)
        let workers = Int(min(UInt64(max(parallelism, 1)), max(chunkCount, 1)))
        let state = Mutex(State())

        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let buffer = UnsafeMutableRawBufferPointer.allocate(
                byteCount: Int(blocksPerChunk) * blockSize, alignment: 4096)
            defer { buffer.deallocate() }
            do {
                let hasher = try hashing { try SaltedBlockHasher(salt: salt) }
                while true {
                    let next: UInt64? = state.withLock { state in
                        guard state.failure == nil, state.nextChunk < chunkCount else { return nil }
                        state.nextChunk += 1
                        return state.nextChunk - 1
                    }
                    guard let chunk = next else { break }
                    let first = chunk * blocksPerChunk
                    let count = Int(min(blocksPerChunk, blocks - first))
                    let input = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(count * blockSize)])
                    try file.read(into: input, at: region.offset + first * UInt64(blockSize))
                    let digests = output.slice(outputOffset + Int(first) * Parameters.digestSize, count * Parameters.digestSize)
                    try hashing { try hasher.hashBlocks(UnsafeRawBufferPointer(input), blockSize: blockSize, into: digests) }
                    state.withLock { state in
                        state.bytesDone += UInt64(input.count)
                        progress?(state.bytesDone, totalBytes)
                    }
                }
            } catch {
                state.withLock { state in
                    if state.failure == nil { state.failure = error as? DMVerityError ?? .hashing("\(error)") }
                }
            }
        }
        if let failure = state.withLock({ $0.failure }) {
            throw failure
        }
    }

    /// Index of the first 32-byte digest that differs between `a` and `b` (equal lengths).
    static func firstMismatch(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> UInt64? {
        guard let left = a.baseAddress, let right = b.baseAddress, a.count == b.count else {
            return a.count == b.count ? nil : 0
        }
        if memcmp(left, right, a.count) == 0 { return nil }
        let size = Parameters.digestSize
        for index in 0..<(a.count / size) where memcmp(left + index * size, right + index * size, size) != 0 {
            return UInt64(index)
        }
        return nil
    }
}
