import Glibc
import SystemIO

extension FAT {
    /// The file calls this module makes, through SystemIO (which owns the loops and EINTR),
    /// each failure mapped to `FATError.io` naming the path in one place.
    enum IO {
        static func open(_ path: String, writable: Bool) throws(FATError) -> SystemIO.File {
            do {
                return writable
                    ? try SystemIO.File(path: path, flags: O_RDWR)
                    : try SystemIO.File.openForReading(path, kind: .regularFileOrBlockDevice)
            } catch {
                throw .io(path: path, operation: "open", message: error.reason)
            }
        }

        static func size(_ file: SystemIO.File) throws(FATError) -> UInt64 {
            try mapped(file.path, "find the size of") { () throws(SystemIOError) in try file.size() }
        }

        /// Up to `count` bytes at `offset`: fewer only where the file ends.
        static func read(_ file: SystemIO.File, count: Int, at offset: UInt64) throws(FATError) -> [UInt8] {
            try mapped(file.path, "read \(count) bytes at offset \(offset) of") { () throws(SystemIOError) in
                try file.read(upTo: count, at: offset)
            }
        }

        static func write(_ file: SystemIO.File, _ bytes: [UInt8], at offset: UInt64) throws(FATError) {
            try mapped(file.path, "write \(bytes.count) bytes at offset \(offset) of") { () throws(SystemIOError) in
                try file.write(bytes, at: offset)
            }
        }

        static func sync(_ file: SystemIO.File) throws(FATError) {
            try mapped(file.path, "fsync") { () throws(SystemIOError) in try file.sync() }
        }

        private static func mapped<T>(
            _ path: String, _ operation: String, _ body: () throws(SystemIOError) -> T
        ) throws(FATError) -> T {
            do {
                return try body()
            } catch {
                throw .io(path: path, operation: operation, message: error.reason)
            }
        }
    }

    /// The writer's output: bytes appended in volume order, gathered into 4 MiB writes (a
    /// file's contents larger than that go out as they are, in one write).
    final class RegionWriter {
        static let bufferSize = 4 << 20
        let file: SystemIO.File
        /// Where the volume starts in the file.
        let base: UInt64
        /// Volume offset of the next byte appended.
        private(set) var position: UInt64 = 0
        private var buffer: [UInt8] = []
        /// Volume offset of `buffer[0]`.
        private var bufferStart: UInt64 = 0

        init(file: SystemIO.File, base: UInt64) {
            self.file = file
            self.base = base
            buffer.reserveCapacity(Self.bufferSize)
        }

        func append(_ bytes: [UInt8]) throws(FATError) {
            if bytes.count >= Self.bufferSize {
                try flush()
                try IO.write(file, bytes, at: base + position)
                position += UInt64(bytes.count)
                bufferStart = position
                return
            }
            if buffer.count + bytes.count > Self.bufferSize { try flush() }
            buffer.append(contentsOf: bytes)
            position += UInt64(bytes.count)
        }

        func appendZeros(_ count: UInt64) throws(FATError) {
            var left = count
            while left > 0 {
                if buffer.count == Self.bufferSize { try flush() }
                let chunk = min(Int(min(left, UInt64(Int.max))), Self.bufferSize - buffer.count)
                buffer.append(contentsOf: repeatElement(0, count: chunk))
                position += UInt64(chunk)
                left -= UInt64(chunk)
            }
        }

        func flush() throws(FATError) {
            guard !buffer.isEmpty else { return }
            try IO.write(file, buffer, at: base + bufferStart)
            bufferStart += UInt64(buffer.count)
            buffer.removeAll(keepingCapacity: true)
        }
    }
}
