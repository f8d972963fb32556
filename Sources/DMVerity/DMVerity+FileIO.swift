#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension DMVerity {
    /// An open file read and written with positioned I/O only (`pread`/`pwrite`), so one
    /// descriptor can serve several threads at once: there is no shared file position.
    /// Immutable after opening, hence `Sendable`; closed in `deinit`.
    final class OpenFile: Sendable {
        let path: String
        let descriptor: Int32

        init(path: String, writable: Bool) throws(DMVerityError) {
            self.path = path
            // A missing hash file is created, as veritysetup does; data is only ever read.
            let descriptor = writable ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644) : open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw .io(operation: writable ? "open for writing" : "open for reading", path: path, message: Self.lastError())
            }
            self.descriptor = descriptor
        }

        /// Size in bytes and (device, inode), which tells whether two paths are one file.
        func status() throws(DMVerityError) -> (size: UInt64, identity: [UInt64]) {
            var info = stat()
            guard fstat(descriptor, &info) == 0 else {
                throw .io(operation: "stat", path: path, message: Self.lastError())
            }
            return (UInt64(max(info.st_size, 0)), [UInt64(info.st_dev), UInt64(info.st_ino)])
        }

        /// Fill `buffer` from `offset`; a file that ends first is a `truncated` error.
        func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(DMVerityError) {
            guard let base = buffer.baseAddress else { return }
            var done = 0
            while done < buffer.count {
                let count = pread(descriptor, base + done, buffer.count - done, off_t(offset) + off_t(done))
                if count < 0 {
                    if errno == EINTR { continue }
                    throw .io(operation: "read \(buffer.count) bytes at offset \(offset) of", path: path, message: Self.lastError())
                }
                if count == 0 {
                    let size = (try? status().size) ?? offset + UInt64(done)
                    throw .truncated(path: path, offset: offset, needed: UInt64(buffer.count), fileSize: size)
                }
                done += count
            }
        }

        func read(count: Int, at offset: UInt64) throws(DMVerityError) -> [UInt8] {
            let buffer = TreeBuffer(count: count)
            try read(into: buffer.slice(0, count), at: offset)
            return Array(buffer.slice(0, count))
        }

        /// Write all of `buffer` at `offset`, extending a regular file when needed.
        func write(_ buffer: UnsafeRawBufferPointer, at offset: UInt64) throws(DMVerityError) {
            guard let base = buffer.baseAddress else { return }
            var done = 0
            while done < buffer.count {
                let count = pwrite(descriptor, base + done, buffer.count - done, off_t(offset) + off_t(done))
                if count < 0 {
                    if errno == EINTR { continue }
                    throw .io(operation: "write \(buffer.count) bytes at offset \(offset) of", path: path, message: Self.lastError())
                }
                done += count
            }
        }

        private static func lastError() -> String {
            String(cString: strerror(errno))
        }

        deinit { close(descriptor) }
    }

    /// Memory for the hash tree, owned by one value and freed in `deinit`. Threads write
    /// disjoint ranges of it through `bytes`, which is why it is `@unchecked Sendable`.
    final class TreeBuffer: @unchecked Sendable {
        let bytes: UnsafeMutableRawBufferPointer

        /// `count` zero bytes.
        init(count: Int) {
            bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, 1), alignment: 64)
            bytes.initializeMemory(as: UInt8.self, repeating: 0)
        }

        /// `count` bytes from `offset`.
        func slice(_ offset: Int, _ count: Int) -> UnsafeMutableRawBufferPointer {
            UnsafeMutableRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
        }

        deinit { bytes.deallocate() }
    }
}
