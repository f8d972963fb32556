/// Reads fixed-width integers and byte runs from a byte buffer in one byte order, either at
/// an offset (a record's fields at their documented positions) or from a cursor that moves
/// forward (a stream of variable-length entries), as swift-nio's `ByteBuffer` offers
/// `getInteger(at:)` and `readInteger()`.
///
/// The byte order is fixed when the reader is made: it is a property of the format (or, for
/// ELF, of the object being read), not of each field. Offsets run from 0 to `count` whatever
/// slice the reader was made from. Every access checks its range without overflowing, for
/// any `Int` offset, so offsets taken from untrusted input can be passed as they are; a range
/// past the end throws `ByteCodecError.truncated`.
///
/// The reader shares the buffer's storage (no copy) and the accessors are inlinable, so a
/// field read compiles to a bounds check and one unaligned load.
public struct ByteReader: Sendable {
    @usableFromInline let storage: ArraySlice<UInt8>
    @usableFromInline var cursor: Int
    /// The order multi-byte integers are read in.
    public let endianness: Endianness

    @inlinable
    public init(_ bytes: [UInt8], endianness: Endianness) {
        self.init(bytes[...], endianness: endianness)
    }

    @inlinable
    public init(_ bytes: ArraySlice<UInt8>, endianness: Endianness) {
        storage = bytes
        cursor = 0
        self.endianness = endianness
    }

    /// Bytes in the buffer.
    @inlinable public var count: Int { storage.count }

    /// Where the next `read...` call starts (0 at first).
    @inlinable public var readerIndex: Int { cursor }

    /// Bytes from the cursor to the end.
    @inlinable public var readableBytes: Int { storage.count - cursor }

    // MARK: At an offset

    /// The integer of `T`'s width at `offset`.
    @inlinable
    public func integer<T: FixedWidthInteger>(at offset: Int, as: T.Type = T.self) throws(ByteCodecError) -> T {
        try checkRange(offset, MemoryLayout<T>.size)
        let raw = storage.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
        return endianness.ordered(raw)
    }

    @inlinable
    public func u8(at offset: Int) throws(ByteCodecError) -> UInt8 { try integer(at: offset) }

    @inlinable
    public func u16(at offset: Int) throws(ByteCodecError) -> UInt16 { try integer(at: offset) }

    @inlinable
    public func u32(at offset: Int) throws(ByteCodecError) -> UInt32 { try integer(at: offset) }

    @inlinable
    public func u64(at offset: Int) throws(ByteCodecError) -> UInt64 { try integer(at: offset) }

    /// `count` bytes from `offset`, sharing the buffer's storage. The slice keeps the indices
    /// of the underlying array: use `Array(_:)` or its `startIndex`, not 0.
    @inlinable
    public func bytes(at offset: Int, count: Int) throws(ByteCodecError) -> ArraySlice<UInt8> {
        try checkRange(offset, count)
        let start = storage.startIndex + offset
        return storage[start..<(start + count)]
    }

    // MARK: From the cursor

    /// The integer of `T`'s width at the cursor; the cursor moves past it.
    @inlinable
    public mutating func readInteger<T: FixedWidthInteger>(as: T.Type = T.self) throws(ByteCodecError) -> T {
        let value: T = try integer(at: cursor)
        cursor += MemoryLayout<T>.size
        return value
    }

    /// `count` bytes at the cursor (see `bytes(at:count:)`); the cursor moves past them.
    @inlinable
    public mutating func readBytes(count: Int) throws(ByteCodecError) -> ArraySlice<UInt8> {
        let run = try bytes(at: cursor, count: count)
        cursor += count
        return run
    }

    /// Moves the cursor to `offset` (at most `count`, the end).
    @inlinable
    public mutating func moveReaderIndex(to offset: Int) throws(ByteCodecError) {
        try checkRange(offset, 0)
        cursor = offset
    }

    /// Moves the cursor `count` bytes forward without reading them.
    @inlinable
    public mutating func skip(_ count: Int) throws(ByteCodecError) {
        try checkRange(cursor, count)
        cursor += count
    }

    // MARK: Range checks

    /// `offset..<offset + length` lies within the buffer. Written so that no intermediate value
    /// can overflow: `count - length` is computed only once `0 <= length <= count`.
    @inlinable
    func checkRange(_ offset: Int, _ length: Int) throws(ByteCodecError) {
        let available = storage.count
        guard offset >= 0, length >= 0, length <= available, offset <= available - length else {
            throw .truncated(offset: offset, needed: length, available: available)
        }
    }
}
