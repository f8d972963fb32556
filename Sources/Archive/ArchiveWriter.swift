internal import CArchive

/// Writes archives with libarchive, deterministically.
///
/// The image build writes tar payloads and the initrd (cpio "newc", which the kernel's
/// initramfs unpacker reads, compressed with zstd). Reproducible images need the same
/// entries to give the same bytes, so the writer:
/// - writes only the fields an `ArchiveEntry` holds (no atime/ctime/birthtime, no host user
///   or group lookups);
/// - numbers cpio inodes 1, 2, 3... in entry order instead of taking them from a file system;
/// - writes pax extended attributes once, as `SCHILY.xattr` (what GNU tar also reads),
///   instead of libarchive's default of writing them twice;
/// - leaves the timestamp out of the gzip header;
/// - pads the last block the same way for file and memory output.
///
/// Call sequence: `writeHeader`, then `writeData` until the entry's declared size is
/// reached, repeat, then `finish()`. Mistakes libarchive would paper over (too little or too
/// much data for an entry) are errors.
public final class ArchiveWriter {
    public enum Format: String, Sendable, Hashable {
        /// pax, but a plain ustar header whenever pax extensions are not needed. libarchive
        /// then keeps whole seconds of `mtime` unless the entry needs a pax header anyway
        /// (long path, xattrs, large ids): the usual choice for reproducible root file systems.
        case paxRestricted
        /// pax with an extended header for every entry; keeps nanoseconds of `mtime`.
        case pax
        case gnutar
        case ustar
        /// The SVR4 "newc" cpio format of the Linux initramfs.
        case cpioNewc

        var storesExtendedAttributes: Bool { self == .pax || self == .paxRestricted }
    }

    public enum Filter: Sendable, Hashable {
        case none
        case gzip
        case xz
        /// zstd at the given level (1...22).
        case zstd(level: Int)
    }

    private let handle: ArchiveHandle
    public let format: Format
    /// Where the output goes, for error messages.
    public let destination: String
    private let memory: MemorySink?
    private var current: (path: String, declared: Int64, written: Int64)?
    private var nextInode: Int64 = 1
    private var finished = false
    /// Non-fatal problems libarchive reported.
    public private(set) var warnings: [String] = []

    private init(format: Format, filter: Filter, destination: String, memory: MemorySink?) throws {
        handle = try ArchiveHandle(.write)
        self.format = format
        self.destination = destination
        self.memory = memory
        let archive = handle.pointer
        let setFormat: Int32
        switch format {
        case .paxRestricted: setFormat = archive_write_set_format_pax_restricted(archive)
        case .pax: setFormat = archive_write_set_format_pax(archive)
        case .gnutar: setFormat = archive_write_set_format_gnutar(archive)
        case .ustar: setFormat = archive_write_set_format_ustar(archive)
        case .cpioNewc: setFormat = archive_write_set_format_cpio_newc(archive)
        }
        try handle.check(setFormat, "select the \(format.rawValue) format", strict: true)
        if format.storesExtendedAttributes {
            try handle.check(
                archive_write_set_format_option(archive, "pax", "xattrheader", "SCHILY"),
                "select SCHILY.xattr headers", strict: true)
        }
        switch filter {
        case .none:
            break
        case .gzip:
            try handle.check(archive_write_add_filter_gzip(archive), "add gzip compression", strict: true)
            // A NULL value is libarchive's "!timestamp": do not store the current time.
            try handle.check(
                archive_write_set_filter_option(archive, "gzip", "timestamp", nil),
                "leave the timestamp out of the gzip header", strict: true)
        case .xz:
            try handle.check(archive_write_add_filter_xz(archive), "add xz compression", strict: true)
        case .zstd(let level):
            guard (1...22).contains(level) else {
                throw ArchiveError.valueOutOfRange(
                    path: destination, field: "zstd level", value: String(level), allowed: "1...22")
            }
            try handle.check(archive_write_add_filter_zstd(archive), "add zstd compression", strict: true)
            try handle.check(
                archive_write_set_filter_option(archive, "zstd", "compression-level", String(level)),
                "set zstd level \(level)", strict: true)
        }
        // Pad only to a whole byte: a regular file and memory output then get the same bytes
        // (libarchive otherwise pads memory output to a full 10240-byte block).
        try handle.check(archive_write_set_bytes_in_last_block(archive, 1), "set the last block size", strict: true)
    }

    /// Write an archive to a file, replacing it.
    public convenience init(path: String, format: Format, filter: Filter = .none) throws {
        try self.init(format: format, filter: filter, destination: path, memory: nil)
        try record(handle.check(archive_write_open_filename(handle.pointer, path), "create \(path)"))
    }

