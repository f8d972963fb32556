import Glibc
import Synchronization
import SystemIO

/// A syscall funnel that serves a few read-only files from memory (the fuzzer's input as an
/// image, a bundle, a hash device) and passes every other call to the real one. The readers
/// run unchanged on top of it (`SystemIO.$calls`), with no disk I/O per input.
final class MemoryFiles: SystemCallsForwarding, Sendable {
    let base: any SystemCalls = LinuxSystemCalls()
    private let files: [String: [UInt8]]
    private let open = Mutex<(next: Int32, paths: [Int32: String])>((1 << 24, [:]))

    init(_ files: [String: [UInt8]]) {
        self.files = files
    }

    private func file(_ fd: Int32) -> [UInt8]? {
        open.withLock { $0.paths[fd] }.flatMap { files[$0] }
    }

    func open(_ path: String, _ flags: Int32, _ mode: mode_t) throws(Errno) -> Int32 {
        guard files[path] != nil else { return try base.open(path, flags, mode) }
        guard flags & O_ACCMODE == O_RDONLY else { throw Errno(EROFS) }
        return open.withLock { state in
            let fd = state.next
            state.next += 1
            state.paths[fd] = path
            return fd
        }
    }

    func close(_ fd: Int32) throws(Errno) {
        let ours = open.withLock { $0.paths.removeValue(forKey: fd) != nil }
        if !ours { try base.close(fd) }
    }

    func pread(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        guard let bytes = file(fd) else { return try base.pread(fd, into: buffer, at: offset) }
        guard offset >= 0 else { throw Errno(EINVAL) }
        guard offset < Int64(bytes.count) else { return 0 }
        let count = min(buffer.count, bytes.count - Int(offset))
        bytes.withUnsafeBytes { source in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[Int(offset)..<(Int(offset) + count)]))
        }
        return count
    }

    func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        guard file(fd) == nil else { throw Errno(EINVAL) }
        return try base.read(fd, into: buffer)
    }

    func pwrite(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        guard file(fd) == nil else { throw Errno(EBADF) }
        return try base.pwrite(fd, buffer, at: offset)
    }

    func fstat(_ fd: Int32) throws(Errno) -> FileStatus {
        guard let bytes = file(fd) else { return try base.fstat(fd) }
        return FileStatus(size: UInt64(bytes.count), mode: UInt32(S_IFREG) | 0o444, device: 0, inode: UInt64(fd), deviceNumber: 0)
    }
}
