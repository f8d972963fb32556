import SystemIO

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

extension DMVerity {
    /// An open file read and written with positioned I/O only (SystemIO's pread/pwrite
    /// loops), so one descriptor can serve several threads at once: there is no shared file
    /// position. Immutable after opening, hence `Sendable`; closed when released.
    final class OpenFile: Sendable {
        let path: String
        private let file: SystemIO.File

        init(path: String, writable: Bool) throws(DMVerityError) {
            self.path = path
            // A missing hash file is created, as veritysetup does; data is only ever read, and
            // only from a regular file or a block device (a FIFO would block, a directory is
            // no data): anything else is refused before a byte is read.
            do {
                file = writable
                    ? try SystemIO.File(path: path, flags: O_RDWR | O_CREAT)
                    : try SystemIO.File.openForReading(path, kind: .regularFileOrBlockDevice)
            } catch {
                throw .io(operation: writable ? "open for writing" : "open for reading", path: path, message: error.reason)
            }
        }

        /// Size in bytes (a block device's own size) and (device, inode), which tells whether
        /// two paths are one file.
        func status() throws(DMVerityError) -> (size: UInt64, identity: [UInt64]) {
            do {
                let info = try file.status()
                return (try file.size(), [info.device, info.inode])
            } catch {
                throw .io(operation: "stat", path: path, message: error.reason)
            }
        }

        /// Fill `buffer` from `offset`; a file that ends first is a `truncated` error.
        func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws(DMVerityError) {
            let got: Int
            do {
                got = try file.read(into: buffer, at: offset)
            } catch {
                throw .io(operation: "read \(buffer.count) bytes at offset \(offset) of", path: path, message: error.reason)
            }
            guard got == buffer.count else {
                let size = (try? status().size) ?? offset + UInt64(got)
                throw .truncated(path: path, offset: offset, needed: UInt64(buffer.count), fileSize: size)
            }
        }

        func read(count: Int, at offset: UInt64) throws(DMVerityError) -> [UInt8] {
            let buffer = TreeBuffer(count: count)
            try read(into: buffer.slice(0, count), at: offset)
            return Array(buffer.slice(0, count))
        }

        /// Write all of `buffer` at `offset`, extending a regular file when needed.
        func write(_ buffer: UnsafeRawBufferPointer, at offset: UInt64) throws(DMVerityError) {
            do {
                try file.write(buffer, at: offset)
            } catch {
                throw .io(operation: "write \(buffer.count) bytes at offset \(offset) of", path: path, message: error.reason)
            }
        }
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
