extension EROFS {
    /// `value` rounded up to a multiple of `alignment` (erofs-utils `round_up`): inode slots,
    /// directory blocks and xattr entries all start on such boundaries.
    static func alignUp(_ value: Int, _ alignment: Int) -> Int {
        (value + alignment - 1) / alignment * alignment
    }

    static func alignUp(_ value: UInt64, _ alignment: UInt64) -> UInt64 {
        (value + alignment - 1) / alignment * alignment
    }
}
