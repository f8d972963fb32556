import Glibc
import Synchronization
import SystemIO

extension QMP {
    /// One QMP socket: the reader thread's routing and the state callers wait on (QMP.swift
    /// draws how they meet). Shared by the `Client` and the reader thread; the socket's
    /// descriptor is closed when both let go, so its number is never reused under either.
    final class Connection: Sendable {
        /// Events kept for a later `waitForEvent`; older ones are dropped past this.
        static let eventQueueLimit = 256
        /// A line longer than this is a protocol error (query-qmp-schema is about 200 KB).
        static let messageLimit = 16 << 20

        struct State {
            /// Why the connection is over; nil while it is open.
            var ended: QMPError?
            var replies: [Int: WaitSlot<JSONValue>] = [:]
            var nextID = 1
            var events: [Event] = []
            var droppedEvents = 0
            var eventWaiters: [(token: Int, names: Set<String>, slot: WaitSlot<Event>)] = []
            var nextToken = 1
        }

        let socket: SystemIO.Socket
        let path: String
        let greeting = WaitSlot<JSONValue>()
        let state = Mutex(State())
        /// Held while a command's bytes go out, so two tasks' commands never interleave.
        private let sending = Mutex(())

        init(socket: SystemIO.Socket, path: String) {
            self.socket = socket
            self.path = path
        }

        /// Starts the reader thread.
        func start() throws(QMPError) {
            do {
                try SystemIO.startThread(named: "QMP reader for \(path)") { [self] in readLoop() }
            } catch {
                throw .io(error)
            }
        }

        /// Ends the connection from this side: waiters get `.closed`, the reader thread wakes
        /// from its receive and stops.
        func close() {
            end(.closed)
            socket.shutdown()
        }

        /// Marks the connection over (the first reason stays) and finishes every waiter.
        func end(_ reason: QMPError) {
            let (replies, waiters) = state.withLock { state in
                if state.ended == nil { state.ended = reason }
                defer {
                    state.replies = [:]
                    state.eventWaiters = []
                }
                return (Array(state.replies.values), state.eventWaiters.map(\.slot))
            }
            greeting.finish(.failure(reason))
            for slot in replies { slot.finish(.failure(reason)) }
            for slot in waiters { slot.finish(.failure(reason)) }
        }

        /// Sends one message and its newline. A send that finds the peer gone is `.closed`,
        /// one that SO_SNDTIMEO cuts short is `.timedOut`.
        func send(_ message: JSONValue, what: String) throws(QMPError) {
            let bytes = Array((message.serialized + "\n").utf8)
            do {
                try sending.withLock { _ throws(SystemIOError) in try socket.send(bytes) }
            } catch where [EPIPE, ECONNRESET, ENOTCONN].contains(error.code) {
                throw .closed
            } catch where error.code == ETIMEDOUT {
                throw .timedOut("\(path) to take \(what) (a full socket buffer: QEMU does not read)")
            } catch {
                throw .io(error)
            }
        }

        // MARK: - The reader thread

        /// Receives until the stream ends, handing each line to `route`.
        private func readLoop() {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 64 << 10)
            while true {
                let received = buffer.withUnsafeMutableBytes { raw in
                    Result { () throws(SystemIOError) in try socket.receive(into: raw) }
                }
                switch received {
                case .failure(let error) where error.code == ETIMEDOUT:
                    // SO_RCVTIMEO passed with nothing to read: QEMU is quiet, not gone.
                    if state.withLock({ $0.ended != nil }) { return }
                    continue
                case .failure(let error):
                    end([ECONNRESET, EPIPE].contains(error.code) ? .closed : .io(error))
                    return
                case .success(0):
                    end(.closed)
                    return
                case .success(let count):
                    pending += buffer[0..<count]
                }
                guard takeLines(from: &pending) else {
                    socket.shutdown()
                    return
                }
            }
        }

