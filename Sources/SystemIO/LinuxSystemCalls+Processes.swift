import CSyscalls
import Glibc

/// The Unix-socket and process-handle calls of the funnel (QMP, VMM), and the posix_spawn
/// both `spawn` and `spawnDetached` go through.
extension LinuxSystemCalls {
    public func peerCredentials(_ fd: Int32) throws(Errno) -> PeerCredentials {
        var credentials = PeerCredentials(pid: 0, uid: 0, gid: 0)
        try checkNegative(hostimg_peer_credentials(fd, &credentials.pid, &credentials.uid, &credentials.gid))
        return credentials
    }

    public func shutdown(_ fd: Int32) throws(Errno) {
        _ = try check(0, failed: Glibc.shutdown(fd, Int32(SHUT_RDWR)) != 0)
    }

    public func poll(_ fd: Int32, events: Int16, timeout: Duration) throws(Errno) -> Int16 {
        var entry = pollfd(fd: fd, events: events, revents: 0)
        let (seconds, attoseconds) = timeout.components
        // Whole milliseconds, rounded up so a short positive timeout still waits.
        let milliseconds = max(seconds, 0) * 1000 + (max(attoseconds, 0) + 999_999_999_999_999) / 1_000_000_000_000_000
        let count = Glibc.poll(&entry, 1, Int32(clamping: milliseconds))
        _ = try check(0, failed: count < 0)
        return count == 0 ? 0 : entry.revents
    }

    public func pidfdOpen(_ pid: Int32) throws(Errno) -> Int32 {
        let fd = hostimg_pidfd_open(pid)
        if fd < 0 { throw Errno(-fd) }
        return fd
    }

    public func pidfdSendSignal(_ pidfd: Int32, _ signal: Int32) throws(Errno) {
        try checkNegative(hostimg_pidfd_send_signal(pidfd, signal))
    }

    public func waitNonBlocking(_ pid: Int32) throws(Errno) -> Int32? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        _ = try check(0, failed: result < 0)
        return result == 0 ? nil : status
    }

    public func spawnDetached(_ path: String, arguments: [String], environment: [String], output: Int32?) throws(Errno) -> Int32 {
        try posixSpawn(path, arguments: arguments, environment: environment, output: output, detached: true)
    }

    /// posix_spawn(3): stdin /dev/null; stdout and stderr `output` when given, else inherited
    /// or, `detached`, /dev/null; `detached` also starts a new session, restores SIGPIPE's
    /// default action (a caller that ignores it must not pass that on to a VMM) and empties
    /// the signal mask: a thread of Swift's pool or of Dispatch blocks most signals, and a
    /// QEMU started from one would otherwise never see SIGTERM.
    func posixSpawn(_ path: String, arguments: [String], environment: [String], output: Int32?,
                    detached: Bool) throws(Errno) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if let output {
            posix_spawn_file_actions_adddup2(&actions, output, 1)
            posix_spawn_file_actions_adddup2(&actions, output, 2)
        } else if detached {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        if detached {
            var defaults = sigset_t()
            sigemptyset(&defaults)
            sigaddset(&defaults, SIGPIPE)
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            var mask = sigset_t()
            sigemptyset(&mask)
            posix_spawnattr_setsigmask(&attributes, &mask)
            posix_spawnattr_setflags(&attributes, hostimg_posix_spawn_setsid_flag() | Int16(POSIX_SPAWN_SETSIGDEF)
                                                  | Int16(POSIX_SPAWN_SETSIGMASK))
        }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, &argv, &envp)
        if result != 0 { throw Errno(result) }
        return pid
    }
}
