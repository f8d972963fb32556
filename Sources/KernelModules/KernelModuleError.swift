internal import CKmod
#if canImport(Glibc)
internal import Glibc
#endif

/// Errors from the libkmod wrapper.
///
/// libkmod returns negative errno values and explains the details only through its log
/// callback ("could not open moddep file '...'", "failed to open module '...'"). The wrapper
/// captures that log for each operation and puts it into the error next to `strerror`, so
/// the message says which file libkmod was looking at.
public enum KernelModuleError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A libkmod call failed with `-errno`; `log` holds what libkmod logged meanwhile.
    case library(operation: String, errno: Int32, message: String, log: [String])
    /// The module directory does not exist.
    case directoryMissing(String)
    /// The directory has no `modules.dep.bin`, so names and aliases cannot be resolved.
    case indexMissing(directory: String)
    /// No module of that name is listed in the directory's `modules.dep`.
    case moduleNotFound(name: String, directory: String)
    /// libkmod could not allocate its context.
    case outOfMemory

    public var description: String {
        switch self {
        case .library(let operation, let errno, let message, let log):
            let details = log.isEmpty ? "" : " (libkmod: " + log.joined(separator: "; ") + ")"
            return "libkmod could not \(operation): \(message) [errno \(errno)]\(details)"
        case .directoryMissing(let directory):
            return "module directory \(directory) does not exist; pass the /lib/modules/<release> "
                + "directory of an unpacked kernel"
        case .indexMissing(let directory):
            return "module directory \(directory) has no modules.dep.bin; build the index with "
                + "`depmod -b <root> <release>` for the tree that holds lib/modules/<release>"
        case .moduleNotFound(let name, let directory):
            return "no module \"\(name)\" in \(directory)/modules.dep; check the name "
                + "(dashes and underscores are equivalent) or whether it is built into the kernel "
                + "(modules.builtin)"
        case .outOfMemory:
            return "libkmod could not allocate its context; the process is out of memory"
        }
    }
}

/// Collects libkmod's log lines so errors can carry them. libkmod calls the log function
/// synchronously from the failing call, on the calling thread.
final class KmodLog {
    var lines: [String] = []

    /// Route `context`'s log into this object. `self` must outlive the context.
    func attach(to context: OpaquePointer) {
        kmod_set_log_fn(
            context,
            { data, _, _, _, _, format, arguments in
                guard let data, let format, let arguments else { return }
                let log = Unmanaged<KmodLog>.fromOpaque(data).takeUnretainedValue()
                var buffer = [CChar](repeating: 0, count: 1024)
                _ = vsnprintf(&buffer, buffer.count, format, arguments)
                let line = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                log.lines.append(line.hasSuffix("\n") ? String(line.dropLast()) : line)
            },
            Unmanaged.passUnretained(self).toOpaque())
        // LOG_WARNING: errors and the warnings that explain them, without the debug chatter.
        kmod_set_log_priority(context, 4)
    }

    /// The one place where libkmod status codes become Swift errors: a negative result is
    /// `-errno`; the log lines written since the operation started are attached.
    @discardableResult
    func check(_ status: Int32, _ operation: @autoclosure () -> String) throws -> Int32 {
        guard status < 0 else { return status }
        let code = -status
        let message = strerror(code).map { String(cString: $0) } ?? "error \(code)"
        throw KernelModuleError.library(operation: operation(), errno: code, message: message, log: lines)
    }

    /// Forget earlier lines so an error reports only its own operation's log.
    func reset() { lines.removeAll() }
}
