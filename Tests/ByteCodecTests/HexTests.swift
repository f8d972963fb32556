import ByteCodec
import Testing

@Suite struct HexTests {
    @Test func roundTripsEveryByte() {
        let bytes = (0...255).map { UInt8($0) }
        let text = Hex.encode(bytes)
        #expect(text.count == 512)
        #expect(text.hasPrefix("000102") && text.hasSuffix("fdfeff"))
        #expect(Hex.decode(text) == bytes)
        #expect(Hex.decode(text.uppercased()) == bytes)
    }

    @Test(arguments: ["0", "abc", "zz", "0g", "é0"])
    func rejectsWhatIsNotHex(_ text: String) {
        #expect(Hex.decode(text) == nil)
    }

    @Test func emptyIsEmpty() {
        #expect(Hex.encode([UInt8]()) == "")
        #expect(Hex.decode("") == [])
    }

    @Test func encodesSlicesAndOtherSequences() {
        let bytes: [UInt8] = [0xde, 0xad, 0xbe, 0xef]
        #expect(Hex.encode(bytes[1..<3]) == "adbe")
        #expect(Hex.encode(bytes.reversed()) == "efbeadde")
    }

    /// The printf forms the call sites used before: `%08x` (GPT CRCs), `%x` (GPT revision),
    /// `%02x` (MBR bytes), `%08X` and `%04x` (PCI ids).
    @Test func encodesIntegersZeroPadded() {
        #expect(Hex.encode(UInt32(0xbadf00d), digits: 8) == "0badf00d")
        #expect(Hex.encode(UInt32(0x0001_0000), digits: 1) == "10000")
        #expect(Hex.encode(UInt8(0x5), digits: 2) == "05")
        #expect(Hex.encode(UInt8(0xee), digits: 2) == "ee")
        #expect(Hex.encode(UInt32(0x1af4), digits: 8, uppercase: true) == "00001AF4")
        #expect(Hex.encode(UInt16(0x10d3), digits: 4) == "10d3")
        #expect(Hex.encode(UInt64.max, digits: 4) == "ffffffffffffffff")
        #expect(Hex.encode(UInt16(0), digits: 0) == "0")
    }
}
