import ByteCodec
import Testing

@Suite struct ByteReaderTests {
    static let pattern: [UInt8] = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe]

    @Test func readsKnownPatternsInBothOrders() throws {
        let little = ByteReader(Self.pattern, endianness: .little)
        #expect(try little.u8(at: 8) == 0xfe)
        #expect(try little.u16(at: 0) == 0x2301)
        #expect(try little.u32(at: 1) == 0x8967_4523)
        #expect(try little.u64(at: 0) == 0xefcd_ab89_6745_2301)
        let big = ByteReader(Self.pattern, endianness: .big)
        #expect(try big.u16(at: 0) == 0x0123)
        #expect(try big.u32(at: 1) == 0x2345_6789)
        #expect(try big.u64(at: 1) == 0x2345_6789_abcd_effe)
        #expect(try big.integer(at: 7, as: Int16.self) == Int16(bitPattern: 0xeffe))
    }

    @Test func offsetsAreRelativeToTheSlice() throws {
        let reader = ByteReader(Self.pattern[4...], endianness: .little)
        #expect(reader.count == 5)
        #expect(try reader.u32(at: 0) == 0xefcd_ab89)
        #expect(Array(try reader.bytes(at: 3, count: 2)) == [0xef, 0xfe])
        #expect(throws: ByteCodecError.truncated(offset: 2, needed: 4, available: 5)) { try reader.u32(at: 2) }
    }

    @Test func truncationThrowsAndNeverTraps() throws {
        let reader = ByteReader([1, 2, 3], endianness: .little)
        #expect(throws: ByteCodecError.truncated(offset: 0, needed: 4, available: 3)) { try reader.u32(at: 0) }
        #expect(throws: ByteCodecError.truncated(offset: 3, needed: 1, available: 3)) { try reader.u8(at: 3) }
        #expect(throws: ByteCodecError.truncated(offset: -1, needed: 2, available: 3)) { try reader.u16(at: -1) }
        // Offsets near Int's limits must not overflow in the check.
        #expect(throws: ByteCodecError.truncated(offset: .max, needed: 8, available: 3)) { try reader.u64(at: .max) }
        #expect(throws: ByteCodecError.truncated(offset: .min, needed: 8, available: 3)) { try reader.u64(at: .min) }
        #expect(throws: ByteCodecError.truncated(offset: 1, needed: .max, available: 3)) {
            try reader.bytes(at: 1, count: .max)
        }
        #expect(throws: ByteCodecError.truncated(offset: 0, needed: -1, available: 3)) {
            try reader.bytes(at: 0, count: -1)
        }
        let empty = ByteReader([], endianness: .big)
        #expect(throws: ByteCodecError.truncated(offset: 0, needed: 1, available: 0)) { try empty.u8(at: 0) }
        #expect(try empty.bytes(at: 0, count: 0).isEmpty)
    }

    @Test func theCursorMovesOnlyOnSuccess() throws {
        var reader = ByteReader(Self.pattern, endianness: .big)
        #expect(try reader.readInteger(as: UInt16.self) == 0x0123)
        #expect(Array(try reader.readBytes(count: 3)) == [0x45, 0x67, 0x89])
        #expect(reader.readerIndex == 5 && reader.readableBytes == 4)
        #expect(throws: ByteCodecError.truncated(offset: 5, needed: 8, available: 9)) {
            _ = try reader.readInteger(as: UInt64.self)
        }
        #expect(reader.readerIndex == 5)
        try reader.skip(1)
        #expect(try reader.readInteger(as: UInt8.self) == 0xcd)
        #expect(throws: ByteCodecError.truncated(offset: 7, needed: 3, available: 9)) { try reader.skip(3) }
        try reader.moveReaderIndex(to: 9)
        #expect(reader.readableBytes == 0)
        #expect(throws: ByteCodecError.truncated(offset: 10, needed: 0, available: 9)) {
            try reader.moveReaderIndex(to: 10)
        }
    }

    @Test func theErrorSaysWhatWasMissing() {
        let error = ByteCodecError.truncated(offset: 12, needed: 4, available: 14)
        #expect(error.description == "4 bytes at offset 12 were needed, but the buffer has only 14")
    }
}

@Suite struct ByteWriterTests {
    @Test func appendsKnownPatterns() {
        var bytes: [UInt8] = []
        bytes.appendInteger(UInt16(0x0123), endianness: .little)
        bytes.appendInteger(UInt32(0x4567_89ab), endianness: .big)
        bytes.appendInteger(UInt8(0xcd), endianness: .big)
        bytes.appendInteger(Int64(-2), endianness: .little)
        #expect(bytes == [0x23, 0x01, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
    }

    @Test func storesAtOffsetsLeavingTheRestAlone() {
        var bytes = [UInt8](repeating: 0xaa, count: 12)
        bytes.setInteger(UInt32(0xe0f5_e1e2), at: 0, endianness: .little)
        bytes.setInteger(UInt16(0x55aa), at: 5, endianness: .big)
        bytes.setInteger(UInt32(0x1234_5678), at: 8, endianness: .big)
        #expect(bytes == [0xe2, 0xe1, 0xf5, 0xe0, 0xaa, 0x55, 0xaa, 0xaa, 0x12, 0x34, 0x56, 0x78])
    }

    /// Every width, both orders, values with every byte distinct: written, then read back.
    @Test(arguments: [Endianness.little, .big])
    func roundTrips(_ endianness: Endianness) throws {
        var bytes: [UInt8] = [0xff]
        bytes.appendInteger(UInt16(0xbeef), endianness: endianness)
        bytes.appendInteger(UInt32(0xdead_beef), endianness: endianness)
        bytes.appendInteger(UInt64(0x0102_0304_0506_0708), endianness: endianness)
        bytes.appendInteger(Int32.min, endianness: endianness)
        bytes.setInteger(UInt16(0x1234), at: 1, endianness: endianness)
        let reader = ByteReader(bytes, endianness: endianness)
        #expect(try reader.u8(at: 0) == 0xff)
        #expect(try reader.u16(at: 1) == 0x1234)
        #expect(try reader.u32(at: 3) == 0xdead_beef)
        #expect(try reader.u64(at: 7) == 0x0102_0304_0506_0708)
        #expect(try reader.integer(at: 15, as: Int32.self) == .min)
        #expect(reader.count == 19)
    }
}