    /// Write an archive into memory; the result is in `bytes` after `finish()`.
    public convenience init(format: Format, filter: Filter = .none) throws {
        let sink = MemorySink()
        try self.init(format: format, filter: filter, destination: "memory", memory: sink)
        let status = archive_write_open(
            handle.pointer, Unmanaged.passUnretained(sink).toOpaque(), nil,
            { _, clientData, buffer, length in
                guard let clientData else { return -1 }
                let sink = Unmanaged<MemorySink>.fromOpaque(clientData).takeUnretainedValue()
                if let buffer { sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: length)) }
                return length
            }, nil)
        try record(handle.check(status, "open the in-memory archive"))
    }

    /// The archive written so far when writing to memory (complete after `finish()`);
    /// empty when writing to a file.
    public var bytes: [UInt8] { memory?.bytes ?? [] }

    private func record(_ status: ArchiveStatus) {
        if case .warning(let text) = status { warnings.append(text) }
    }

    /// Start an entry. For a regular file, exactly `entry.size` bytes must follow through
    /// `writeData`; other types carry no data.
    public func writeHeader(_ entry: ArchiveEntry) throws {
        guard !finished else { throw ArchiveError.writerFinished }
        try completeCurrentEntry()
        try validate(entry)
        guard let native = archive_entry_new() else {
            throw ArchiveError.library(operation: "allocate an entry for \(entry.path)", message: "out of memory", errno: 0)
        }
        defer { archive_entry_free(native) }
        let isCpio = format == .cpioNewc
        entry.fill(
            native: native, inode: isCpio ? nextInode : nil,
            linkCount: isCpio ? (entry.type == .directory ? 2 : 1) : nil)
        if isCpio { nextInode += 1 }
        try record(handle.check(archive_write_header(handle.pointer, native), "write the header of \"\(entry.path)\" to \(destination)"))
        current = entry.type == .regular ? (entry.path, entry.size, 0) : nil
    }

    private func validate(_ entry: ArchiveEntry) throws {
        func reject(_ reason: String) -> ArchiveError {
            .unsupported(path: entry.path, format: format.rawValue, reason: reason)
        }
        if entry.path.isEmpty { throw reject("the path is empty") }
        if entry.type == .regular && entry.size < 0 { throw reject("the size \(entry.size) is negative") }
        if !entry.xattrs.isEmpty && !format.storesExtendedAttributes {
            throw reject("this format cannot store extended attributes (\(entry.xattrs.map(\.name).joined(separator: ", "))); use .paxRestricted")
        }
        switch entry.type {
        case .symlink where (entry.symlinkTarget ?? "").isEmpty:
            throw reject("a symbolic link needs a symlinkTarget")
        case .hardlink where (entry.hardlinkTarget ?? "").isEmpty:
            throw reject("a hard link needs a hardlinkTarget")
        case .hardlink where format == .cpioNewc:
            throw reject("newc hard links share an inode number and carry the data on the last link; write the file's data again instead")
        default:
            break
        }
    }

    /// Append data to the current regular-file entry.
    public func writeData(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try writeData($0) }
    }

    /// Append data to the current regular-file entry.
    public func writeData(_ bytes: UnsafeRawBufferPointer) throws {
        guard !finished else { throw ArchiveError.writerFinished }
        guard let entry = current else { throw ArchiveError.noCurrentEntry(operation: "write entry data") }
        guard bytes.count > 0 else { return }
        let total = entry.written + Int64(bytes.count)
        guard total <= entry.declared else {
            throw ArchiveError.entryDataOverflow(path: entry.path, declared: entry.declared, attempted: total)
        }
        var offset = 0
        while offset < bytes.count {
            let written = archive_write_data(handle.pointer, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
            if written <= 0 {
                try handle.check(
                    written == 0 ? ARCHIVE_FATAL : Int32(truncatingIfNeeded: written),
                    "write the data of \"\(entry.path)\" to \(destination)", strict: true)
            }
            offset += written
        }
        current = (entry.path, entry.declared, total)
    }

    private func completeCurrentEntry() throws {
        if let entry = current, entry.written != entry.declared {
            throw ArchiveError.entryDataIncomplete(path: entry.path, declared: entry.declared, written: entry.written)
        }
        current = nil
    }

    /// Write the archive trailer, flush the compressor and close the output. Errors that
    /// only show when the last block is written (a full disk) surface here.
    public func finish() throws {
        guard !finished else { throw ArchiveError.writerFinished }
        try completeCurrentEntry()
        finished = true
        try record(handle.check(archive_write_close(handle.pointer), "finish \(destination)"))
    }

    /// Collects the output of libarchive's write callback.
    private final class MemorySink {
        var bytes: [UInt8] = []
    }
}
