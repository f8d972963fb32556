import Glibc

/// Block-device queries for code that writes partition tables and slots. Each takes an open
/// `File`, so a regular file (a disk image) and a device go through the same code.
extension SystemIO.File {
    /// Whether this is a block device rather than a regular file (a disk image).
    public func isBlockDevice() throws(SystemIOError) -> Bool {
        try status().isBlockDevice
    }

    /// BLKSSZGET: the logical sector size, the unit of every LBA in a partition table
    /// (512, or 4096 on a 4Kn disk).
    public func logicalSectorSize() throws(SystemIOError) -> UInt64 {
        UInt64(try call("find the logical sector size of (BLKSSZGET)") { () throws(Errno) in
            try calls.logicalSectorSize(descriptor)
        })
    }

    /// BLKRRPART: have the kernel re-read the partition table after it changed, so the
    /// partition devices and their attributes follow. Nothing to do for a regular file.
    ///
    /// The kernel refuses with EBUSY while any partition of the disk is open (mounted, or
    /// under device-mapper) and keeps its old view until the next boot; the error says so.
    public func rereadPartitionTable() throws(SystemIOError) {
        guard try isBlockDevice() else { return }
        do {
            try calls.rereadPartitionTable(descriptor)
        } catch {
            let busy = error.code == EBUSY
                ? " (a partition of the disk is in use, so the kernel keeps the old table until the next boot)" : ""
            throw SystemIOError(path, "re-read the partition table (BLKRRPART)\(busy)", error)
        }
    }
}
