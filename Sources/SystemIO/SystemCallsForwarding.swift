import Glibc

/// A funnel that passes every call on to `base` unless it implements the call itself: a fake
/// or a tracer conforms to this and writes only the methods it changes (the type's own
/// method wins over these defaults).
public protocol SystemCallsForwarding: SystemCalls {
    var base: any SystemCalls { get }
}

extension SystemCallsForwarding {
    public func open(_ path: String, _ flags: Int32, _ mode: mode_t) throws(Errno) -> Int32 {
        try base.open(path, flags, mode)
    }

    public func close(_ fd: Int32) throws(Errno) { try base.close(fd) }

    public func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try base.read(fd, into: buffer)
    }

    public func pread(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        try base.pread(fd, into: buffer, at: offset)
    }

    public func pwrite(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int64) throws(Errno) -> Int {
        try base.pwrite(fd, buffer, at: offset)
    }

    public func fsync(_ fd: Int32) throws(Errno) { try base.fsync(fd) }

    public func ftruncate(_ fd: Int32, _ length: Int64) throws(Errno) { try base.ftruncate(fd, length) }

    public func fchmod(_ fd: Int32, _ mode: mode_t) throws(Errno) { try base.fchmod(fd, mode) }

    public func fstat(_ fd: Int32) throws(Errno) -> FileStatus { try base.fstat(fd) }

    public func stat(_ path: String) throws(Errno) -> FileStatus { try base.stat(path) }

    public func rename(_ source: String, _ destination: String) throws(Errno) { try base.rename(source, destination) }

    public func unlink(_ path: String) throws(Errno) { try base.unlink(path) }

    public func mkdir(_ path: String, _ mode: mode_t) throws(Errno) { try base.mkdir(path, mode) }

    public func listDirectory(_ path: String) throws(Errno) -> [String] { try base.listDirectory(path) }

    public func pipe() throws(Errno) -> (read: Int32, write: Int32) { try base.pipe() }

    public func spawn(_ path: String, arguments: [String], environment: [String], output: Int32?) throws(Errno) -> Int32 {
        try base.spawn(path, arguments: arguments, environment: environment, output: output)
    }

    public func wait(_ pid: Int32) throws(Errno) -> Int32 { try base.wait(pid) }

    public func mknod(_ path: String, _ mode: mode_t, _ device: DeviceNumber) throws(Errno) {
        try base.mknod(path, mode, device)
    }

    public func mount(source: String, target: String, type: String?, flags: UInt, data: String?) throws(Errno) {
        try base.mount(source: source, target: target, type: type, flags: flags, data: data)
    }

    public func unmount(_ target: String, flags: Int32) throws(Errno) { try base.unmount(target, flags: flags) }

    public func filesystemType(_ path: String) throws(Errno) -> UInt64 { try base.filesystemType(path) }

    public func blockDeviceSize(_ fd: Int32) throws(Errno) -> UInt64 { try base.blockDeviceSize(fd) }

    public func logicalSectorSize(_ fd: Int32) throws(Errno) -> UInt32 { try base.logicalSectorSize(fd) }

    public func rereadPartitionTable(_ fd: Int32) throws(Errno) { try base.rereadPartitionTable(fd) }

    public func deviceMapperCreate(control: Int32, name: String, uuid: String?) throws(Errno) -> DeviceNumber {
        try base.deviceMapperCreate(control: control, name: name, uuid: uuid)
    }

    public func deviceMapperLoad(control: Int32, name: String, target: DeviceMapperTarget) throws(Errno) {
        try base.deviceMapperLoad(control: control, name: name, target: target)
    }

    public func deviceMapperResume(control: Int32, name: String) throws(Errno) -> DeviceNumber {
        try base.deviceMapperResume(control: control, name: name)
    }

    public func deviceMapperRemove(control: Int32, name: String) throws(Errno) {
        try base.deviceMapperRemove(control: control, name: name)
    }

    public func finitModule(_ fd: Int32, parameters: String, flags: Int32) throws(Errno) {
        try base.finitModule(fd, parameters: parameters, flags: flags)
    }

    public func kexecFileLoad(kernel: Int32, initrd: Int32?, commandLine: String, flags: UInt) throws(Errno) {
        try base.kexecFileLoad(kernel: kernel, initrd: initrd, commandLine: commandLine, flags: flags)
    }

    public func reboot(_ command: RebootCommand) throws(Errno) { try base.reboot(command) }

    public func watchdogSetTimeout(_ fd: Int32, seconds: Int32) throws(Errno) -> Int32 {
        try base.watchdogSetTimeout(fd, seconds: seconds)
    }

    public func watchdogKeepalive(_ fd: Int32) throws(Errno) { try base.watchdogKeepalive(fd) }
    // MARK: - Sockets (HTTPSource), kept in this one block so merges stay simple

    public func resolve(_ host: String, port: UInt16) throws(AddressLookupError) -> [SocketAddress] {
        try base.resolve(host, port: port)
    }

    public func socket(family: Int32) throws(Errno) -> Int32 { try base.socket(family: family) }

    public func connect(_ fd: Int32, to address: SocketAddress) throws(Errno) { try base.connect(fd, to: address) }

    public func send(_ fd: Int32, _ buffer: UnsafeRawBufferPointer) throws(Errno) -> Int { try base.send(fd, buffer) }

    public func recv(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) throws(Errno) -> Int {
        try base.recv(fd, into: buffer)
    }

    public func setTimeout(_ fd: Int32, _ direction: SocketDirection, _ timeout: Duration) throws(Errno) {
        try base.setTimeout(fd, direction, timeout)
    }

    // MARK: - Unix sockets and process handles (QMP, VMM), kept in this one block

    public func peerCredentials(_ fd: Int32) throws(Errno) -> PeerCredentials { try base.peerCredentials(fd) }

    public func shutdown(_ fd: Int32) throws(Errno) { try base.shutdown(fd) }

    public func poll(_ fd: Int32, events: Int16, timeout: Duration) throws(Errno) -> Int16 {
        try base.poll(fd, events: events, timeout: timeout)
    }

    public func pidfdOpen(_ pid: Int32) throws(Errno) -> Int32 { try base.pidfdOpen(pid) }

    public func pidfdSendSignal(_ pidfd: Int32, _ signal: Int32) throws(Errno) { try base.pidfdSendSignal(pidfd, signal) }

    public func waitNonBlocking(_ pid: Int32) throws(Errno) -> Int32? { try base.waitNonBlocking(pid) }

    public func spawnDetached(_ path: String, arguments: [String], environment: [String], output: Int32?) throws(Errno) -> Int32 {
        try base.spawnDetached(path, arguments: arguments, environment: environment, output: output)
    }
}
