import Glibc

/// Every raw system call the package makes, one method each: the funnel a test replaces
/// (`SystemIO.calls`). A method makes exactly one call (no retry loop, no EINTR handling:
/// that policy lives in `SystemIO.File`), so a fake sees each call the real code makes and
/// can fail or cut short any one of them.
///
/// Methods return the call's value or throw its `Errno`. Buffers are the caller's; offsets
/// and lengths are the kernel's `off_t` (signed 64-bit).
public protocol SystemCalls: Sendable {
    // Files
    func open(_ path: String, _ flags: Int32, _ mode: mode_t) throws(Errno) -> Int32
    func close(_ fd: Int32) throws(Errno)
    /// read(2) at the file position: for /proc and sysfs files read front to back.
    func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int
    func pread(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int
    func pwrite(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int64) throws(Errno) -> Int
    func fsync(_ fd: Int32) throws(Errno)
    func ftruncate(_ fd: Int32, _ length: Int64) throws(Errno)
    func fchmod(_ fd: Int32, _ mode: mode_t) throws(Errno)
    func fstat(_ fd: Int32) throws(Errno) -> FileStatus
    /// stat(2), following symbolic links.
    func stat(_ path: String) throws(Errno) -> FileStatus
    func rename(_ source: String, _ destination: String) throws(Errno)
    func unlink(_ path: String) throws(Errno)
    func mkdir(_ path: String, _ mode: mode_t) throws(Errno)
    /// The names in a directory (opendir/readdir), without "." and "..", in readdir's order.
    func listDirectory(_ path: String) throws(Errno) -> [String]
    func mknod(_ path: String, _ mode: mode_t, _ device: DeviceNumber) throws(Errno)
    func mount(source: String, target: String, type: String?, flags: UInt, data: String?) throws(Errno)
    /// umount2(2); `flags` takes MNT_DETACH.
    func unmount(_ target: String, flags: Int32) throws(Errno)
    /// statfs(2)'s `f_type` (RAMFS_MAGIC, TMPFS_MAGIC...).
    func filesystemType(_ path: String) throws(Errno) -> UInt64

    // Processes
    /// pipe2(2) with O_CLOEXEC: (read end, write end).
    func pipe() throws(Errno) -> (read: Int32, write: Int32)
    /// posix_spawn(3) of `path` (no PATH search) with `arguments` (argv[0] included) and
    /// `environment`; the child's stdin is /dev/null and, when `output` is given, its stdout
    /// and stderr are that descriptor.
    func spawn(_ path: String, arguments: [String], environment: [String], output: Int32?) throws(Errno) -> Int32
    /// waitpid(2) for `pid`: its raw wait status.
    func wait(_ pid: Int32) throws(Errno) -> Int32

    // Block devices (<linux/fs.h>)
    /// BLKGETSIZE64: the device's size in bytes.
    func blockDeviceSize(_ fd: Int32) throws(Errno) -> UInt64
    /// BLKSSZGET: the logical sector size in bytes.
    func logicalSectorSize(_ fd: Int32) throws(Errno) -> UInt32
    /// BLKRRPART: re-read the partition table.
    func rereadPartitionTable(_ fd: Int32) throws(Errno)

    // Device-mapper (<linux/dm-ioctl.h>), on an open /dev/mapper/control
    /// DM_DEV_CREATE: a mapped device without a table.
    func deviceMapperCreate(control: Int32, name: String, uuid: String?) throws(Errno) -> DeviceNumber
    /// DM_TABLE_LOAD: one target into the device's inactive table.
    func deviceMapperLoad(control: Int32, name: String, target: DeviceMapperTarget) throws(Errno)
    /// DM_DEV_SUSPEND without DM_SUSPEND_FLAG: make the loaded table live.
    func deviceMapperResume(control: Int32, name: String) throws(Errno) -> DeviceNumber
    /// DM_DEV_REMOVE.
    func deviceMapperRemove(control: Int32, name: String) throws(Errno)

    // The kernel
    /// finit_module(2); `flags` takes MODULE_INIT_* (SystemIO.moduleInitCompressedFile).
    func finitModule(_ fd: Int32, parameters: String, flags: Int32) throws(Errno)
    /// kexec_file_load(2): `initrd` nil loads none (KEXEC_FILE_NO_INITRAMFS).
    func kexecFileLoad(kernel: Int32, initrd: Int32?, commandLine: String, flags: UInt) throws(Errno)
    /// reboot(2); returns only when the kernel refused.
    func reboot(_ command: RebootCommand) throws(Errno)
    /// WDIOC_SETTIMEOUT; returns the timeout the driver set (it may round).
    func watchdogSetTimeout(_ fd: Int32, seconds: Int32) throws(Errno) -> Int32
    /// WDIOC_KEEPALIVE.
    func watchdogKeepalive(_ fd: Int32) throws(Errno)

    // MARK: - Sockets (HTTPSource), kept in this one block so merges stay simple
    /// getaddrinfo(3) for a TCP stream: the addresses of `host` (a name, an IPv4 or an IPv6
    /// literal) at `port`, in the resolver's order.
    func resolve(_ host: String, port: UInt16) throws(AddressLookupError) -> [SocketAddress]
    /// socket(2): a stream socket of `family` (AF_INET or AF_INET6 for TCP, AF_UNIX), with
    /// SOCK_CLOEXEC.
    func socket(family: Int32) throws(Errno) -> Int32
    /// connect(2). With a send timeout set, a connect that takes longer fails with EINPROGRESS.
    func connect(_ fd: Int32, to address: SocketAddress) throws(Errno)
    /// send(2) with MSG_NOSIGNAL: a peer that closed is EPIPE, never SIGPIPE.
    func send(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(Errno) -> Int
    /// recv(2): 0 when the peer closed; EAGAIN when the receive timeout passed.
    func recv(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int
    /// setsockopt(2) SO_RCVTIMEO or SO_SNDTIMEO.
    func setTimeout(_ fd: Int32, _ direction: SocketDirection, _ timeout: Duration) throws(Errno)

    // MARK: - Unix sockets and process handles (QMP, VMM), kept in this one block
    /// getsockopt(2) SO_PEERCRED: who is on the other end of a connected Unix socket.
    func peerCredentials(_ fd: Int32) throws(Errno) -> PeerCredentials
    /// shutdown(2) SHUT_RDWR: a thread blocked in recv(2) on `fd` returns 0.
    func shutdown(_ fd: Int32) throws(Errno)
    /// poll(2) of one descriptor for `events` (POLLIN...): the `revents`, 0 when `timeout`
    /// passed first. A zero timeout only looks.
    func poll(_ fd: Int32, events: Int16, timeout: Duration) throws(Errno) -> Int16
    /// pidfd_open(2): a close-on-exec descriptor of process `pid`, readable once it exited.
    func pidfdOpen(_ pid: Int32) throws(Errno) -> Int32
    /// pidfd_send_signal(2).
    func pidfdSendSignal(_ pidfd: Int32, _ signal: Int32) throws(Errno)
    /// waitpid(2) with WNOHANG: the raw wait status, nil while `pid` still runs; ECHILD when
    /// it is not a child of this process.
    func waitNonBlocking(_ pid: Int32) throws(Errno) -> Int32?
    /// posix_spawn(3) of `path` (no PATH search) in a new session (setsid), so the child
    /// outlives this process and its terminal: stdin is /dev/null, stdout and stderr are
    /// `output` or /dev/null, and SIGPIPE has its default action.
    func spawnDetached(_ path: String, arguments: [String], environment: [String], output: Int32?) throws(Errno) -> Int32
}

/// SO_PEERCRED's `struct ucred`: the peer process when it connected or listened.
public struct PeerCredentials: Hashable, Sendable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }
}

/// What fstat(2)/stat(2) say about a file, the fields the package uses.
public struct FileStatus: Hashable, Sendable {
    /// `st_size`: bytes of a regular file; 0 for a block device (use BLKGETSIZE64).
    public var size: UInt64
    /// `st_mode`: the S_IFMT type bits and the permission bits.
    public var mode: UInt32
    /// `st_dev`: the device the file lives on.
    public var device: UInt64
    /// `st_ino`.
    public var inode: UInt64
    /// `st_rdev`: for a device node, the device it stands for.
    public var deviceNumber: UInt64
    /// `st_gid`: the owning group.
    public var groupID: UInt32

