#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Configure {
    /// MD5 (RFC 1321), only for dpkg's conffile hashes — dpkg's format, not a security use.
    enum MD5 {
        private static let shifts: [UInt32] = [7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                                               5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20, 5, 9, 14, 20,
                                               4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                                               6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21]
        /// K[i] = floor(abs(sin(i + 1)) * 2^32).
        private static let constants: [UInt32] = (0..<64).map { UInt32(truncatingIfNeeded: Int64(abs(sin(Double($0 + 1))) * 4_294_967_296)) }

        static func digest(_ message: [UInt8]) -> [UInt8] {
            var bytes = message
            let bitLength = UInt64(message.count) &* 8
            bytes.append(0x80)
            while bytes.count % 64 != 56 { bytes.append(0) }
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
            var a0: UInt32 = 0x6745_2301, b0: UInt32 = 0xefcd_ab89, c0: UInt32 = 0x98ba_dcfe, d0: UInt32 = 0x1032_5476
            for chunk in stride(from: 0, to: bytes.count, by: 64) {
                let m: [UInt32] = (0..<16).map { i in
                    (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[chunk + 4 * i + $1]) << (8 * UInt32($1)) }
                }
                var a = a0, b = b0, c = c0, d = d0
                for i in 0..<64 {
                    var f: UInt32
                    let g: Int
                    switch i {
                    case 0..<16: f = (b & c) | (~b & d); g = i
                    case 16..<32: f = (d & b) | (~d & c); g = (5 * i + 1) % 16
                    case 32..<48: f = b ^ c ^ d; g = (3 * i + 5) % 16
                    default: f = c ^ (b | ~d); g = (7 * i) % 16
                    }
                    f = f &+ a &+ constants[i] &+ m[g]
                    a = d
                    d = c
                    c = b
                    b = b &+ (f << shifts[i] | f >> (32 - shifts[i]))
                }
                a0 = a0 &+ a
                b0 = b0 &+ b
                c0 = c0 &+ c
                d0 = d0 &+ d
            }
            var out: [UInt8] = []
            for word in [a0, b0, c0, d0] { for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: word >> UInt32(shift))) } }
            return out
        }

        static func hex(_ message: [UInt8]) -> String {
            let digits = Array("0123456789abcdef".utf8)
            var out: [UInt8] = []
            for byte in digest(message) { out.append(digits[Int(byte >> 4)]); out.append(digits[Int(byte & 15)]) }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
