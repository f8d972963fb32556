import Glibc
import Synchronization
import SystemIO

/// A syscall funnel that serves a few files from memory (the fuzzer's input as an image, a
/// bundle, a hash device, a FAT volume) and passes every other call to the real one. The
/// readers run unchanged on top of it (`SystemIO.$calls`), with no disk I/O per input.
///
/// A file may be sparse: `size` beyond its bytes reads as zeros, as a freshly written image
/// does, so a 34 MB FAT32 volume costs only the bytes it holds. One marked writable may be
/// opened O_RDWR and takes `pwrite` inside its size, as a partition does (ENOSPC past its
/// end); the bytes written are kept for later reads of the same funnel.
final class MemoryFiles: SystemCallsForwarding, Sendable {
    struct File: Sendable {
        var bytes: [UInt8]
        var size: Int
        var writable: Bool

        init(_ bytes: [UInt8], size: Int? = nil, writable: Bool = false) {
            self.bytes = bytes
            self.size = max(size ?? bytes.count, bytes.count)
            self.writable = writable
        }
    }

    private struct State {
        var files: [String: File]
        var next: Int32 = 1 << 24
        /// Open descriptors: the path and whether it was opened for writing.
        var open: [Int32: (path: String, writable: Bool)] = [:]
    }

    let base: any SystemCalls = LinuxSystemCalls()
    private let state: Mutex<State>

    convenience init(_ files: [String: [UInt8]]) {
        self.init(files: files.mapValues { File($0) })
    }

    init(files: [String: File]) {
        state = Mutex(State(files: files))
    }

    private func ours(_ fd: Int32) -> Bool {
        state.withLock { $0.open[fd] != nil }
    }

    func open(_ path: String, _ flags: Int32, _ mode: mode_t) throws(Errno) -> Int32 {
        let writing = flags & O_ACCMODE != O_RDONLY
        let result: Result<Int32, Errno>? = state.withLock { state in
            guard let file = state.files[path] else { return nil }
            guard !writing || file.writable else { return .failure(Errno(EROFS)) }
            let fd = state.next
            state.next += 1
            state.open[fd] = (path, writing)
            return .success(fd)
        }
        guard let result else { return try base.open(path, flags, mode) }
        return try result.get()
    }

    func close(_ fd: Int32) throws(Errno) {
        let closed = state.withLock { $0.open.removeValue(forKey: fd) != nil }
        if !closed { try base.close(fd) }
    }

    func pread(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        guard ours(fd) else { return try base.pread(fd, into: buffer, at: offset) }
        guard offset >= 0 else { throw Errno(EINVAL) }
        return state.withLock { state in
            guard let path = state.open[fd]?.path, let file = state.files[path], offset < Int64(file.size) else { return 0 }
            let start = Int(offset)
            let count = min(buffer.count, file.size - start)
            let stored = max(0, min(count, file.bytes.count - start))
            if stored > 0 {
                file.bytes.withUnsafeBytes { source in
                    buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[start..<(start + stored)]))
                }
            }
            if count > stored {
                UnsafeMutableRawBufferPointer(rebasing: buffer[stored..<count]).initializeMemory(as: UInt8.self, repeating: 0)
            }
            return count
        }
    }

    func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        guard !ours(fd) else { throw Errno(EINVAL) }
        return try base.read(fd, into: buffer)
    }

    func pwrite(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        guard ours(fd) else { return try base.pwrite(fd, buffer, at: offset) }
        guard offset >= 0 else { throw Errno(EINVAL) }
        let written: Result<Int, Errno> = state.withLock { state in
            guard let descriptor = state.open[fd], descriptor.writable, var file = state.files[descriptor.path] else {
                return .failure(Errno(EBADF))
            }
            let path = descriptor.path
            guard offset < Int64(file.size) else { return .failure(Errno(ENOSPC)) }
            let start = Int(offset)
            let count = min(buffer.count, file.size - start)
            state.files[path] = nil  // so `file` holds the only reference and grows in place
            if file.bytes.count < start + count {
                file.bytes += repeatElement(0, count: start + count - file.bytes.count)
            }
            file.bytes.replaceSubrange(start..<(start + count), with: buffer[0..<count])
            state.files[path] = file
            return .success(count)
        }
        return try written.get()
    }

    func fsync(_ fd: Int32) throws(Errno) {
        guard !ours(fd) else { return }
        try base.fsync(fd)
    }

    func fstat(_ fd: Int32) throws(Errno) -> FileStatus {
        let file: File? = state.withLock { state in state.open[fd].flatMap { state.files[$0.path] } }
        guard let file else { return try base.fstat(fd) }
        let mode = UInt32(S_IFREG) | (file.writable ? 0o644 : 0o444)
        return FileStatus(size: UInt64(file.size), mode: mode, device: 0, inode: UInt64(fd), deviceNumber: 0)
    }
}