    public init(size: UInt64, mode: UInt32, device: UInt64, inode: UInt64, deviceNumber: UInt64, groupID: UInt32 = 0) {
        self.size = size
        self.mode = mode
        self.device = device
        self.inode = inode
        self.deviceNumber = deviceNumber
        self.groupID = groupID
    }

    public var isBlockDevice: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFBLK) }
    public var isDirectory: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFDIR) }
    public var isRegularFile: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFREG) }
}

/// A device's major and minor numbers (what `makedev` packs into a `dev_t`).
public struct DeviceNumber: Hashable, Sendable {
    public var major: UInt32
    public var minor: UInt32

    public init(major: UInt32, minor: UInt32) {
        self.major = major
        self.minor = minor
    }
}

/// One device-mapper target (`struct dm_target_spec` plus its parameter string).
public struct DeviceMapperTarget: Hashable, Sendable {
    /// `sector_start`, in 512-byte sectors.
    public var start: UInt64
    /// `length`, in 512-byte sectors.
    public var length: UInt64
    /// `target_type`, e.g. "verity".
    public var type: String
    /// The target's parameter string.
    public var parameters: String
    /// DM_READONLY_FLAG.
    public var readOnly: Bool

    public init(start: UInt64, length: UInt64, type: String, parameters: String, readOnly: Bool) {
        self.start = start
        self.length = length
        self.type = type
        self.parameters = parameters
        self.readOnly = readOnly
    }
}

/// reboot(2) commands.
public enum RebootCommand: String, Hashable, Sendable {
    /// RB_POWER_OFF.
    case powerOff
    /// RB_AUTOBOOT: restart through the firmware.
    case restart
    /// RB_KEXEC: start the kernel `kexec_file_load` loaded, skipping the firmware.
    case kexec
}
