import ByteCodec
import DMVerity

/// The verity fuzzer's input: one byte string that holds a hash device, its data and the
/// root hash to check them against, so the fuzzer mutates all three.
///
/// ```
/// 0  hash device length  u32 LE
/// 4  root hash           32 bytes
/// 36 hash device         (length bytes)
///    data                (the rest)
/// ```
/// A length past the end takes what there is, so every input means something.
struct VerityInput {
    var rootHash: [UInt8]
    var hash: [UInt8]
    var data: [UInt8]

    init(rootHash: [UInt8], hash: [UInt8], data: [UInt8]) {
        self.rootHash = rootHash
        self.hash = hash
        self.data = data
    }

    init(_ bytes: [UInt8]) {
        let length = Int((try? ByteReader(bytes, endianness: .little).u32(at: 0)) ?? 0)
        let body = bytes.dropFirst(4)
        rootHash = Array(body.prefix(32))
        let rest = body.dropFirst(32)
        hash = Array(rest.prefix(length))
        data = Array(rest.dropFirst(length))
    }

    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendInteger(UInt32(hash.count), endianness: .little)
        return bytes + rootHash + hash + data
    }

    /// `verify` on the two files, then the same through the stream verifier in odd-sized
    /// chunks; the first error is thrown after both ran.
    func check() throws {
        var first: (any Error)?
        do {
            try DMVerity.verify(
                data: DMVerity.Region(path: "/fuzz/data", offset: 0, length: UInt64(data.count)),
                hash: DMVerity.Region(path: "/fuzz/hash", offset: 0, length: UInt64(hash.count)),
                rootHash: rootHash, parallelism: 1)
        } catch {
            first = error
        }
        do {
            try stream()
        } catch {
            first = first ?? error
        }
        if let first { throw first }
    }

    func stream() throws {
        let verifier = try DMVerity.StreamVerifier(
            rootHash: rootHash, hashName: "the hash stream", hashBytes: UInt64(hash.count),
            dataName: "the data stream", dataBytes: UInt64(data.count))
        let chunk = 4093
        for start in stride(from: 0, to: hash.count, by: chunk) {
            try hash[start..<min(start + chunk, hash.count)].withUnsafeBytes { try verifier.consumeHash($0) }
        }
        try verifier.finishHash()
        for start in stride(from: 0, to: data.count, by: chunk) {
            try data[start..<min(start + chunk, data.count)].withUnsafeBytes { try verifier.consumeData($0) }
        }
        try verifier.finishData()
    }
}
