internal import COpenSSL
import SystemIO

/// An OpenSSL memory BIO owned by one Swift value: the way bytes go into and out of the
/// PEM/DER and PKCS#7 functions without touching the file system.
///
/// Input is copied into the BIO (`BIO_new_mem_buf` would only borrow the Swift array's
/// storage, which is not guaranteed to outlive the call).
struct MemoryBIO: ~Copyable {
    let pointer: OpaquePointer

    /// An empty, writable BIO.
    init() throws {
        pointer = try openSSLCheck(BIO_new(BIO_s_mem()), "create a memory buffer")
    }

    /// A BIO holding a copy of `bytes`, ready to be read.
    init(_ bytes: [UInt8]) throws {
        let bio = try openSSLCheck(BIO_new(BIO_s_mem()), "create a memory buffer")
        let written = bytes.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32($0.count)) }
        guard written == Int32(bytes.count) || bytes.isEmpty else {
            BIO_free(bio)
            throw CryptoError.openSSL(operation: "copy \(bytes.count) bytes into a memory buffer", reasons: drainOpenSSLErrors())
        }
        pointer = bio
    }

    /// A BIO holding a key or certificate file's bytes. The file is read through SystemIO's
    /// reader open: a FIFO, socket or directory is refused instead of blocking (a key path is
    /// input, like an image), and at most `limit` bytes are read.
    init(readingFile path: String, limit: Int = 1 << 20) throws {
        let bytes: [UInt8]
        do {
            let file = try SystemIO.File.openForReading(path, kind: .regularFile)
            bytes = try file.readToEnd(limit: limit + 1)
        } catch {
            throw CryptoError.invalidArgument("\(error)")
        }
        guard bytes.count <= limit else {
            throw CryptoError.invalidArgument("\(path) is larger than \(limit) bytes; a PEM key or certificate is a few KiB")
        }
        try self.init(bytes)
    }

    /// Everything written to the BIO so far.
    func contents() -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { BIO_read(pointer, $0.baseAddress, Int32($0.count)) }
            if count <= 0 { break }
            result.append(contentsOf: chunk[..<Int(count)])
        }
        return result
    }

    deinit { BIO_free(pointer) }
}
