internal import CArchive

/// Reads archives with libarchive: tar in all its dialects, cpio, ar (the outer layer of a
/// `.deb`), zip, or a single compressed stream, through any compression libarchive detects
/// (gzip, xz, zstd, bzip2, lz4...).
///
/// Entries come one at a time from `nextEntry()`; the current entry's data is then read in
/// chunks (or skipped), so a large file in a package never has to sit in memory whole.
/// A reader can also read the data of another reader's current entry as an archive of its
/// own, which is how `data.tar.xz` inside a `.deb` is read without extracting it first.
///
/// Single-owner and not thread-safe, like the `struct archive *` it owns.
public final class ArchiveReader {
    /// Which archive formats to accept. Compression filters are always auto-detected.
    public enum Format: Sendable, Hashable {
        /// Every format libarchive detects by content (not `.raw`).
        case all
        case tar, cpio, ar, zip
        /// No archive format: the (decompressed) input is one entry named "data". Used to
        /// decompress a lone `.xz`/`.zst`/`.gz` file such as a compressed kernel module.
        case raw
    }

    private let handle: ArchiveHandle
    /// What is being read, for error messages: a path, "memory (N bytes)", or "X in Y" for
    /// the entry X of another reader Y.
    public let source: String
    /// Keeps borrowed memory or a parent reader alive as long as libarchive may use it.
    private var retained: AnyObject?
    private var currentPath: String?
    private var atEnd = false
    /// Non-fatal problems libarchive reported, e.g. a name it could not convert.
    public private(set) var warnings: [String] = []

    private init(source: String, formats: [Format]) throws {
        handle = try ArchiveHandle(.read)
        self.source = source
        try handle.check(archive_read_support_filter_all(handle.pointer), "enable all decompression filters", strict: true)
        for format in formats.isEmpty ? [.all] : formats {
            try handle.check(Self.enable(format, on: handle.pointer), "enable the \(format) format", strict: true)
        }
    }

    private static func enable(_ format: Format, on archive: OpaquePointer) -> Int32 {
        switch format {
        case .all: return archive_read_support_format_all(archive)
        case .tar: return archive_read_support_format_tar(archive)
        case .cpio: return archive_read_support_format_cpio(archive)
        case .ar: return archive_read_support_format_ar(archive)
        case .zip: return archive_read_support_format_zip(archive)
        case .raw: return archive_read_support_format_raw(archive)
        }
    }

    /// Read the archive at `path`.
    public convenience init(path: String, formats: [Format] = [.all]) throws {
        try self.init(source: path, formats: formats)
        try open(archive_read_open_filename(handle.pointer, path, 64 * 1024))
    }

    /// Read an archive held in memory. The bytes are copied, so the caller's array can change.
    public convenience init(bytes: [UInt8], formats: [Format] = [.all]) throws {
        try self.init(source: "memory (\(bytes.count) bytes)", formats: formats)
        let buffer = OwnedBuffer(copying: bytes)
        retained = buffer
        try open(archive_read_open_memory(handle.pointer, buffer.pointer, buffer.count))
    }

    /// Read the data of `parent`'s current entry as an archive, streaming it through
    /// `parent` without extracting it. `parent` must not be advanced while this reader is
    /// in use.
    public convenience init(entryDataOf parent: ArchiveReader, formats: [Format] = [.all]) throws {
        guard let name = parent.currentPath else {
            throw ArchiveError.noCurrentEntry(operation: "read an entry of \(parent.source) as an archive")
        }
        try self.init(source: "\(name) in \(parent.source)", formats: formats)
        let nested = NestedSource(parent: parent)
        retained = nested
        let status = archive_read_open(
            handle.pointer, Unmanaged.passUnretained(nested).toOpaque(), nil,
            { _, clientData, buffer in
                guard let clientData, let buffer else { return -1 }
                let nested = Unmanaged<NestedSource>.fromOpaque(clientData).takeUnretainedValue()
                return nested.fill(buffer)
            }, nil)
        try open(status)
    }

    private func open(_ status: Int32) throws {
        try record(checked(status, "open \(source)"))
    }

    private func record(_ status: ArchiveStatus) throws {
        if case .warning(let text) = status { warnings.append(text) }
    }

    /// Rethrow a failure of the parent reader rather than libarchive's generic "read error".
    private func checked(_ status: Int32, _ operation: @autoclosure () -> String) throws -> ArchiveStatus {
        do {
            return try handle.check(status, operation())
        } catch {
            if let nested = retained as? NestedSource, let failure = nested.failure { throw failure }
            throw error
        }
    }

