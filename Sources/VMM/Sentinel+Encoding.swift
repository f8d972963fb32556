import ByteCodec
import Crypto

/// The sentinel on disk, little-endian, field by field:
///
/// ```
/// offset  size  field
///      0     8  magic "HIMGSNTL"
///      8     4  format version (1)
///     12     4  length of the whole file in bytes, this checksum included
///     16     …  string transaction id
///               string region size, string region offset   (memmap=SIZE!OFFSET)
///               u32 VM count, then per VM:
///                 string name
///                 u32 argc, then argc × string
///                 string state file path, u64 its size, 32 bytes its SHA-256
///                 u32 RAM file count, then per file:
///                   string path, u64 size, u32 page size, u32 pages sampled,
///                   32 bytes SHA-256 of the sample
/// len-32    32  SHA-256 of bytes 0 ..< len-32
///
/// string = u32 byte count, then that many bytes of UTF-8
/// ```
///
/// The frame (magic, version, length, trailing SHA-256) stays the same in every version, so
/// a reader checks the length and the checksum before it looks at the version.
extension Sentinel {
    /// A sentinel larger than this is refused before it is parsed (a few KiB per VM is usual).
    static let maximumSize = 16 << 20
    /// Bytes before the fields: magic, version, length.
    static let headerSize = 16
    /// The trailing SHA-256.
    static let checksumSize = 32

    /// The bytes `write` puts on disk.
    public func encoded() throws(SentinelError) -> [UInt8] {
        var out = Self.magic
        out.appendInteger(Self.formatVersion, endianness: .little)
        out.appendInteger(UInt32(0), endianness: .little)
        Self.append(transaction, to: &out)
        Self.append(region.size, to: &out)
        Self.append(region.offset, to: &out)
        out.appendInteger(UInt32(vms.count), endianness: .little)
        for vm in vms {
            Self.append(vm.name, to: &out)
            out.appendInteger(UInt32(vm.argv.count), endianness: .little)
            for word in vm.argv { Self.append(word, to: &out) }
            Self.append(vm.state.path, to: &out)
            out.appendInteger(vm.state.size, endianness: .little)
            out += vm.state.sha256
            out.appendInteger(UInt32(vm.ram.count), endianness: .little)
            for sample in vm.ram {
                Self.append(sample.path, to: &out)
                out.appendInteger(sample.size, endianness: .little)
                out.appendInteger(sample.pageSize, endianness: .little)
                out.appendInteger(sample.pages, endianness: .little)
                out += sample.sha256
            }
        }
        out.setInteger(UInt32(out.count + Self.checksumSize), at: 12, endianness: .little)
        do {
            out += try SHA256.hash(out)
        } catch {
            throw .write(path: "(memory)", reason: "SHA-256 of the sentinel: \(error)")
        }
        return out
    }

    static func append(_ text: String, to out: inout [UInt8]) {
        let bytes = Array(text.utf8)
        out.appendInteger(UInt32(bytes.count), endianness: .little)
        out += bytes
    }

    /// Reads a sentinel from `bytes` (the file at `path`, named in errors): frame first, then
    /// the fields.
    public static func decode(_ bytes: [UInt8], path: String) throws(SentinelError) -> Sentinel {
        let count = UInt64(bytes.count)
        guard bytes.count >= magic.count else {
            throw Array(magic.prefix(bytes.count)) == bytes ? .truncated(path: path, actual: count) : .badMagic(path: path)
        }
        guard Array(bytes.prefix(magic.count)) == magic else { throw .badMagic(path: path) }
        guard bytes.count >= headerSize + checksumSize else { throw .truncated(path: path, actual: count) }
        let frame = ByteReader(bytes, endianness: .little)
        let recorded = UInt64((try? frame.u32(at: 12)) ?? 0)
        guard recorded == count else { throw .lengthMismatch(path: path, recorded: recorded, actual: count) }
        let body = Array(bytes[..<(bytes.count - checksumSize)])
        guard let sum = try? SHA256.hash(body), sum == Array(bytes[body.count...]) else { throw .checksumMismatch(path: path) }
        let version = (try? frame.u32(at: 8)) ?? 0
        guard version == formatVersion else { throw .unsupportedVersion(path: path, version: version) }
        do {
            return try fields(of: body)
        } catch {
            throw .malformed(path: path, detail: "\(error)")
        }
    }

    /// The fields after the header, up to the checksum.
    static func fields(of body: [UInt8]) throws -> Sentinel {
        var reader = ByteReader(body, endianness: .little)
        try reader.skip(headerSize)
        let transaction = try string(&reader)
        let region = Region(size: try string(&reader), offset: try string(&reader))
        var vms: [VM] = []
        for _ in 0..<(try count(&reader, each: 4)) {
            let name = try string(&reader)
            var argv: [String] = []
            for _ in 0..<(try count(&reader, each: 4)) { argv.append(try string(&reader)) }
            let state = FileDigest(path: try string(&reader), size: try reader.readInteger(), sha256: Array(try reader.readBytes(count: 32)))
            var ram: [RAMSample] = []
            for _ in 0..<(try count(&reader, each: 52)) {
                ram.append(RAMSample(
                    path: try string(&reader), size: try reader.readInteger(), pageSize: try reader.readInteger(),
                    pages: try reader.readInteger(), sha256: Array(try reader.readBytes(count: 32))))
            }
            vms.append(VM(name: name, argv: argv, state: state, ram: ram))
        }
        guard reader.readableBytes == 0 else { throw FieldError(description: "\(reader.readableBytes) bytes after the last VM") }
        return Sentinel(transaction: transaction, region: region, vms: vms)
    }

    /// A u32 count of items of at least `each` bytes, refused when the rest cannot hold them.
    static func count(_ reader: inout ByteReader, each: Int) throws -> Int {
        let value = Int(try reader.readInteger(as: UInt32.self))
        guard value <= reader.readableBytes / each else {
            throw FieldError(description: "a count of \(value) at offset \(reader.readerIndex - 4) exceeds the \(reader.readableBytes) bytes left")
        }
        return value
    }

    static func string(_ reader: inout ByteReader) throws -> String {
        let length = Int(try reader.readInteger(as: UInt32.self))
        let bytes = try reader.readBytes(count: length)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw FieldError(description: "the string at offset \(reader.readerIndex - length) is not UTF-8")
        }
        return text
    }
}

/// A field that does not parse, for `SentinelError.malformed`.
struct FieldError: Error, CustomStringConvertible {
    var description: String
}
