import Glibc

extension SocketAddress {
    /// The `sockaddr_un` of a Unix socket at `path`; nil when the path does not fit
    /// `sun_path` (107 bytes and its NUL) or holds a NUL itself.
    public static func unix(_ path: String) -> SocketAddress? {
        let bytes = Array(path.utf8)
        let pathOffset = MemoryLayout<sa_family_t>.size
        let capacity = MemoryLayout<sockaddr_un>.size - pathOffset
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.contains(0) else { return nil }
        // `sun_family` in the host's byte order, then the path and its terminating NUL.
        let family = sa_family_t(AF_UNIX)
        let head = withUnsafeBytes(of: family) { Array($0) }
        return SocketAddress(family: AF_UNIX, bytes: head + bytes + [0])
    }

    /// For AF_UNIX, the path the address names.
    public var unixPath: String? {
        let pathOffset = MemoryLayout<sa_family_t>.size
        guard family == AF_UNIX, bytes.count > pathOffset else { return nil }
        return String(decoding: bytes[pathOffset...].prefix { $0 != 0 }, as: UTF8.self)
    }
}

extension SystemIO.Socket {
    /// Connects to the Unix stream socket at `path` (a QEMU's `-qmp unix:PATH,server=on`);
    /// `timeout` bounds the connect (a listener whose backlog is full) and, later, each send
    /// and each receive. Failures name `path`; a path too long for `sun_path` is
    /// ENAMETOOLONG.
    public static func connect(unixPath path: String, timeout: Duration) throws(SystemIOError) -> SystemIO.Socket {
        guard let address = SocketAddress.unix(path) else {
            throw SystemIOError(path, "connect", code: ENAMETOOLONG,
                                detail: "a Unix socket path must be 1 to 107 bytes without NUL")
        }
        return try connect(to: address, peer: path, timeout: timeout, calls: SystemIO.calls)
    }

    /// The process, user and group on the other end (SO_PEERCRED): for a socket connected
    /// to a listener, the process that listens (a QEMU on its QMP socket).
    public func peerCredentials() throws(SystemIOError) -> PeerCredentials {
        do {
            return try calls.peerCredentials(descriptor)
        } catch {
            throw SystemIOError(peer, "read the peer's credentials (SO_PEERCRED)", error)
        }
    }

    /// Shuts both directions down (shutdown(2)): a thread blocked receiving gets the end of
    /// the stream at once, and the descriptor stays open, so its number is not reused
    /// until the last reference is gone. Errors (a socket the peer already reset) are moot.
    public func shutdown() {
        try? calls.shutdown(descriptor)
    }
}