        /// Routes every complete line in `pending` and keeps the rest; false once the
        /// connection had to end (invalid JSON, an overlong line).
        private func takeLines(from pending: inout [UInt8]) -> Bool {
            var start = 0
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[start..<newline]
                start = newline + 1
                guard line.contains(where: { ![0x20, 0x09, 0x0D].contains($0) }) else { continue }
                let message: JSONValue
                do {
                    message = try JSONValue(parsing: Array(line))
                } catch {
                    end(.protocolError("QEMU sent invalid JSON (\(error)): \(String(decoding: line.prefix(200), as: UTF8.self))"))
                    return false
                }
                guard route(message) else { return false }
            }
            pending.removeFirst(start)
            if pending.count > Self.messageLimit {
                end(.protocolError("a message longer than \(Self.messageLimit) bytes"))
                return false
            }
            return true
        }

        /// Hands one message to whoever waits for it; false when it ended the connection.
        private func route(_ message: JSONValue) -> Bool {
            if let event = Event(message: message) {
                deliver(event)
                return true
            }
            if message["QMP"] != nil {
                greeting.finish(.success(message))
                return true
            }
            if message["return"] != nil || message["error"] != nil {
                deliverReply(message)
                return true
            }
            end(.protocolError("a message that is no greeting, reply or event: \(String(message.serialized.prefix(200)))"))
            return false
        }

        /// A reply goes to the command with its id; one without an id (QEMU could not read
        /// a command) fails every command waiting, since it cannot say which.
        private func deliverReply(_ message: JSONValue) {
            let result: Result<JSONValue, QMPError>
            if let error = message["error"] {
                result = .failure(.command(class: error["class"]?.string ?? "", description: error["desc"]?.string ?? "\(error)"))
            } else {
                result = .success(message["return"] ?? .null)
            }
            guard let id = message["id"]?.int else {
                let waiting = state.withLock { state in
                    defer { state.replies = [:] }
                    return Array(state.replies.values)
                }
                let reason = QMPError.protocolError("a reply without an id: \(String(message.serialized.prefix(200)))")
                for slot in waiting { slot.finish(.failure(reason)) }
                return
            }
            // No waiter: the command timed out and its late reply is dropped.
            let slot = state.withLock { $0.replies.removeValue(forKey: id) }
            slot?.finish(result)
        }

        /// An event goes to the first live waiter for its name, else into the queue. Slots are
        /// finished under the state's lock (lock order: state, then slot; nothing takes them
        /// the other way), so an event never lands on a waiter that just timed out.
        private func deliver(_ event: Event) {
            state.withLock { state in
                while let index = state.eventWaiters.firstIndex(where: { $0.names.contains(event.name) }) {
                    if state.eventWaiters.remove(at: index).slot.finish(.success(event)) { return }
                }
                state.events.append(event)
                if state.events.count > Self.eventQueueLimit {
                    state.events.removeFirst()
                    state.droppedEvents += 1
                }
            }
        }

        // MARK: - Waiting (callers)

        /// Sends `command` and waits for its reply.
        func execute(_ command: String, arguments: JSONValue?, timeout: Duration) async -> Result<JSONValue, QMPError> {
            let slot = WaitSlot<JSONValue>()
            let id: Int? = state.withLock { state in
                if let ended = state.ended {
                    slot.finish(.failure(ended))
                    return nil
                }
                let id = state.nextID
                state.nextID += 1
                state.replies[id] = slot
                return id
            }
            if let id {
                var message: JSONObject = JSONObject([JSONObject.Member(key: "execute", value: .string(command))])
                if let arguments { message["arguments"] = arguments }
                message["id"] = .integer(id)
                do {
                    try send(.object(message), what: command)
                } catch {
                    slot.finish(.failure(error))
                }
            }
            let result = await slot.value(waitingFor: "QEMU's reply to \(command) on \(path)", timeout: timeout)
            if let id { state.withLock { _ = $0.replies.removeValue(forKey: id) } }
            return result
        }

        /// The first queued event named one of `names`, else the next one to arrive.
        func waitForEvent(_ names: Set<String>, timeout: Duration) async -> Result<Event, QMPError> {
            let slot = WaitSlot<Event>()
            let token: Int? = state.withLock { state in
                if let index = state.events.firstIndex(where: { names.contains($0.name) }) {
                    slot.finish(.success(state.events.remove(at: index)))
                    return nil
                }
                if let ended = state.ended {
                    slot.finish(.failure(ended))
                    return nil
                }
                let token = state.nextToken
                state.nextToken += 1
                state.eventWaiters.append((token, names, slot))
                return token
            }
            let what = "the event \(names.sorted().joined(separator: " or ")) on \(path)"
            let result = await slot.value(waitingFor: what, timeout: timeout)
            if let token { state.withLock { $0.eventWaiters.removeAll { $0.token == token } } }
            return result
        }
    }
}
