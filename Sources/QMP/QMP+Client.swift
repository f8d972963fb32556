import Glibc
import SystemIO

extension QMP {
    /// A connection to one QEMU's QMP socket, past capability negotiation.
    ///
    /// ```swift
    /// let client = try await QMP.Client.connect(path: "/run/hostimg/vms/web.qmp", timeout: .seconds(5))
    /// defer { client.close() }
    /// _ = try await client.execute("stop")
    /// let status = try await client.execute("query-status")   // {"status": "paused", "running": false}
    /// ```
    ///
    /// Any number of tasks may use one client at once: replies are matched to commands by
    /// `id`, events are queued until someone waits for them. Closing (or dropping the last
    /// reference) ends the connection; QEMU then accepts the next client.
    public final class Client: Sendable {
        /// The socket's path, for messages.
        public let path: String
        /// QEMU's version, from the greeting.
        public let version: Version
        /// The capabilities the greeting offered ("oob"); none is enabled.
        public let capabilities: [String]
        /// The QEMU process at the other end (SO_PEERCRED), as it was when it listened.
        public let peerProcess: PeerProcess
        /// The time-out of a reply or event wait that names none.
        public let timeout: Duration
        let connection: Connection

        private init(connection: Connection, greeting: JSONValue, peer: PeerProcess, timeout: Duration) throws(QMPError) {
            guard let version = Version(greeting: greeting) else {
                throw .protocolError("a greeting without a QEMU version: \(greeting)")
            }
            self.connection = connection
            self.path = connection.path
            self.version = version
            self.capabilities = greeting["QMP"]?["capabilities"]?.array?.compactMap(\.string) ?? []
            self.peerProcess = peer
            self.timeout = timeout
        }

        deinit { connection.close() }

        /// Connects to the QMP socket at `path`, reads the greeting and negotiates
        /// (`qmp_capabilities`), all within `timeout`, which also becomes the client's
        /// default time-out. With `waitForListener`, a socket that does not exist yet or
        /// does not accept yet (a QEMU still starting) is retried every 10 ms until then.
        ///
        /// A QEMU serves one QMP client at a time: while another is connected, the greeting
        /// does not come and this times out.
        public static func connect(path: String, timeout: Duration = .seconds(10),
                                   waitForListener: Bool = false) async throws(QMPError) -> Client {
            let deadline = SystemIO.MonotonicInstant.now().advanced(by: timeout)
            let socket = try await connectSocket(path: path, deadline: deadline, timeout: timeout, retry: waitForListener)
            let peer: PeerProcess
            do {
                peer = try socket.peerCredentials()
            } catch {
                throw .io(error)
            }
            let connection = Connection(socket: socket, path: path)
            try connection.start()
            let remaining = deadline.duration(since: .now())
            let what = "the QMP greeting on \(path) (QEMU serves one client at a time: is another connected?)"
            let greeting = await connection.greeting.value(waitingFor: what, timeout: remaining)
            let client: Client
            do {
                client = try Client(
                    connection: connection, greeting: try greeting.get(),
                    peer: peer, timeout: timeout)
            } catch {
                connection.close()
                throw error
            }
            _ = try await client.execute("qmp_capabilities", timeout: deadline.duration(since: .now()))
            return client
        }

        /// One connect attempt after another until `deadline` when `retry`: ENOENT and
        /// ECONNREFUSED are what a QEMU that has not bound its socket yet gives.
        private static func connectSocket(path: String, deadline: SystemIO.MonotonicInstant, timeout: Duration,
                                          retry: Bool) async throws(QMPError) -> SystemIO.Socket {
            while true {
                let remaining = deadline.duration(since: .now())
                do {
                    // The socket's time-out also paces the reader thread's idle wake-ups, so it
                    // is the whole `timeout`, not what is left of it: a connect only blocks on
                    // a listener whose backlog is full.
                    return try SystemIO.Socket.connect(unixPath: path, timeout: max(timeout, .milliseconds(100)))
                } catch where error.code == ETIMEDOUT {
                    throw .timedOut("\(path) to accept the connection")
                } catch where retry && [ENOENT, ECONNREFUSED].contains(error.code) {
                    guard remaining > .zero else {
                        throw .timedOut("a QMP socket at \(path) to accept (the last attempt: \(error.reason))")
                    }
                    do {
                        try await Task.sleep(for: min(.milliseconds(10), remaining))
                    } catch {
                        throw .cancelled
                    }
                } catch {
                    throw .connect(path: path, errno: error.code)
                }
            }
        }

        /// Runs `command` with `arguments` (an object, or nil for none) and returns its
        /// `return` value; an `error` reply throws `.command`. Waits at most `timeout`
        /// (the client's by default) for the reply.
        @discardableResult
        public func execute(_ command: String, arguments: JSONValue? = nil, timeout: Duration? = nil) async throws(QMPError) -> JSONValue {
            try await connection.execute(command, arguments: arguments, timeout: timeout ?? self.timeout).get()
        }

        /// The oldest queued event named one of `names` (taking it from the queue), else the
        /// next one that arrives within `timeout` (the client's by default). Events of other
        /// names stay queued.
        public func waitForEvent(_ names: Set<String>, timeout: Duration? = nil) async throws(QMPError) -> Event {
            try await connection.waitForEvent(names, timeout: timeout ?? self.timeout).get()
        }

        /// Takes every queued event, oldest first (to start waiting from a clean queue).
        public func takeEvents() -> [Event] {
            connection.state.withLock { state in
                defer { state.events = [] }
                return state.events
            }
        }

        /// Events dropped because nobody took them and the queue was full.
        public var droppedEvents: Int { connection.state.withLock { $0.droppedEvents } }

        /// Why the connection is over (`.closed` when QEMU or `close()` ended it); nil while
        /// it is open.
        public var endReason: QMPError? { connection.state.withLock { $0.ended } }

        /// Ends the connection: waiting calls throw `.closed`.
        public func close() { connection.close() }
    }
}
