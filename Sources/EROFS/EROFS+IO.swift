import Glibc
import SystemIO

extension EROFS {
    /// The file calls this module makes, through SystemIO (which owns the loops), each
    /// with its error mapped to `EROFSError.io` in one place.
    enum Syscall {
        static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws(EROFSError) -> SystemIO.File {
            try mapped(path, "open") { () throws(SystemIOError) in try SystemIO.File(path: path, flags: flags, mode: mode) }
        }

        /// A file or block device to read, never anything that could block or is no file.
        static func openForReading(_ path: String) throws(EROFSError) -> SystemIO.File {
            do {
                return try SystemIO.File.openForReading(path, kind: .regularFileOrBlockDevice)
            } catch {
                guard let detail = error.detail else { throw .io(path: path, operation: "open", errno: error.code) }
                throw .unreadable(path: path, reason: detail)
            }
        }

        /// Bytes in the file; a block device's size (BLKGETSIZE64) for a disk.
        static func size(_ file: SystemIO.File) throws(EROFSError) -> UInt64 {
            try mapped(file.path, "fstat") { () throws(SystemIOError) in try file.size() }
        }

        /// Reads up to `count` bytes at `offset` into `buffer`; returns how many bytes there
        /// were (fewer only at the end of the file).
        static func pread(_ file: SystemIO.File, _ buffer: UnsafeMutableRawPointer, count: Int, offset: UInt64) throws(EROFSError) -> Int {
            try mapped(file.path, "read") { () throws(SystemIOError) in
                try file.read(into: UnsafeMutableRawBufferPointer(start: buffer, count: count), at: offset)
            }
        }

        static func pwrite(_ file: SystemIO.File, _ buffer: UnsafeRawPointer, count: Int, offset: UInt64) throws(EROFSError) {
            try mapped(file.path, "write") { () throws(SystemIOError) in
                try file.write(UnsafeRawBufferPointer(start: buffer, count: count), at: offset)
            }
        }

        static func truncate(_ file: SystemIO.File, to size: UInt64) throws(EROFSError) {
            try mapped(file.path, "ftruncate") { () throws(SystemIOError) in try file.truncate(to: size) }
        }

        private static func mapped<T>(_ path: String, _ operation: String, _ body: () throws(SystemIOError) -> T) throws(EROFSError) -> T {
            do {
                return try body()
            } catch {
                throw .io(path: path, operation: operation, errno: error.code)
            }
        }
    }

    /// The image being written: a large buffer that fills sequentially (contents are read
    /// straight into it) and goes out in one pwrite when full.
    final class OutputFile {
        let path: String
        let file: SystemIO.File
        private let buffer: UnsafeMutableRawBufferPointer
        private var fill = 0
        /// Image offset of `buffer[0]`.
        private var base: UInt64
        var onFlush: ((UInt64) -> Void)?

        /// Where the image starts in the file: nil writes a file of its own (created or
        /// truncated); an offset writes into an existing file (a partition of a disk image)
        /// and leaves every byte outside the image alone.
        let imageOffset: UInt64?

        init(path: String, imageOffset: UInt64? = nil, startingAt offset: UInt64, bufferSize: Int = 4 << 20) throws(EROFSError) {
            self.path = path
            self.imageOffset = imageOffset
            file = try Syscall.open(path, imageOffset == nil ? O_WRONLY | O_CREAT | O_TRUNC : O_WRONLY)
            buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 4096)
            base = offset
        }

        private var shift: UInt64 { imageOffset ?? 0 }

        deinit { buffer.deallocate() }

        /// Where the next appended byte lands in the image.
        var position: UInt64 { base + UInt64(fill) }

        func flush() throws(EROFSError) {
            guard fill > 0, let start = buffer.baseAddress else { return }
            try Syscall.pwrite(file, start, count: fill, offset: base + shift)
            base += UInt64(fill)
            fill = 0
            onFlush?(base)
        }

        func appendZeros(_ count: Int) throws(EROFSError) {
            var left = count
            while left > 0 {
                if fill == buffer.count { try flush() }
                let n = min(left, buffer.count - fill)
                (buffer.baseAddress.map { $0 + fill })?.initializeMemory(as: UInt8.self, repeating: 0, count: n)
                fill += n
                left -= n
            }
        }

        func append(_ bytes: [UInt8]) throws(EROFSError) {
            var done = 0
            while done < bytes.count {
                if fill == buffer.count { try flush() }
                let n = min(bytes.count - done, buffer.count - fill)
                bytes.withUnsafeBytes { source in
                    if let from = source.baseAddress, let to = buffer.baseAddress {
                        (to + fill).copyMemory(from: from + done, byteCount: n)
                    }
                }
                fill += n
                done += n
            }
        }

        /// Copies `count` bytes from `source` (starting at its offset 0) into the image;
        /// returns how many there were, which is fewer only if the file is shorter.
        func append(from source: SystemIO.File, count: UInt64) throws(EROFSError) -> UInt64 {
            var done: UInt64 = 0
            while done < count {
                if fill == buffer.count { try flush() }
                guard let to = buffer.baseAddress else { break }
                let want = Int(min(count - done, UInt64(buffer.count - fill)))
                let got = try Syscall.pread(source, to + fill, count: want, offset: done)
                fill += got
                done += UInt64(got)
                if got < want { break }
            }
            return done
        }

        /// Writes `bytes` at an absolute image offset, outside the sequential buffer.
        func write(_ bytes: [UInt8], at offset: UInt64) throws(EROFSError) {
            let result = bytes.withUnsafeBytes { raw in
                Result { () throws(EROFSError) in
                    guard let start = raw.baseAddress else { return }
                    try Syscall.pwrite(file, start, count: raw.count, offset: offset + shift)
                }
            }
            try result.get()
        }

        /// Sets the file's size to the image's; a no-op inside a larger file.
        func truncate(to size: UInt64) throws(EROFSError) {
            guard imageOffset == nil else { return }
            try Syscall.truncate(file, to: size)
        }
    }

    /// A file read with positioned reads (the image, from a base offset).
    final class InputFile {
        let path: String
        let file: SystemIO.File
        let size: UInt64

        /// A regular file or a block device (a disk read in place); anything else (a FIFO,
        /// which would block, a directory, a socket) is refused before a byte is read.
        init(path: String) throws(EROFSError) {
            self.path = path
            file = try Syscall.openForReading(path)
            size = try Syscall.size(file)
        }

        /// Exactly `count` bytes at `offset`, or `.truncated` naming `what`.
        func read(at offset: UInt64, count: Int, what: String) throws(EROFSError) -> [UInt8] {
            let (end, overflow) = offset.addingReportingOverflow(UInt64(count))
            guard !overflow, end <= size else {
                throw .truncated(path: path, what: what, needed: overflow ? UInt64.max : end, size: size)
            }
            var bytes = [UInt8](repeating: 0, count: count)
            let got = try bytes.withUnsafeMutableBytes { raw in
                Result { () throws(EROFSError) -> Int in
                    guard let start = raw.baseAddress else { return 0 }
                    return try Syscall.pread(file, start, count: count, offset: offset)
                }
            }.get()
            guard got == count else { throw .truncated(path: path, what: what, needed: end, size: offset + UInt64(got)) }
            return bytes
        }
    }
}
