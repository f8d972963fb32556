/// The one byte codec of the package: fixed-width integers in an explicit byte order, read
/// from and written into byte buffers, and lowercase hexadecimal (`Hex`). Every on-disk
/// format module (GPT, EROFS, dm-verity, ELF, ld.so.cache) encodes and decodes its records
/// field by field through it, never by copying struct memory; only the primitives live here,
/// each record's layout stays in its own module.
///
/// The same value in the two byte orders, as `setInteger(_:at:endianness:)` stores it and
/// `ByteReader` reads it back:
///
/// ```
///                    offset  +0   +1   +2   +3
/// 0x1234_5678 little         78   56   34   12   (GPT, EROFS, verity_sb, ld.so.cache, x86-64 ELF)
/// 0x1234_5678 big            12   34   56   78   (ELFDATA2MSB objects)
/// ```
///
/// Reads are bounds-checked and throw `ByteCodecError.truncated`, never trap, because the
/// buffers come from files that may be truncated or hostile. No Foundation: the initrd's
/// `/init` links this module with the static Swift stdlib alone.
public enum Endianness: Sendable, Hashable {
    /// Least significant byte first.
    case little
    /// Most significant byte first ("network order").
    case big
}

/// Why a read could not be served. The offsets are the reader's own (0 is the first byte of
/// the buffer it was made from), so a format module adds where that buffer sits in its file
/// when it turns this into its own error.
public enum ByteCodecError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `needed` bytes at `offset` were asked for, but the buffer holds only `available`.
    case truncated(offset: Int, needed: Int, available: Int)

    public var description: String {
        switch self {
        case let .truncated(offset, needed, available):
            return "\(needed) bytes at offset \(offset) were needed, but the buffer has only \(available)"
        }
    }
}

extension Endianness {
    /// `value` with its bytes in this order in memory, ready for a raw store or after a raw load.
    @inlinable
    func ordered<T: FixedWidthInteger>(_ value: T) -> T {
        self == .little ? value.littleEndian : value.bigEndian
    }
}
