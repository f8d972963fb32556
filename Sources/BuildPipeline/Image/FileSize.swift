import SystemIO

/// A file's size in bytes for a report or a payload length; 0 when it cannot be read.
func fileSize(_ path: String) -> UInt64 {
    (try? SystemIO.status(of: path).size) ?? 0
}
