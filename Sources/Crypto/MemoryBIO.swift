internal import COpenSSL

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

    /// A BIO reading a file; OpenSSL reports a missing file with the system error text.
    init(readingFile path: String) throws {
        pointer = try openSSLCheck(BIO_new_file(path, "rb"), "open \(path)")
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
