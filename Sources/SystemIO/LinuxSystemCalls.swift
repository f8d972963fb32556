import CSyscalls
import Glibc

/// The real funnel: each method is one Glibc or `hostimg_*` call with its result checked in
/// one place (`check`). Stateless, so one instance serves every thread.
public struct LinuxSystemCalls: SystemCalls {
    public init() {}

    /// A libc return value: `failed` when it signals an error, in which case errno is read
    /// before anything else can overwrite it.
    @inline(__always)
    func check<T>(_ value: T, failed: Bool) throws(Errno) -> T {
        if failed { throw Errno.current }
        return value
    }

    /// A `hostimg_*` result: 0 or a negative errno.
    @inline(__always)
    func checkNegative(_ result: Int32) throws(Errno) {
        if result != 0 { throw Errno(-result) }
    }

    public func open(_ path: String, _ flags: Int32, _ mode: mode_t) throws(Errno) -> Int32 {
        let fd = Glibc.open(path, flags, mode)
        return try check(fd, failed: fd < 0)
    }

    public func close(_ fd: Int32) throws(Errno) {
        _ = try check(0, failed: Glibc.close(fd) != 0)
    }

    public func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        let count = Glibc.read(fd, buffer.baseAddress, buffer.count)
        return try check(count, failed: count < 0)
    }

    public func pread(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        let count = Glibc.pread(fd, buffer.baseAddress, buffer.count, off_t(offset))
        return try check(count, failed: count < 0)
    }

    public func pwrite(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        let count = Glibc.pwrite(fd, buffer.baseAddress, buffer.count, off_t(offset))
        return try check(count, failed: count < 0)
    }

    public func fsync(_ fd: Int32) throws(Errno) {
        _ = try check(0, failed: Glibc.fsync(fd) != 0)
    }

    public func ftruncate(_ fd: Int32, _ length: Int64) throws(Errno) {
        _ = try check(0, failed: Glibc.ftruncate(fd, off_t(length)) != 0)
    }

    public func fchmod(_ fd: Int32, _ mode: mode_t) throws(Errno) {
        _ = try check(0, failed: Glibc.fchmod(fd, mode) != 0)
    }

    public func fstat(_ fd: Int32) throws(Errno) -> FileStatus {
        var info = Glibc.stat()
        _ = try check(0, failed: Glibc.fstat(fd, &info) != 0)
        return Self.status(info)
    }

    public func stat(_ path: String) throws(Errno) -> FileStatus {
        var info = Glibc.stat()
        _ = try check(0, failed: statPath(path, &info) != 0)
        return Self.status(info)
    }

    public func rename(_ source: String, _ destination: String) throws(Errno) {
        _ = try check(0, failed: Glibc.rename(source, destination) != 0)
    }

    public func unlink(_ path: String) throws(Errno) {
        _ = try check(0, failed: Glibc.unlink(path) != 0)
    }

    public func mkdir(_ path: String, _ mode: mode_t) throws(Errno) {
        _ = try check(0, failed: Glibc.mkdir(path, mode) != 0)
    }

    public func listDirectory(_ path: String) throws(Errno) -> [String] {
        guard let directory = opendir(path) else { throw Errno.current }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }

    public func pipe() throws(Errno) -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        _ = try check(0, failed: Glibc.pipe(&ends) != 0)
        // Close-on-exec, so only the child that is handed an end (dup2 onto 1 and 2) has it.
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        return (ends[0], ends[1])
    }

    public func spawn(_ path: String, arguments: [String], environment: [String], output: Int32?) throws(Errno) -> Int32 {
        try posixSpawn(path, arguments: arguments, environment: environment, output: output, detached: false)
    }

    public func wait(_ pid: Int32) throws(Errno) -> Int32 {
        var status: Int32 = 0
        _ = try check(0, failed: waitpid(pid, &status, 0) < 0)
        return status
    }

    public func mknod(_ path: String, _ mode: mode_t, _ device: DeviceNumber) throws(Errno) {
        let number = dev_t(hostimg_makedev(device.major, device.minor))
        _ = try check(0, failed: Glibc.mknod(path, mode, number) != 0)
    }

    public func mount(source: String, target: String, type: String?, flags: UInt, data: String?) throws(Errno) {
        _ = try check(0, failed: Glibc.mount(source, target, type, flags, data) != 0)
    }

    public func unmount(_ target: String, flags: Int32) throws(Errno) {
        _ = try check(0, failed: Glibc.umount2(target, flags) != 0)
    }

    public func filesystemType(_ path: String) throws(Errno) -> UInt64 {
        var type: UInt64 = 0
        try checkNegative(hostimg_filesystem_type(path, &type))
        return type
    }

    public func blockDeviceSize(_ fd: Int32) throws(Errno) -> UInt64 {
        var bytes: UInt64 = 0
        try checkNegative(hostimg_block_size(fd, &bytes))
        return bytes
    }

    public func logicalSectorSize(_ fd: Int32) throws(Errno) -> UInt32 {
        var bytes: UInt32 = 0
        try checkNegative(hostimg_block_logical_sector_size(fd, &bytes))
        return bytes
    }

    public func rereadPartitionTable(_ fd: Int32) throws(Errno) {
        try checkNegative(hostimg_block_reread_partitions(fd))
    }

    public func deviceMapperCreate(control: Int32, name: String, uuid: String?) throws(Errno) -> DeviceNumber {
        var number = DeviceNumber(major: 0, minor: 0)
        try checkNegative(hostimg_dm_create(control, name, uuid, &number.major, &number.minor))
        return number
    }

    public func deviceMapperLoad(control: Int32, name: String, target: DeviceMapperTarget) throws(Errno) {
        try checkNegative(
            hostimg_dm_load_table(
                control, name, target.start, target.length, target.type, target.parameters, target.readOnly ? 1 : 0))
    }

    public func deviceMapperResume(control: Int32, name: String) throws(Errno) -> DeviceNumber {
        var number = DeviceNumber(major: 0, minor: 0)
        try checkNegative(hostimg_dm_resume(control, name, &number.major, &number.minor))
        return number
    }

    public func deviceMapperRemove(control: Int32, name: String) throws(Errno) {
        try checkNegative(hostimg_dm_remove(control, name))
    }

    public func finitModule(_ fd: Int32, parameters: String, flags: Int32) throws(Errno) {
        try checkNegative(hostimg_finit_module(fd, parameters, flags))
    }

    public func kexecFileLoad(kernel: Int32, initrd: Int32?, commandLine: String, flags: UInt) throws(Errno) {
        try checkNegative(hostimg_kexec_file_load(kernel, initrd ?? -1, commandLine, flags))
    }

    public func reboot(_ command: RebootCommand) throws(Errno) {
        let action: hostimg_reboot_action
        switch command {
        case .powerOff: action = HOSTIMG_REBOOT_POWER_OFF
        case .restart: action = HOSTIMG_REBOOT_RESTART
        case .kexec: action = HOSTIMG_REBOOT_KEXEC
        }
        try checkNegative(hostimg_reboot(action))
    }

    public func watchdogSetTimeout(_ fd: Int32, seconds: Int32) throws(Errno) -> Int32 {
        var value = seconds
        try checkNegative(hostimg_watchdog_set_timeout(fd, &value))
        return value
    }

    public func watchdogKeepalive(_ fd: Int32) throws(Errno) { try checkNegative(hostimg_watchdog_keepalive(fd)) }
    // MARK: - Sockets (HTTPSource), kept in this one block so merges stay simple

    public func resolve(_ host: String, port: UInt16) throws(AddressLookupError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV | AI_ADDRCONFIG
        var list: UnsafeMutablePointer<addrinfo>?
        let result = getaddrinfo(host, String(port), &hints, &list)
        guard result == 0 else { throw AddressLookupError(code: result, systemErrno: result == EAI_SYSTEM ? errno : 0) }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var entry = list
        while let current = entry {
            let info = current.pointee
            if let address = info.ai_addr, info.ai_family == AF_INET || info.ai_family == AF_INET6 {
                let raw = UnsafeRawBufferPointer(start: address, count: Int(info.ai_addrlen))
                addresses.append(SocketAddress(family: info.ai_family, bytes: Array(raw)))
            }
            entry = info.ai_next
        }
        return addresses
    }

    public func socket(family: Int32) throws(Errno) -> Int32 {
        let fd = Glibc.socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        return try check(fd, failed: fd < 0)
    }

    public func connect(_ fd: Int32, to address: SocketAddress) throws(Errno) {
        let result = address.bytes.withUnsafeBytes { raw in
            Glibc.connect(fd, raw.baseAddress?.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        _ = try check(0, failed: result != 0)
    }

    public func send(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(Errno) -> Int {
        let count = Glibc.send(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
        return try check(count, failed: count < 0)
    }

    public func recv(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        let count = Glibc.recv(fd, buffer.baseAddress, buffer.count, 0)
        return try check(count, failed: count < 0)
    }

    public func setTimeout(_ fd: Int32, _ direction: SocketDirection, _ timeout: Duration) throws(Errno) {
        let (seconds, attoseconds) = timeout.components
        var value = timeval(tv_sec: Int(max(seconds, 0)), tv_usec: Int(max(attoseconds, 0) / 1_000_000_000_000))
        let option = direction == .receive ? SO_RCVTIMEO : SO_SNDTIMEO
        let result = setsockopt(fd, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size))
        _ = try check(0, failed: result != 0)
    }

    private static func status(_ info: Glibc.stat) -> FileStatus {
        FileStatus(
            size: UInt64(max(info.st_size, 0)), mode: UInt32(info.st_mode), device: UInt64(info.st_dev),
            inode: UInt64(info.st_ino), deviceNumber: UInt64(info.st_rdev), groupID: info.st_gid)
    }
}

/// stat(2) under a name of its own: inside `LinuxSystemCalls` "stat" is the method, and
/// `Glibc.stat` is the struct.
private func statPath(_ path: String, _ info: inout Glibc.stat) -> Int32 {
    stat(path, &info)
}