    /// The next entry, or nil at the end of the archive. Unread data of the previous entry is
    /// skipped.
    public func nextEntry() throws -> ArchiveEntry? {
        guard !atEnd else { return nil }
        var native: OpaquePointer?
        let status = try checked(
            archive_read_next_header(handle.pointer, &native),
            "read the entry after \(currentPath.map { "\"\($0)\"" } ?? "the start") of \(source)")
        if case .endOfArchive = status {
            atEnd = true
            currentPath = nil
            return nil
        }
        try record(status)
        guard let native else {
            throw ArchiveError.library(operation: "read an entry of \(source)", message: "no entry returned", errno: 0)
        }
        let entry = try ArchiveEntry(native: native)
        currentPath = entry.path
        return entry
    }

    /// Read up to `buffer.count` bytes of the current entry's data; 0 means the entry's data
    /// is exhausted. Holes in sparse entries read as zeros.
    public func readData(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let currentPath else { throw ArchiveError.noCurrentEntry(operation: "read entry data") }
        guard buffer.count > 0 else { return 0 }
        let count = archive_read_data(handle.pointer, buffer.baseAddress, buffer.count)
        if count < 0 {
            // Even a warning here means the data may be incomplete, so every negative
            // result is an error rather than a quiet end of data.
            do {
                try handle.check(Int32(truncatingIfNeeded: count), "read the data of \"\(currentPath)\" in \(source)", strict: true)
            } catch {
                if let nested = retained as? NestedSource, let failure = nested.failure { throw failure }
                throw error
            }
            return 0
        }
        return count
    }

    /// Read the rest of the current entry's data, handing it to `body` chunk by chunk.
    /// The buffer passed to `body` is reused; it is valid only during the call.
    public func readData(chunkSize: Int = 64 * 1024, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(chunkSize, 1), alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = try readData(into: buffer)
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
        }
    }

    /// The rest of the current entry's data as one array: for small members such as a
    /// `.deb`'s `control` file.
    ///
    /// - Parameter limit: the largest size accepted, so a hostile archive cannot exhaust memory.
    public func readAllData(limit: Int = 256 * 1024 * 1024) throws -> [UInt8] {
        var result: [UInt8] = []
        try readData { chunk in
            guard result.count + chunk.count <= limit else {
                throw ArchiveError.valueOutOfRange(
                    path: currentPath ?? "?", field: "data size", value: "over \(limit) bytes",
                    allowed: "the readAllData(limit:) of \(limit) bytes; stream it with readData instead")
            }
            result.append(contentsOf: chunk)
        }
        return result
    }

    /// Skip the current entry's data without decompressing more than needed.
    public func skipData() throws {
        guard let currentPath else { throw ArchiveError.noCurrentEntry(operation: "skip entry data") }
        try record(checked(archive_read_data_skip(handle.pointer), "skip the data of \"\(currentPath)\" in \(source)"))
    }

    /// The detected format, e.g. "POSIX pax interchange format", once an entry was read.
    public var formatName: String? {
        archive_format_name(handle.pointer).map { String(cString: $0) }
    }

    /// The detected compression of the outermost layer, e.g. "zstd", or "none".
    public var filterName: String? {
        archive_filter_name(handle.pointer, 0).map { String(cString: $0) }
    }

    // MARK: - Sources libarchive borrows

    /// A copy of caller bytes with a stable address for `archive_read_open_memory`.
    private final class OwnedBuffer {
        let pointer: UnsafeMutableRawPointer
        let count: Int

        init(copying bytes: [UInt8]) {
            count = bytes.count
            pointer = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
            bytes.withUnsafeBytes { source in
                if let base = source.baseAddress { pointer.copyMemory(from: base, byteCount: source.count) }
            }
        }

        deinit { pointer.deallocate() }
    }

    /// Feeds libarchive's read callback from a parent reader's current entry. The chunk
    /// buffer must stay valid until the next callback, so it is owned here, not on the stack.
    private final class NestedSource {
        let parent: ArchiveReader
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        var failure: (any Error)?

        init(parent: ArchiveReader) { self.parent = parent }

        func fill(_ buffer: UnsafeMutablePointer<UnsafeRawPointer?>) -> Int {
            do {
                let count = try parent.readData(into: chunk)
                buffer.pointee = UnsafeRawPointer(chunk.baseAddress)
                return count
            } catch {
                failure = error
                return -1
            }
        }

        deinit { chunk.deallocate() }
    }
}
