/// One archive member as a plain Swift value: what a reader yields and a writer consumes.
///
/// Only the fields the image build needs are modelled, and every one of them is stored
/// explicitly: there is no atime, ctime or inode number, so a writer given the same entries
/// produces the same bytes on every machine. Ownership is numeric (`uid`/`gid`); the
/// names are written only when set, because a name lookup on the build host must never
/// influence an image.
public struct ArchiveEntry: Sendable, Hashable {
    public enum FileType: String, Sendable, Hashable, CaseIterable {
        case regular, directory, symlink, hardlink, characterDevice, blockDevice, fifo, socket
    }

    /// Seconds and nanoseconds since the Unix epoch, as tar's pax `mtime` records them.
    public struct Timestamp: Sendable, Hashable, Comparable {
        public var seconds: Int64
        public var nanoseconds: Int32

        public init(seconds: Int64, nanoseconds: Int32 = 0) {
            self.seconds = seconds
            self.nanoseconds = nanoseconds
        }

        public static let zero = Timestamp(seconds: 0)

        public static func < (a: Timestamp, b: Timestamp) -> Bool {
            (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds)
        }
    }

    /// An extended attribute such as `security.capability`; values are binary.
    public struct ExtendedAttribute: Sendable, Hashable {
        public var name: String
        public var value: [UInt8]

        public init(name: String, value: [UInt8]) {
            self.name = name
            self.value = value
        }
    }

    /// Path inside the archive, as stored (no leading "/" is added or removed).
    public var path: String
    public var type: FileType
    /// Permission bits including setuid, setgid and sticky (`0o7777`), without the file type.
    public var mode: UInt16
    public var uid: UInt32
    public var gid: UInt32
    /// Owner and group names; nil writes none, so readers fall back to the numeric ids.
    public var userName: String?
    public var groupName: String?
    /// Bytes of data; meaningful for regular files only.
    public var size: Int64
    public var mtime: Timestamp
    /// Target of a symbolic link.
    public var symlinkTarget: String?
    /// Path of the earlier entry a hard link refers to.
    public var hardlinkTarget: String?
    /// Device numbers of character and block devices.
    public var deviceMajor: UInt32
    public var deviceMinor: UInt32
    public var xattrs: [ExtendedAttribute]

    public init(
        path: String, type: FileType, mode: UInt16, uid: UInt32 = 0, gid: UInt32 = 0,
        userName: String? = nil, groupName: String? = nil, size: Int64 = 0, mtime: Timestamp = .zero,
        symlinkTarget: String? = nil, hardlinkTarget: String? = nil,
        deviceMajor: UInt32 = 0, deviceMinor: UInt32 = 0, xattrs: [ExtendedAttribute] = []
    ) {
        self.path = path
        self.type = type
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.userName = userName
        self.groupName = groupName
        self.size = size
        self.mtime = mtime
        self.symlinkTarget = symlinkTarget
        self.hardlinkTarget = hardlinkTarget
        self.deviceMajor = deviceMajor
        self.deviceMinor = deviceMinor
        self.xattrs = xattrs
    }

    public static func file(_ path: String, size: Int64, mode: UInt16 = 0o644, mtime: Timestamp = .zero) -> ArchiveEntry {
        ArchiveEntry(path: path, type: .regular, mode: mode, size: size, mtime: mtime)
    }

    public static func directory(_ path: String, mode: UInt16 = 0o755, mtime: Timestamp = .zero) -> ArchiveEntry {
        ArchiveEntry(path: path, type: .directory, mode: mode, mtime: mtime)
    }

    public static func symlink(_ path: String, target: String, mtime: Timestamp = .zero) -> ArchiveEntry {
        ArchiveEntry(path: path, type: .symlink, mode: 0o777, mtime: mtime, symlinkTarget: target)
    }

    public static func hardlink(_ path: String, target: String, mode: UInt16 = 0o644, mtime: Timestamp = .zero) -> ArchiveEntry {
        ArchiveEntry(path: path, type: .hardlink, mode: mode, mtime: mtime, hardlinkTarget: target)
    }

    public static func characterDevice(
        _ path: String, major: UInt32, minor: UInt32, mode: UInt16 = 0o600, mtime: Timestamp = .zero
    ) -> ArchiveEntry {
        ArchiveEntry(path: path, type: .characterDevice, mode: mode, mtime: mtime, deviceMajor: major, deviceMinor: minor)
    }

    public static func blockDevice(
        _ path: String, major: UInt32, minor: UInt32, mode: UInt16 = 0o600, mtime: Timestamp = .zero
    ) -> ArchiveEntry {
        ArchiveEntry(path: path, type: .blockDevice, mode: mode, mtime: mtime, deviceMajor: major, deviceMinor: minor)
    }
}
