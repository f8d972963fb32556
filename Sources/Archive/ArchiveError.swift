internal import CArchive

/// Errors from the libarchive wrapper.
///
/// libarchive explains its failures in `archive_error_string` ("Truncated tar archive",
/// "Pathname too long", "Unrecognized archive format"); that text is carried verbatim in
/// `.library`, together with the step that failed and the archive it was working on, so
/// the message says which file to look at. The other cases are mistakes libarchive would
/// let pass silently (short entry data is zero-padded, extra data is dropped) or cannot
/// describe in terms of this API.
public enum ArchiveError: Error, CustomStringConvertible, Equatable, Sendable {
    /// libarchive failed; `message` is `archive_error_string`, `errno` is `archive_errno`.
    case library(operation: String, message: String, errno: Int32)
    /// The next header or `finish()` came before the declared size of data was written.
    case entryDataIncomplete(path: String, declared: Int64, written: Int64)
    /// More data was written than the entry's header declared.
    case entryDataOverflow(path: String, declared: Int64, attempted: Int64)
    /// Data was read or written with no current entry that can hold data.
    case noCurrentEntry(operation: String)
    /// The entry cannot be stored in the chosen format.
    case unsupported(path: String, format: String, reason: String)
    /// A field read from or written to an archive has a value this API cannot represent.
    case valueOutOfRange(path: String, field: String, value: String, allowed: String)
    /// The writer was used after `finish()`.
    case writerFinished

    public var description: String {
        switch self {
        case .library(let operation, let message, let errno):
            // libarchive uses -1 (ARCHIVE_ERRNO_MISC) and friends for "no system error".
            let code = errno > 0 ? " (errno \(errno))" : ""
            return "libarchive could not \(operation): \(message)\(code)"
        case .entryDataIncomplete(let path, let declared, let written):
            return "entry \(path) declares \(declared) bytes but only \(written) were written; "
                + "write all of its data before the next header, or declare the real size"
        case .entryDataOverflow(let path, let declared, let attempted):
            return "entry \(path) declares \(declared) bytes but \(attempted) bytes were written; "
                + "set the entry's size to the real data size"
        case .noCurrentEntry(let operation):
            return "cannot \(operation): there is no current entry with data "
                + "(call nextEntry()/writeHeader(_:) for a regular file first)"
        case .unsupported(let path, let format, let reason):
            return "entry \(path) cannot be written as \(format): \(reason)"
        case .valueOutOfRange(let path, let field, let value, let allowed):
            return "entry \(path) has \(field) \(value), which is outside \(allowed)"
        case .writerFinished:
            return "the archive writer was already finished; create a new ArchiveWriter for another archive"
        }
    }
}

/// What a libarchive call reported, once failures have been turned into errors.
enum ArchiveStatus {
    case ok
    case warning(String)
    case endOfArchive
}

/// Owns one `struct archive *` (reader or writer) and is the one place where libarchive
/// status codes become Swift errors.
struct ArchiveHandle: ~Copyable {
    enum Direction { case read, write }

    let pointer: OpaquePointer
    let direction: Direction

    init(_ direction: Direction) throws {
        let created = direction == .read ? archive_read_new() : archive_write_new()
        guard let created else {
            throw ArchiveError.library(
                operation: "allocate an archive \(direction == .read ? "reader" : "writer")",
                message: "out of memory", errno: 0)
        }
        pointer = created
        self.direction = direction
    }

    /// The current error text, or a fallback when libarchive set none.
    var errorText: String {
        archive_error_string(pointer).map { String(cString: $0) } ?? "no error text from libarchive"
    }

    /// Turn a status into an error or a status value.
    ///
    /// `ARCHIVE_WARN` means the operation succeeded with a caveat (an unconvertible name, an
    /// ignored header); it is returned, not thrown. `strict` treats it as a failure, for option
    /// setters where WARN means "no module recognised this option". RETRY, FAILED and FATAL
    /// always throw: the wrapper does not retry, and a failed entry is not silently skipped.
    @discardableResult
    func check(_ status: Int32, _ operation: @autoclosure () -> String, strict: Bool = false) throws -> ArchiveStatus {
        switch status {
        case ARCHIVE_OK:
            return .ok
        case ARCHIVE_EOF:
            return .endOfArchive
        case ARCHIVE_WARN where !strict:
            return .warning(errorText)
        default:
            throw ArchiveError.library(operation: operation(), message: errorText, errno: archive_errno(pointer))
        }
    }

    deinit {
        switch direction {
        case .read: archive_read_free(pointer)
        case .write: archive_write_free(pointer)
        }
    }
}
