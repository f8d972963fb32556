import ByteCodec

/// The FAT fuzzer's input: a volume file's size and its first bytes, the rest of the file
/// reading as zeros (`MemoryFiles` serves it sparse, as the writer leaves free clusters
/// unwritten), so a FAT32 volume, 34 MB at the least, fits in the few hundred KB that are
/// not zero, and the fuzzer mutates the file's size with its contents.
///
/// ```
/// 0  file size    u32 LE, bytes; at most `maximumSize` (a larger one is cut to it)
/// 4  file bytes   the file's first bytes (those past the size are dropped)
/// ```
/// A short input is an empty file, so every input means something.
struct FATInput {
    /// 48 MiB: room for the FAT32 seed (34 MiB) and bounded work per input (a FAT of at most
    /// 384 KiB, a file of at most 48 MiB).
    static let maximumSize = 48 << 20

    var size: Int
    var bytes: [UInt8]

    init(_ input: [UInt8]) {
        let declared = (try? ByteReader(input, endianness: .little).u32(at: 0)).map { Int($0) } ?? 0
        size = min(declared, Self.maximumSize)
        bytes = Array(input.dropFirst(4).prefix(size))
    }

    /// A whole volume file, without its trailing zeros.
    init(volume: [UInt8]) {
        size = volume.count
        bytes = Array(volume[..<((volume.lastIndex { $0 != 0 } ?? -1) + 1)])
    }

    func encoded() -> [UInt8] {
        var header: [UInt8] = []
        header.appendInteger(UInt32(size), endianness: .little)
        return header + bytes
    }
}
