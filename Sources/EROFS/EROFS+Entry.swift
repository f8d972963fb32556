extension EROFS {
    /// One path of an image as `Reader.listing()` reports it (no file contents).
    public struct Entry: Sendable, Equatable, Codable {
        public enum Kind: String, Sendable, Codable, CaseIterable {
            case directory, regular, symlink, characterDevice, blockDevice, fifo, socket

            /// The `ls -l` type letter.
            public var letter: Character {
                switch self {
                case .directory: return "d"
                case .regular: return "-"
                case .symlink: return "l"
                case .characterDevice: return "c"
                case .blockDevice: return "b"
                case .fifo: return "p"
                case .socket: return "s"
                }
            }
        }

        public var path: String
        public var kind: Kind
        /// Permission bits with setuid/setgid/sticky (0o7777), no type bits.
        public var mode: UInt16
        public var uid: UInt32
        public var gid: UInt32
        /// `i_size`: content bytes, target length for symlinks, directory data for directories.
        public var size: UInt64
        public var mtime: Int64
        public var nlink: UInt32
        /// The inode's number in the image; hard links share it.
        public var nid: UInt64
        public var symlinkTarget: String?
        public var deviceMajor: UInt32?
        public var deviceMinor: UInt32?
        public var xattrs: [String: [UInt8]]

        public init(path: String, kind: Kind, mode: UInt16, uid: UInt32, gid: UInt32, size: UInt64,
                    mtime: Int64, nlink: UInt32, nid: UInt64, symlinkTarget: String? = nil,
                    deviceMajor: UInt32? = nil, deviceMinor: UInt32? = nil, xattrs: [String: [UInt8]] = [:]) {
            self.path = path
            self.kind = kind
            self.mode = mode
            self.uid = uid
            self.gid = gid
            self.size = size
            self.mtime = mtime
            self.nlink = nlink
            self.nid = nid
            self.symlinkTarget = symlinkTarget
            self.deviceMajor = deviceMajor
            self.deviceMinor = deviceMinor
            self.xattrs = xattrs
        }
    }
}

extension EROFS.FileType {
    var entryKind: EROFS.Entry.Kind? {
        switch self {
        case .directory: return .directory
        case .regular: return .regular
        case .symlink: return .symlink
        case .characterDevice: return .characterDevice
        case .blockDevice: return .blockDevice
        case .fifo: return .fifo
        case .socket: return .socket
        case .unknown: return nil
        }
    }
}
