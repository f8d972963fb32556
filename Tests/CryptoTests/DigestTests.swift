import ByteCodec
import Crypto
import Testing

@Suite struct SHA256Tests {
    @Test func knownVectors() throws {
        // FIPS 180-2 appendix B.1 and the empty message.
        #expect(try SHA256.hexDigest(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(try SHA256.hexDigest([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func millionAsInUnevenChunks() throws {
        // FIPS 180-2 appendix B.3: one million 'a', fed in chunks that do not align to blocks.
        var hasher = try SHA256()
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 999)
        var fed = 0
        while fed < 1_000_000 {
            let size = min(chunk.count, 1_000_000 - fed)
            try hasher.update(Array(chunk[..<size]))
            fed += size
        }
        #expect(Hex.encode(try hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func incrementalEqualsOneShot() throws {
        let message = Array("The quick brown fox jumps over the lazy dog".utf8)
        var hasher = try SHA256()
        try hasher.update(Array(message[..<10]))
        try hasher.update([])
        try hasher.update(Array(message[10...]))
        #expect(try hasher.finalize() == SHA256.hash(message))
    }
}

@Suite struct HMACTests {
    @Test func rfc4231TestCase2() throws {
        let code = try HMACSHA256.authenticationCode(
            for: Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8))
        #expect(Hex.encode(code) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func rfc4231TestCase6LongKey() throws {
        // A key longer than the block size is hashed first (RFC 2104 section 2).
        let code = try HMACSHA256.authenticationCode(
            for: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            key: [UInt8](repeating: 0xaa, count: 131))
        #expect(Hex.encode(code) == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func validationIsExact() throws {
        let key = Array("Jefe".utf8)
        let message = Array("what do ya want for nothing?".utf8)
        var code = try HMACSHA256.authenticationCode(for: message, key: key)
        #expect(try HMACSHA256.isValid(code, for: message, key: key))
        code[31] ^= 1
        #expect(try !HMACSHA256.isValid(code, for: message, key: key))
        #expect(try !HMACSHA256.isValid(Array(code.prefix(16)), for: message, key: key))
    }
}

@Suite("MD5 (dpkg's md5sums)")
struct MD5Tests {
    @Test func knownVectors() throws {
        #expect(try MD5.hexDigest([]) == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(try MD5.hexDigest(Array("The quick brown fox jumps over the lazy dog".utf8)) == "9e107d9d372bb6826bd81d3542a419d6")
        #expect(try MD5.hexDigest([UInt8](repeating: 0x61, count: 1000)) == "cabe45dcc9ae5b66ba86600cca6b8ba8")
    }
}
