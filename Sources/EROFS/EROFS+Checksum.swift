extension EROFS {
    /// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) without the final inversion, as
    /// the kernel's `crc32c(~0, ...)` computes the superblock checksum
    /// (`EROFS_FEATURE_COMPAT_SB_CHKSUM`: the first block from byte 1024, `checksum` zeroed).
    enum CRC32C {
        static let table: [UInt32] = (0..<256).map { index in
            var crc = UInt32(index)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            return crc
        }

        static func update(_ seed: UInt32, _ bytes: [UInt8]) -> UInt32 {
            var crc = seed
            for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8) }
            return crc
        }

        /// The value `checksum` must hold for the block-0 bytes `block` (from byte 1024 to the
        /// end of the first block).
        static func superBlockChecksum(_ block: [UInt8]) -> UInt32 {
            var copy = block
            for i in 4..<8 where i < copy.count { copy[i] = 0 }
            return update(~0, copy)
        }
    }
}
