import ByteCodec

extension EROFS {
    /// Inline extended attributes.
    ///
    /// `struct erofs_xattr_ibody_header` (12 bytes): `h_name_filter u32` (newer; 0 = unused),
    /// `h_shared_count u8`, `h_reserved2[7]`, then `h_shared_count` × u32 shared-xattr ids
    /// (this writer shares none). Then entries, each `struct erofs_xattr_entry`:
    /// ```
    /// 0 e_name_len u8   1 e_name_index u8   2 e_value_size u16   4 name   value   pad to 4
    /// ```
    /// The body is `12 + 4 × (i_xattr_icount - 1)` bytes; an inode without xattrs has icount 0
    /// (a header alone is rejected by fsck.erofs).
    enum Xattr {
        static let headerSize = 12
        static let entryHeaderSize = 4

        /// `EROFS_XATTR_INDEX_*` with the prefix each stands for. The two ACL indexes name
        /// the whole attribute (an empty suffix).
        static let prefixes: [(index: UInt8, prefix: [UInt8], wholeName: Bool)] = [
            (1, Array("user.".utf8), false),                        // EROFS_XATTR_INDEX_USER
            (2, Array("system.posix_acl_access".utf8), true),       // ..._POSIX_ACL_ACCESS
            (3, Array("system.posix_acl_default".utf8), true),      // ..._POSIX_ACL_DEFAULT
            (4, Array("trusted.".utf8), false),                     // EROFS_XATTR_INDEX_TRUSTED
            (6, Array("security.".utf8), false),                    // EROFS_XATTR_INDEX_SECURITY
        ]

        /// The index and the name suffix stored for `name`; index 0 keeps the full name.
        static func split(_ name: [UInt8]) -> (index: UInt8, suffix: ArraySlice<UInt8>) {
            for entry in prefixes {
                if entry.wholeName {
                    if name == entry.prefix { return (entry.index, name[name.endIndex...]) }
                } else if name.count > entry.prefix.count, name.starts(with: entry.prefix) {
                    return (entry.index, name[entry.prefix.count...])
                }
            }
            return (0, name[...])
        }

        static func fullName(index: UInt8, suffix: ArraySlice<UInt8>) -> [UInt8]? {
            if index == 0 { return Array(suffix) }
            guard let entry = prefixes.first(where: { $0.index == index }) else { return nil }
            return entry.prefix + suffix
        }

        /// The inline body for `xattrs` sorted bytewise by name, or [] when there are none.
        static func encodeBody(_ xattrs: [String: [UInt8]], path: String) throws(EROFSError) -> [UInt8] {
            guard !xattrs.isEmpty else { return [] }
            let sorted = xattrs.map { (name: Array($0.key.utf8), value: $0.value) }
                .sorted { $0.name.lexicographicallyPrecedes($1.name) }
            var body = [UInt8](repeating: 0, count: headerSize)
            for (name, value) in sorted {
                let text = String(decoding: name, as: UTF8.self)
                guard !name.isEmpty, !name.contains(0) else {
                    throw .xattrNameInvalid(path: path, name: text, reason: "is empty or contains a NUL byte")
                }
                let (index, suffix) = split(name)
                guard suffix.count <= 255 else {
                    throw .xattrNameInvalid(path: path, name: text, reason: "is \(suffix.count) bytes after its prefix; at most 255 fit")
                }
                guard value.count <= Int(UInt16.max) else {
                    throw .xattrTooLarge(path: path, name: text, bytes: value.count, limit: Int(UInt16.max))
                }
                let start = body.count
                body.append(contentsOf: [UInt8(suffix.count), index, 0, 0])
                body.setInteger(UInt16(value.count), at: start + 2, endianness: .little)
                body.append(contentsOf: suffix)
                body.append(contentsOf: value)
                body.append(contentsOf: repeatElement(0, count: EROFS.alignUp(body.count, 4) - body.count))
            }
            // i_xattr_icount is 16 bits; keep the inode and its xattrs within one 64 KiB run too.
            let limit = headerSize + 4 * (Int(UInt16.max) - 1)
            guard body.count <= limit else {
                throw .xattrTooLarge(path: path, name: "(all of them)", bytes: body.count, limit: limit)
            }
            return body
        }

        /// `i_xattr_icount` for a body of `size` bytes.
        static func count(bodySize size: Int) -> UInt16 {
            size == 0 ? 0 : UInt16((size - headerSize) / 4 + 1)
        }

        /// Parses an inline body. Shared xattrs are read from the shared area via `readShared`.
        static func decodeBody(_ body: [UInt8], nid: UInt64, image: String,
                               readShared: (UInt32) throws(EROFSError) -> (name: [UInt8], value: [UInt8]))
            throws(EROFSError) -> [String: [UInt8]] {
            guard body.count >= headerSize else {
                throw .corrupt(path: image, detail: "nid \(nid): xattr body of \(body.count) bytes is shorter than its 12-byte header")
            }
            var result: [String: [UInt8]] = [:]
            let sharedCount = Int(body[4])
            let fields = ByteReader(body, endianness: .little)
            var offset = headerSize
            for _ in 0..<sharedCount {
                let id: UInt32
                do throws(ByteCodecError) { id = try fields.u32(at: offset) } catch {
                    throw .corrupt(path: image, detail: "nid \(nid): \(sharedCount) shared xattr ids do not fit in the xattr body")
                }
                let (name, value) = try readShared(id)
                result[String(decoding: name, as: UTF8.self)] = value
                offset += 4
            }
            while offset < body.count {
                let (name, value, size) = try decodeEntry(body, at: offset, nid: nid, image: image)
                result[String(decoding: name, as: UTF8.self)] = value
                offset += size
            }
            return result
        }

        /// One entry at `offset` of `bytes`: its full name, value and padded size.
        static func decodeEntry(_ bytes: [UInt8], at offset: Int, nid: UInt64, image: String)
            throws(EROFSError) -> (name: [UInt8], value: [UInt8], size: Int) {
            // e_name_len, e_name_index, e_value_size.
            let fields = ByteReader(bytes, endianness: .little)
            let nameLength: Int, index: UInt8, valueSize: Int
            do throws(ByteCodecError) {
                nameLength = Int(try fields.u8(at: offset))
                index = try fields.u8(at: offset + 1)
                valueSize = Int(try fields.u16(at: offset + 2))
            } catch {
                throw .corrupt(path: image, detail: "nid \(nid): xattr entry header runs past the xattr body")
            }
            let end = offset + entryHeaderSize + nameLength + valueSize
            guard end <= bytes.count else {
                throw .corrupt(path: image, detail: "nid \(nid): xattr entry (name \(nameLength) bytes, value \(valueSize)) runs past the xattr body")
            }
            let nameStart = offset + entryHeaderSize
            guard let name = fullName(index: index, suffix: bytes[nameStart..<(nameStart + nameLength)]) else {
                throw .unsupported(path: image, what: "nid \(nid): xattr name index \(index)")
            }
            let value = Array(bytes[(nameStart + nameLength)..<end])
            return (name, value, EROFS.alignUp(end - offset, 4))
        }
    }
}
