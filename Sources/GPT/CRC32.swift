/// CRC-32 as IEEE 802.3 / zlib / UEFI define it: reflected polynomial 0xEDB88320, initial value
/// 0xFFFFFFFF, final XOR 0xFFFFFFFF. "123456789" gives 0xCBF43926.
///
/// The GPT header and the partition entry array each carry one (UEFI 2.10 §5.3.2,
/// `HeaderCRC32` and `PartitionEntryArrayCRC32`).
enum CRC32 {
    /// One entry per byte value: the remainder after shifting that byte through the register.
    static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 {
            value = (value & 1) != 0 ? (value >> 1) ^ 0xEDB8_8320 : value >> 1
        }
        return value
    }

    static func checksum<C: Collection>(_ bytes: C) -> UInt32 where C.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
        }
        return crc ^ 0xFFFF_FFFF
    }
}
