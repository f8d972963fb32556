import ByteCodec
import Foundation

extension ELF {
    /// Where an object's bytes come from: a buffer already in memory, or a file read piece by
    /// piece. The parser asks only for the ranges it needs.
    public protocol ByteSource {
        /// Total size in bytes.
        var size: UInt64 { get }
        /// Exactly `count` bytes at `offset`, or `ParseError.truncated` naming `what`.
        func read(at offset: UInt64, count: Int, what: String) throws(ParseError) -> [UInt8]
    }

    /// Bytes in memory (a whole file, or only its first bytes for a quick header check).
    public struct BufferSource: ByteSource, Sendable {
        public let bytes: [UInt8]
        public init(_ bytes: [UInt8]) { self.bytes = bytes }

        public var size: UInt64 { UInt64(bytes.count) }

        public func read(at offset: UInt64, count: Int, what: String) throws(ParseError) -> [UInt8] {
            try ELF.checkRange(offset: offset, count: count, size: size, what: what)
            let start = Int(offset)
            return Array(bytes[start..<(start + count)])
        }
    }

    /// A file read lazily with positioned reads; the handle closes when the source is released.
    public final class FileSource: ByteSource {
        public let path: String
        public let size: UInt64
        private let handle: FileHandle

        public init(path: String) throws(ParseError) {
            self.path = path
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw .io(path: path, message: "cannot open for reading")
            }
            do {
                size = try handle.seekToEnd()
            } catch {
                try? handle.close()
                throw .io(path: path, message: "cannot find the file size: \(error.localizedDescription)")
            }
            self.handle = handle
        }

        public func read(at offset: UInt64, count: Int, what: String) throws(ParseError) -> [UInt8] {
            try ELF.checkRange(offset: offset, count: count, size: size, what: what)
            if count == 0 { return [] }
            do {
                try handle.seek(toOffset: offset)
                let data = try handle.read(upToCount: count) ?? Data()
                guard data.count == count else {
                    throw ParseError.truncated(what: what, offset: offset, needed: UInt64(count), fileSize: size)
                }
                return [UInt8](data)
            } catch let error as ParseError {
                throw error
            } catch {
                throw .io(path: path, message: "read of \(count) bytes at \(offset) failed: \(error.localizedDescription)")
            }
        }

        deinit { try? handle.close() }
    }

    /// `offset + count <= size`, computed without overflow.
    static func checkRange(offset: UInt64, count: Int, size: UInt64, what: String) throws(ParseError) {
        guard count >= 0 else { throw .tooLarge(what: what, value: 0, limit: 0) }
        let (end, overflow) = offset.addingReportingOverflow(UInt64(count))
        guard !overflow, end <= size else {
            throw .truncated(what: what, offset: offset, needed: UInt64(count), fileSize: size)
        }
    }

    /// Decodes fixed-width integers from a record's bytes in the object's byte order, through
    /// the package's one codec. Every access is bounds-checked; a field past the end is a
    /// `truncated` error naming the record and its place in the file, not a trap.
    struct FieldReader {
        let fields: ByteReader
        let elfClass: Class
        /// For error messages: what record this is and where it sits in the file.
        let what: String
        let fileOffset: UInt64

        init(bytes: [UInt8], endianness: Endianness, elfClass: Class, what: String, fileOffset: UInt64) {
            fields = ByteReader(bytes, endianness: endianness == .little ? .little : .big)
            self.elfClass = elfClass
            self.what = what
            self.fileOffset = fileOffset
        }

        func u8(_ at: Int) throws(ParseError) -> UInt8 {
            try integer(at)
        }

        func u16(_ at: Int) throws(ParseError) -> UInt16 {
            try integer(at)
        }

        func u32(_ at: Int) throws(ParseError) -> UInt32 {
            try integer(at)
        }

        func u64(_ at: Int) throws(ParseError) -> UInt64 {
            try integer(at)
        }

        /// An address, offset or size: 4 bytes in ELF32, 8 in ELF64 (Elf32_Addr / Elf64_Addr...).
        func word(_ at: Int) throws(ParseError) -> UInt64 {
            elfClass == .elf32 ? UInt64(try u32(at)) : try u64(at)
        }

        private func integer<T: FixedWidthInteger & UnsignedInteger>(_ at: Int) throws(ParseError) -> T {
            do throws(ByteCodecError) {
                return try fields.integer(at: at)
            } catch {
                switch error {
                case let .truncated(offset, needed, available):
                    throw .truncated(what: what, offset: fileOffset &+ UInt64(max(offset, 0)),
                                     needed: UInt64(needed), fileSize: fileOffset &+ UInt64(available))
                }
            }
        }
    }
}
