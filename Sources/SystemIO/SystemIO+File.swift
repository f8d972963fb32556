import Glibc

extension SystemIO {
    /// An open file descriptor, closed in `deinit`.
    ///
    /// Reads and writes are positional (pread/pwrite): there is no shared file position, so
    /// one `File` serves several threads at once and is `Sendable`. Every loop here retries
    /// EINTR and continues after a short transfer; the exact-count reads treat a file that
    /// ends first as an error, the "up to" reads return what there was.
    public final class File: Sendable {
        public let descriptor: Int32
        public let path: String
        /// The funnel that was current when the file was opened; every call on this file goes
        /// through it, whichever thread or task makes it.
        public let calls: any SystemCalls

        /// open(2) with `flags` (O_CLOEXEC is always added) and, for a created file, `mode`
        /// (before the umask).
        public init(path: String, flags: Int32, mode: mode_t = 0o644) throws(SystemIOError) {
            let calls = SystemIO.calls
            self.path = path
            self.calls = calls
            do {
                descriptor = try calls.open(path, flags | O_CLOEXEC, mode)
            } catch {
                throw SystemIOError(path, "open", error)
            }
        }

        /// A directory opened so it can be fsynced after a rename inside it.
        public static func directory(_ path: String) throws(SystemIOError) -> File {
            try File(path: path, flags: O_RDONLY | O_DIRECTORY)
        }

        deinit { try? calls.close(descriptor) }

        /// One call, retried while it is interrupted (EINTR); any other errno becomes a
        /// `SystemIOError` naming `operation`.
        @inline(__always)
        func call<T>(_ operation: @autoclosure () -> String, _ body: () throws(Errno) -> T) throws(SystemIOError) -> T {
            while true {
                do {
                    return try body()
                } catch let error where error.code == EINTR {
                    continue
                } catch {
                    throw SystemIOError(path, operation(), error)
                }
            }
        }

        /// Up to `buffer.count` bytes at `offset`; fewer only where the file ends.
        public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(SystemIOError) -> Int {
            var done = 0
            while done < buffer.count {
                let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[done...])
                let position = Int64(bitPattern: offset &+ UInt64(done))
                let count = try call("read \(buffer.count) bytes at offset \(offset)") { () throws(Errno) in
                    try calls.pread(descriptor, into: rest, at: position)
                }
                if count == 0 { break }
                done += count
            }
            return done
        }

        /// Exactly `buffer.count` bytes at `offset`; a file that ends first is an error (EIO).
        public func readExactly(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(SystemIOError) {
            let got = try read(into: buffer, at: offset)
            guard got == buffer.count else { throw endOfFile(count: buffer.count, offset: offset) }
        }

        /// Exactly `count` bytes at `offset`; a file that ends first is an error (EIO).
        public func read(count: Int, at offset: UInt64) throws(SystemIOError) -> [UInt8] {
            let bytes = try read(upTo: count, at: offset)
            guard bytes.count == count else { throw endOfFile(count: count, offset: offset) }
            return bytes
        }

        /// Up to `count` bytes at `offset`: fewer only where the file ends.
        public func read(upTo count: Int, at offset: UInt64) throws(SystemIOError) -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: max(count, 0))
            let got = try bytes.withMutableBytes { buffer throws(SystemIOError) in try read(into: buffer, at: offset) }
            if got < bytes.count { bytes.removeSubrange(got...) }
            return bytes
        }

        /// Everything from the file position to the end, at most `limit` bytes, with read(2):
        /// what /proc and sysfs files need (their size is not known before reading).
        public func readToEnd(limit: Int) throws(SystemIOError) -> [UInt8] {
            var out: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while out.count < limit {
                let count = try buffer.withMutableBytes { raw throws(SystemIOError) in
                    try call("read") { () throws(Errno) in try calls.read(descriptor, into: raw) }
                }
                if count == 0 { break }
                out.append(contentsOf: buffer[0..<count])
            }
            return out
        }

        /// All of `buffer` at `offset`, extending a regular file when needed.
        public func write(_ buffer: UnsafeRawBufferPointer, at offset: UInt64) throws(SystemIOError) {
            var done = 0
            while done < buffer.count {
                let rest = UnsafeRawBufferPointer(rebasing: buffer[done...])
                let position = Int64(bitPattern: offset &+ UInt64(done))
                let operation = "write \(buffer.count) bytes at offset \(offset)"
                let count = try call(operation) { () throws(Errno) in try calls.pwrite(descriptor, rest, at: position) }
                // pwrite returns 0 only when nothing can be written (a device's end): an error,
                // not a reason to loop forever.
                guard count > 0 else { throw SystemIOError(path, operation, code: ENOSPC) }
                done += count
            }
        }

        public func write(_ bytes: [UInt8], at offset: UInt64) throws(SystemIOError) {
            try bytes.withBytes { buffer throws(SystemIOError) in try write(buffer, at: offset) }
        }

        /// fstat(2).
        public func status() throws(SystemIOError) -> FileStatus {
            try call("stat") { () throws(Errno) in try calls.fstat(descriptor) }
        }

        /// Bytes in the file; for a block device (whose `st_size` is 0) the device's size.
        public func size() throws(SystemIOError) -> UInt64 {
            let info = try status()
            guard info.isBlockDevice else { return info.size }
            return try call("find the size of (BLKGETSIZE64)") { () throws(Errno) in try calls.blockDeviceSize(descriptor) }
        }

        /// ftruncate(2): cut or (sparsely) extend a regular file to `size` bytes.
        public func truncate(to size: UInt64) throws(SystemIOError) {
            try call("set the size to \(size) bytes") { () throws(Errno) in
                try calls.ftruncate(descriptor, Int64(bitPattern: size))
            }
        }

        /// fsync(2): the data and metadata written so far are on the disk when this returns.
        public func sync() throws(SystemIOError) {
            try call("fsync") { () throws(Errno) in try calls.fsync(descriptor) }
        }

        /// fchmod(2): set the permission bits exactly, whatever the umask was at creation.
        public func setMode(_ mode: mode_t) throws(SystemIOError) {
            try call("set mode") { () throws(Errno) in try calls.fchmod(descriptor, mode) }
        }

        private func endOfFile(count: Int, offset: UInt64) -> SystemIOError {
            SystemIOError(path, "read \(count) bytes at offset \(offset): the file ends first", code: EIO)
        }
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeMutableBytes` keeping `body`'s typed error (the standard one rethrows `any Error`).
    @inline(__always)
    mutating func withMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws(SystemIOError) -> R) throws(SystemIOError) -> R {
        try withUnsafeMutableBytes { buffer in Result { () throws(SystemIOError) in try body(buffer) } }.get()
    }

    /// `withUnsafeBytes` keeping `body`'s typed error.
    @inline(__always)
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws(SystemIOError) -> R) throws(SystemIOError) -> R {
        try withUnsafeBytes { buffer in Result { () throws(SystemIOError) in try body(buffer) } }.get()
    }
}
