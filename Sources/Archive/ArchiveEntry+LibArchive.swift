internal import CArchive

/// Conversion between `ArchiveEntry` and libarchive's `struct archive_entry`.
///
/// The `AE_IF*` file-type macros carry casts Swift cannot import, so their values
/// (the POSIX `S_IF*` bits, which libarchive uses on every platform) are restated here.
enum NativeFileType {
    static let mask: UInt32 = 0o170000
    static let regular: UInt32 = 0o100000
    static let symlink: UInt32 = 0o120000
    static let socket: UInt32 = 0o140000
    static let characterDevice: UInt32 = 0o020000
    static let blockDevice: UInt32 = 0o060000
    static let directory: UInt32 = 0o040000
    static let fifo: UInt32 = 0o010000

    static func bits(for type: ArchiveEntry.FileType) -> UInt32 {
        switch type {
        case .regular, .hardlink: return regular
        case .directory: return directory
        case .symlink: return symlink
        case .characterDevice: return characterDevice
        case .blockDevice: return blockDevice
        case .fifo: return fifo
        case .socket: return socket
        }
    }

    static func type(for bits: UInt32) -> ArchiveEntry.FileType? {
        switch bits & mask {
        case regular: return .regular
        case directory: return .directory
        case symlink: return .symlink
        case characterDevice: return .characterDevice
        case blockDevice: return .blockDevice
        case fifo: return .fifo
        case socket: return .socket
        default: return nil
        }
    }
}

private func string(_ pointer: UnsafePointer<CChar>?) -> String? {
    pointer.map { String(cString: $0) }
}

/// Owner names: an empty ustar field means "no name", the same as an absent one.
private func name(_ pointer: UnsafePointer<CChar>?) -> String? {
    string(pointer).flatMap { $0.isEmpty ? nil : $0 }
}

extension ArchiveEntry {
    /// Read a libarchive entry. Paths are taken as the raw bytes the archive holds (decoded as
    /// UTF-8), not converted through the process locale, so a build in the C locale reads the
    /// same names as one in a UTF-8 locale.
    init(native entry: OpaquePointer) throws {
        let path = string(archive_entry_pathname(entry)) ?? string(archive_entry_pathname_utf8(entry)) ?? ""
        let hardlink = string(archive_entry_hardlink(entry))
        let fileType: FileType
        if hardlink != nil {
            fileType = .hardlink
        } else if let known = NativeFileType.type(for: UInt32(archive_entry_filetype(entry))) {
            fileType = known
        } else if archive_entry_filetype(entry) == 0 {
            // No type bits at all: GNU ar in deterministic mode writes members as mode 644, and
            // old tar typeflag '\0' is a regular file too.
            fileType = .regular
        } else {
            throw ArchiveError.valueOutOfRange(
                path: path, field: "file type",
                value: "0o" + String(UInt32(archive_entry_filetype(entry)), radix: 8),
                allowed: "regular, directory, symlink, hard link, device, fifo or socket")
        }
        func id(_ value: Int64, _ field: String) throws -> UInt32 {
            guard let id = UInt32(exactly: value) else {
                throw ArchiveError.valueOutOfRange(path: path, field: field, value: String(value), allowed: "0...\(UInt32.max)")
            }
            return id
        }
        var xattrs: [ExtendedAttribute] = []
        let count = archive_entry_xattr_reset(entry)
        for _ in 0..<max(count, 0) {
            var name: UnsafePointer<CChar>?
            var value: UnsafeRawPointer?
            var size = 0
            guard archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK, let name else { break }
            let bytes = value.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
            let attribute = ExtendedAttribute(name: String(cString: name), value: bytes)
            // libarchive's pax reader adds an attribute once per header that carries it
            // (LIBARCHIVE.xattr and SCHILY.xattr), so the same name can appear twice.
            if let index = xattrs.firstIndex(where: { $0.name == attribute.name }) {
                xattrs[index] = attribute
            } else {
                xattrs.append(attribute)
            }
        }
        let isDevice = fileType == .characterDevice || fileType == .blockDevice
        self.init(
            path: path, type: fileType, mode: UInt16(truncatingIfNeeded: UInt32(archive_entry_perm(entry)) & 0o7777),
            uid: try id(archive_entry_uid(entry), "uid"), gid: try id(archive_entry_gid(entry), "gid"),
            userName: name(archive_entry_uname(entry)), groupName: name(archive_entry_gname(entry)),
            // cpio stores a symlink's target as its data and reports that as the size; only
            // regular files and hard links (which may carry the shared data) have a size here.
            size: (fileType == .regular || fileType == .hardlink) && archive_entry_size_is_set(entry) != 0
                ? archive_entry_size(entry) : 0,
            mtime: archive_entry_mtime_is_set(entry) != 0
                ? Timestamp(seconds: Int64(archive_entry_mtime(entry)), nanoseconds: Int32(archive_entry_mtime_nsec(entry)))
                : .zero,
            symlinkTarget: fileType == .symlink ? string(archive_entry_symlink(entry)) : nil,
            hardlinkTarget: hardlink,
            deviceMajor: isDevice ? UInt32(truncatingIfNeeded: archive_entry_rdevmajor(entry)) : 0,
            deviceMinor: isDevice ? UInt32(truncatingIfNeeded: archive_entry_rdevminor(entry)) : 0,
            xattrs: xattrs)
    }

    /// Fill a fresh libarchive entry with exactly the fields this value holds. Anything not
    /// set here (atime, ctime, birthtime, dev, ino) stays unset and is not written.
    func fill(native entry: OpaquePointer, inode: Int64?, linkCount: UInt32?) {
        archive_entry_copy_pathname(entry, path)
        archive_entry_set_filetype(entry, NativeFileType.bits(for: type))
        archive_entry_set_perm(entry, mode_t(mode & 0o7777))
        archive_entry_set_uid(entry, Int64(uid))
        archive_entry_set_gid(entry, Int64(gid))
        if let userName { archive_entry_copy_uname(entry, userName) }
        if let groupName { archive_entry_copy_gname(entry, groupName) }
        archive_entry_set_mtime(entry, time_t(mtime.seconds), Int(mtime.nanoseconds))
        archive_entry_set_size(entry, type == .regular ? size : 0)
        switch type {
        case .symlink:
            archive_entry_copy_symlink(entry, symlinkTarget ?? "")
        case .hardlink:
            archive_entry_copy_hardlink(entry, hardlinkTarget ?? "")
        case .characterDevice, .blockDevice:
            archive_entry_set_rdevmajor(entry, dev_t(deviceMajor))
            archive_entry_set_rdevminor(entry, dev_t(deviceMinor))
        case .regular, .directory, .fifo, .socket:
            break
        }
        for attribute in xattrs {
            attribute.value.withUnsafeBytes {
                archive_entry_xattr_add_entry(entry, attribute.name, $0.baseAddress, $0.count)
            }
        }
        if let inode { archive_entry_set_ino64(entry, inode) }
        if let linkCount { archive_entry_set_nlink(entry, linkCount) }
    }
}
