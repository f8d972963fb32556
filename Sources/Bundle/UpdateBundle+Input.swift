import Glibc
import SystemIO

extension UpdateBundle {
    /// Where a `Reader` takes the bundle's bytes from: a file, a block device the bundle was
    /// written to, or a download (`HTTPSource.HTTPBundleInput`).
    ///
    /// Reads are positional. The reader reads the manifest and signature from the front,
    /// then each payload front to back, one header before each: a download serves that from
    /// one open response as long as the reader only moves forward (`Reader(input:sequential:)`).
    public protocol Input: AnyObject {
        /// What error messages call the input: a path or a URL.
        var name: String { get }
        /// The input's length in bytes. For a block device, the device's size: the bundle may
        /// end before it (`mayContinuePastBundle`).
        var size: UInt64 { get }
        /// True when bytes after the bundle's end-of-archive marker are not part of the bundle
        /// (a block device is larger than the bundle written to its start); the reader then
        /// neither reads nor checks them.
        var mayContinuePastBundle: Bool { get }
        /// Up to `buffer.count` bytes at `offset`; fewer only where the input ends.
        func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int
    }

    /// A bundle in a regular file, or on a block device (the bundle's bytes written at offset 0
    /// of /dev/vdb, say). A FIFO, socket, directory or character device is refused before a
    /// byte is read: a FIFO would block, and none of them has a size to check offsets against.
    public final class FileInput: Input {
        let file: FileDescriptor
        public let size: UInt64
        public let mayContinuePastBundle: Bool
        public var name: String { file.path }

        public init(path: String) throws {
            do {
                let opened = try SystemIO.File.openForReading(path, kind: .regularFileOrBlockDevice)
                file = FileDescriptor(file: opened)
                mayContinuePastBundle = try opened.isBlockDevice()
                size = try opened.size()
            } catch {
                guard let detail = error.detail else { throw BundleError.io(operation: error.operation, path: path, errno: error.code) }
                throw BundleError.unreadable(path: path, reason: detail)
            }
        }

        public func read(into buffer: UnsafeMutableRawBufferPointer, at offset: UInt64) throws -> Int {
            try file.read(into: buffer, at: offset)
        }
    }
}

extension UpdateBundle.Input {
    /// Exactly `count` bytes at `offset`, or nil when the input ends first.
    func read(count: Int, at offset: UInt64) throws -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        let got = try bytes.withUnsafeMutableBytes { try read(into: $0, at: offset) }
        return got == count ? bytes : nil
    }

    /// Copy a byte range in 1 MiB chunks, front to back.
    func copy(offset: UInt64, length: UInt64, what: String, into sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        try UpdateBundle.copy(name: name, offset: offset, length: length, what: what, read: read(into:at:), into: sink)
    }
}
