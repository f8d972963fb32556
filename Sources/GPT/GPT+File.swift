#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension GPT {
    /// The image file, with each system call in one small function that turns `errno` into a
    /// `GPTError.io` naming the path and the operation. The descriptor closes in `deinit`.
    final class ImageFile {
        let path: String
        private let descriptor: Int32

        /// Opens read-only, or read-write and created (0644) when `writable`.
        init(path: String, writable: Bool) throws(GPTError) {
            self.path = path
            let flags = writable ? (O_RDWR | O_CREAT | O_CLOEXEC) : (O_RDONLY | O_CLOEXEC)
            let result = open(path, flags, 0o644)
            guard result >= 0 else { throw Self.failure(path, "open") }
            descriptor = result
        }

        deinit { close(descriptor) }

        /// The file's size; for a block device (whose `st_size` is 0) the device's size,
        /// which seeking to the end gives for both.
        var size: UInt64 {
            get throws(GPTError) {
                let end = lseek(descriptor, 0, SEEK_END)
                guard end >= 0 else { throw Self.failure(path, "find the size of (lseek)") }
                return UInt64(end)
            }
        }

        func truncate(to size: UInt64) throws(GPTError) {
            guard ftruncate(descriptor, off_t(size)) == 0 else { throw Self.failure(path, "extend (ftruncate)") }
        }

        /// Exactly `count` bytes at `offset`; the caller has checked that they lie in the file.
        func read(at offset: UInt64, count: Int, what: String) throws(GPTError) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: count)
            var done = 0
            while done < count {
                let result = bytes.withUnsafeMutableBytes { buffer in
                    pread(descriptor, buffer.baseAddress.map { $0 + done }, count - done, off_t(offset) + off_t(done))
                }
                if result < 0, errno == EINTR { continue }
                guard result >= 0 else { throw Self.failure(path, "read \(what) from") }
                guard result > 0 else {
                    throw .truncated(path: path, fileSize: (try? size) ?? 0, what: what, needed: offset + UInt64(count))
                }
                done += result
            }
            return bytes
        }

        func write(_ bytes: [UInt8], at offset: UInt64, what: String) throws(GPTError) {
            var done = 0
            while done < bytes.count {
                let result = bytes.withUnsafeBytes { buffer in
                    pwrite(descriptor, buffer.baseAddress.map { $0 + done }, bytes.count - done, off_t(offset) + off_t(done))
                }
                if result < 0, errno == EINTR { continue }
                guard result > 0 else { throw Self.failure(path, "write \(what) to") }
                done += result
            }
        }

        private static func failure(_ path: String, _ operation: String) -> GPTError {
            .io(path: path, operation: operation, message: String(cString: strerror(errno)))
        }
    }
}
