import Glibc
import SystemIO

extension GPT {
    /// The image file or disk, through SystemIO; each failure becomes a `GPTError` naming
    /// the path and what was being read or written. The descriptor closes in `deinit`.
    final class ImageFile {
        let path: String
        private let file: SystemIO.File

        /// How the file is opened.
        enum Access {
            /// O_RDONLY: the readers.
            case read
            /// O_RDWR | O_CREAT (0644): the full writer, which may create an image file.
            case create
            /// O_RDWR: the in-place update, which must never create a file where a disk was meant.
            case update
        }

        init(path: String, access: Access) throws(GPTError) {
            self.path = path
            let flags = switch access {
            case .read: O_RDONLY
            case .create: O_RDWR | O_CREAT
            case .update: O_RDWR
            }
            // A reader refuses a FIFO, socket or directory before reading (a FIFO would block).
            file = try Self.mapped(path, "open") { () throws(SystemIOError) in
                access == .read
                    ? try SystemIO.File.openForReading(path, kind: .regularFileOrBlockDevice)
                    : try SystemIO.File(path: path, flags: flags)
            }
        }

        /// The file's size; for a block device (whose `st_size` is 0) the device's size.
        var size: UInt64 {
            get throws(GPTError) { try Self.mapped(path, "find the size of") { () throws(SystemIOError) in try file.size() } }
        }

        var isBlockDevice: Bool {
            get throws(GPTError) {
                try Self.mapped(path, "stat") { () throws(SystemIOError) in try file.isBlockDevice() }
            }
        }

        /// The device's logical sector size (BLKSSZGET); only for a block device.
        func logicalSectorSize() throws(GPTError) -> UInt64 {
            try Self.mapped(path, "find the logical sector size of") { () throws(SystemIOError) in
                try file.logicalSectorSize()
            }
        }

        func truncate(to size: UInt64) throws(GPTError) {
            try Self.mapped(path, "extend (ftruncate)") { () throws(SystemIOError) in try file.truncate(to: size) }
        }

        /// Exactly `count` bytes at `offset`; a file that ends first is `.truncated`.
        func read(at offset: UInt64, count: Int, what: String) throws(GPTError) -> [UInt8] {
            let bytes = try Self.mapped(path, "read \(what) from") { () throws(SystemIOError) in
                try file.read(upTo: count, at: offset)
            }
            guard bytes.count == count else {
                throw .truncated(path: path, fileSize: (try? size) ?? 0, what: what, needed: offset + UInt64(count))
            }
            return bytes
        }

        func write(_ bytes: [UInt8], at offset: UInt64, what: String) throws(GPTError) {
            try Self.mapped(path, "write \(what) to") { () throws(SystemIOError) in try file.write(bytes, at: offset) }
        }

        /// fsync: what was written so far is on the disk, so a later write cannot overtake it.
        func sync(after what: String) throws(GPTError) {
            try Self.mapped(path, "fsync (after writing \(what))") { () throws(SystemIOError) in try file.sync() }
        }

        /// BLKRRPART; nil when the kernel re-read the table or `path` is a regular file, the
        /// reason when a partition in use kept it from doing so (EBUSY).
        func tellKernel() throws(GPTError) -> String? {
            do {
                try file.rereadPartitionTable()
                return nil
            } catch let error where error.code == EBUSY {
                return error.description
            } catch {
                throw .io(path: path, operation: "re-read the partition table (BLKRRPART) of", message: error.reason)
            }
        }

        private static func mapped<T>(
            _ path: String, _ operation: String, _ body: () throws(SystemIOError) -> T
        ) throws(GPTError) -> T {
            do {
                return try body()
            } catch {
                throw .io(path: path, operation: operation, message: error.reason)
            }
        }
    }
}
