import Glibc
import SystemIO

/// Free the initramfs before the switch, as switch_root(8) does: the old root's files stay
/// in RAM otherwise, unreachable once the new root is mounted over it. Only on a
/// ramfs/tmpfs root, and never across a mount point (so /sysroot is untouched).
enum InitramfsCleanup {
    static let ramfsMagic: UInt64 = 0x8584_58f6
    static let tmpfsMagic: UInt64 = 0x0102_1994

    static func removeContents() {
        guard let type = try? SystemIO.fileSystemType(of: "/"), [ramfsMagic, tmpfsMagic].contains(type) else { return }
        var info = stat()
        guard lstat("/", &info) == 0 else { return }
        removeChildren(of: "", device: info.st_dev)
    }

    /// Remove everything below `directory` ("" is "/") that lives on `device`.
    private static func removeChildren(of directory: String, device: dev_t) {
        for name in System.list(directory.isEmpty ? "/" : directory) {
            let path = directory + "/" + name
            var info = stat()
            guard lstat(path, &info) == 0, info.st_dev == device else { continue }
            if info.st_mode & S_IFMT == S_IFDIR {
                removeChildren(of: path, device: device)
                if path != HostImgInit.sysroot { rmdir(path) }
            } else {
                SystemIO.removeIfPresent(path)
            }
        }
    }
}
