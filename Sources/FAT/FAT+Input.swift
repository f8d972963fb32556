extension FAT {
    /// One file to write: a path of names separated by "/" (`EFI/BOOT/BOOTX64.EFI`; a leading
    /// "/" is ignored) and its bytes. Directories on the path are created.
    public struct File: Sendable, Equatable {
        public var path: String
        public var contents: [UInt8]

        public init(path: String, contents: [UInt8]) {
            self.path = path
            self.contents = contents
        }
    }

    /// What the writer takes from the build rather than from the files: everything that would
    /// otherwise be random or read from the clock.
    public struct Options: Sendable, Equatable {
        /// `BS_VolID`: the volume serial number (`blkid`'s UUID "XXXX-XXXX"). Derive it from
        /// the build seed.
        public var volumeID: UInt32
        /// `BS_VolLab` and the root directory's volume-label entry: up to 11 characters that
        /// are valid in a short name (letters are stored upper-case; spaces are allowed
        /// inside). Empty writes "NO NAME" in the BPB and no label entry.
        public var volumeLabel: String
        /// Unix seconds (SOURCE_DATE_EPOCH) for every creation, modification and access time.
        /// FAT counts local dates from 1980-01-01 to 2107-12-31 in 2-second steps: the value
        /// is stored as that date in UTC, clamped into the range (`FAT.Timestamp`).
        public var timestamp: Int64

        public init(volumeID: UInt32, volumeLabel: String = "ESP", timestamp: Int64) {
            self.volumeID = volumeID
            self.volumeLabel = volumeLabel
            self.timestamp = timestamp
        }
    }
}
