import ByteCodec

extension EROFS {
    /// Directory data: blocks of `struct erofs_dirent` records followed by their names.
    ///
    /// ```
    /// struct erofs_dirent (12 bytes): 0 nid u64   8 nameoff u16   10 file_type u8   11 reserved u8
    ///
    /// | dirent 0 | dirent 1 | ... | dirent n-1 | name 0 | name 1 | ... | name n-1 | zeros |
    ///   nameoff of dirent 0 = 12 × n (so the count is derived from it); names are not
    ///   NUL-terminated: each ends where the next begins, the last at the first NUL or the
    ///   end of the block (the end of the directory for its final, possibly partial block).
    /// ```
    /// Entries (with `.` and `..`) are sorted bytewise by name across the whole directory,
    /// so the kernel can binary-search; an entry and its name never straddle two blocks.
    enum Directory {
        static let direntSize = 12

        struct Entry {
            var name: [UInt8]
            var nid: UInt64
            var fileType: FileType
        }

        /// Directory size in bytes for names of these lengths (in their sorted order), as
        /// erofs-utils computes it: whole blocks, then the used part of the last block.
        static func size(nameLengths: [Int], blockSize: Int) -> UInt64 {
            var size = 0
            for length in nameLengths {
                let need = length + direntSize
                if size % blockSize + need > blockSize { size = EROFS.alignUp(size, blockSize) }
                size += need
            }
            return UInt64(size)
        }

        /// The directory's data (exactly `size(...)` bytes), block by block.
        static func encode(_ entries: [Entry], blockSize: Int) -> [UInt8] {
            var out: [UInt8] = []
            var start = 0
            var used = 0
            var index = 0
            while index <= entries.count {
                let fits = index < entries.count && used + direntSize + entries[index].name.count <= blockSize
                if fits {
                    used += direntSize + entries[index].name.count
                    index += 1
                    continue
                }
                // Close the block holding entries[start..<index].
                let isLast = index == entries.count
                let blockStart = out.count
                out.append(contentsOf: repeatElement(0, count: isLast ? used : blockSize))
                var nameOffset = direntSize * (index - start)
                for (slot, entry) in entries[start..<index].enumerated() {
                    let at = blockStart + slot * direntSize
                    out.setInteger(entry.nid, at: at, endianness: .little)
                    out.setInteger(UInt16(nameOffset), at: at + 8, endianness: .little)
                    out[at + 10] = entry.fileType.rawValue
                    for (i, byte) in entry.name.enumerated() { out[blockStart + nameOffset + i] = byte }
                    nameOffset += entry.name.count
                }
                if isLast { break }
                start = index
                used = 0
            }
            return out
        }

        /// Parses one directory block of `length` bytes (the block size, or less for the last).
        static func decodeBlock(_ block: [UInt8], nid: UInt64, image: String) throws(EROFSError) -> [Entry] {
            guard block.count >= direntSize else {
                throw .corrupt(path: image, detail: "directory nid \(nid): a block of \(block.count) bytes cannot hold a dirent")
            }
            // Dirent `i`'s fields; every dirent read lies before the first name, inside the block.
            let fields = ByteReader(block, endianness: .little)
            func field<T: FixedWidthInteger>(_ i: Int, at offset: Int, as: T.Type) throws(EROFSError) -> T {
                do throws(ByteCodecError) { return try fields.integer(at: i * direntSize + offset) } catch {
                    throw .corrupt(path: image, detail: "directory nid \(nid): dirent \(i): \(error)")
                }
            }
            let first = Int(try field(0, at: 8, as: UInt16.self))
            guard first >= direntSize, first % direntSize == 0, first < block.count else {
                throw .corrupt(path: image, detail: "directory nid \(nid): first name offset \(first) must be a multiple of 12 within the \(block.count)-byte block")
            }
            let count = first / direntSize
            var entries: [Entry] = []
            entries.reserveCapacity(count)
            for i in 0..<count {
                let at = i * direntSize
                let nameOffset = Int(try field(i, at: 8, as: UInt16.self))
                var nameEnd: Int
                if i + 1 < count {
                    nameEnd = Int(try field(i + 1, at: 8, as: UInt16.self))
                } else {
                    nameEnd = block.count
                    if nameOffset < block.count, let nul = block[nameOffset...].firstIndex(of: 0) { nameEnd = nul }
                }
                guard nameOffset >= first, nameOffset < nameEnd, nameEnd <= block.count,
                      nameEnd - nameOffset <= EROFS.maximumNameLength else {
                    throw .corrupt(path: image, detail: "directory nid \(nid): dirent \(i) has name bytes \(nameOffset)..<\(nameEnd), outside the block or empty or over 255 bytes")
                }
                let type = FileType(rawValue: block[at + 10]) ?? .unknown
                entries.append(Entry(name: Array(block[nameOffset..<nameEnd]),
                                     nid: try field(i, at: 0, as: UInt64.self), fileType: type))
            }
            return entries
        }
    }
}
