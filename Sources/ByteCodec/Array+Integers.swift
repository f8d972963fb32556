/// Writing fixed-width integers into a byte array in an explicit byte order, as swift-nio's
/// `ByteBuffer.writeInteger` / `setInteger` do: appended at the end (a stream such as
/// ld.so.cache), or stored at an offset of a record the encoder has already sized (a GPT
/// header sector, an EROFS inode slot, a verity superblock).
extension Array where Element == UInt8 {
    /// Appends `value`'s `MemoryLayout<T>.size` bytes in `endianness` order. Byte by byte
    /// rather than through a raw buffer: `append(_:)` keeps the array's geometric growth and
    /// measured faster than `append(contentsOf:)` of a 4-byte buffer.
    @inlinable
    public mutating func appendInteger<T: FixedWidthInteger>(_ value: T, endianness: Endianness) {
        let size = MemoryLayout<T>.size
        switch endianness {
        case .little:
            for index in 0..<size { append(UInt8(truncatingIfNeeded: value >> (8 * index))) }
        case .big:
            for index in (0..<size).reversed() { append(UInt8(truncatingIfNeeded: value >> (8 * index))) }
        }
    }

    /// Overwrites the bytes at `offset...` with `value` in `endianness` order.
    ///
    /// The encoder sizes its record before filling it, so a store outside the array is a
    /// programming error and traps, as an array subscript would; it never comes from input.
    @inlinable
    public mutating func setInteger<T: FixedWidthInteger>(_ value: T, at offset: Int, endianness: Endianness) {
        let size = MemoryLayout<T>.size
        precondition(offset >= 0 && size <= count && offset <= count - size,
                     "storing \(size) bytes at offset \(offset) of a \(count)-byte record")
        let ordered = endianness.ordered(value)
        withUnsafeMutableBytes { $0.storeBytes(of: ordered, toByteOffset: offset, as: T.self) }
    }
}
