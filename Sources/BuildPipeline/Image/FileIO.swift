import Foundation
import SystemIO

/// The image stage's file plumbing lives in SystemIO (positional reads and writes, fsync,
/// atomic replace); these names stay so the stage's code reads as it did.
public typealias FileIOError = SystemIOError

/// An open file closed on deinit: `SystemIO.File`.
typealias FileHandleFD = SystemIO.File

/// A file's size in bytes for a report or a payload length; 0 when it cannot be read.
func fileSize(_ path: String) -> UInt64 {
    (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? UInt64) ?? 0
}

/// Writes that matter land whole or not at all: a temporary file beside the target, fsync,
/// rename, fsync of the directory (`SystemIO.replace` and `SystemIO.commit`).
public enum AtomicFile {
    public static func temporaryPath(for path: String) -> String {
        SystemIO.temporaryPath(for: path)
    }

    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws {
        try SystemIO.replace(path, with: bytes, permissions: mode)
    }

    /// Renames a finished temporary file into place and syncs the directory.
    public static func commit(_ temporary: String, to path: String) throws {
        try SystemIO.commit(temporary, to: path)
    }
}
