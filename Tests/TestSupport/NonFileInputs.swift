import Glibc

extension ScratchDirectory {
    public struct CannotMakeFIFO: Error {}

    /// Paths that are no file a reader may take, each with the words a reader's error uses
    /// for it: a FIFO in this directory (which would block a plain open forever), the
    /// directory itself and /dev/null (a character device).
    public func nonFileInputs() throws -> [(path: String, kind: String)] {
        let fifo = path("fifo")
        guard mkfifo(fifo, 0o600) == 0 || errno == EEXIST else { throw CannotMakeFIFO() }
        return [(fifo, "a FIFO (named pipe)"), (path(""), "a directory"), ("/dev/null", "a character device")]
    }
}
