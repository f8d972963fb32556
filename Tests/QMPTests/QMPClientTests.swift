import Glibc
import QMP
import Testing
import TestSupport

/// The client against a scripted server (FakeQMPServer): negotiation, replies matched by id,
/// events queued around replies, and every way a wait can end badly. Each test runs at high
/// priority (`urgently`): its time-outs are wall-clock bounds, and at the default priority its
/// jobs would queue behind the whole run's CPU-bound tests on a machine of two cores.
@Suite("QMP client against a fake server") struct QMPClientTests {
    @Test("connects: greeting, version, capabilities, negotiation, the peer's credentials")
    func connects() async throws {
        try await urgently {
            let directory = try ScratchDirectory()
            let server = try FakeQMPServer(in: directory) { peer in
                peer.greetAndNegotiate()
                if let command = peer.receive() { peer.reply(to: command, #"{"status": "running", "running": true}"#) }
            }
            let client = try await QMP.Client.connect(path: server.path, timeout: .seconds(600))
            #expect(client.version == QMP.Version(major: 7, minor: 2, micro: 22, package: "Debian test"))
            #expect(client.version >= QMP.Version(major: 7, minor: 2, micro: 0))
            #expect(client.capabilities == ["oob"])
            // The fake server runs in this process, so the socket's peer is this process.
            #expect(client.peerProcess == QMP.PeerProcess(pid: getpid(), uid: getuid(), gid: getgid()))
            let status = try await client.execute("query-status")
            #expect(status["status"]?.string == "running")
            client.close()
            server.waitUntilDone()
        }
    }

    @Test("an error reply throws its class and description")
    func errorReply() async throws {
        try await urgently {
            let directory = try ScratchDirectory()
            let server = try FakeQMPServer(in: directory) { peer in
                peer.greetAndNegotiate()
                guard let command = peer.receive() else { return }
                let id = command["id"]?.serialized ?? "null"
                peer.send(#"{"error": {"class": "CommandNotFound", "desc": "The command query-nothing has not been found"}, "id": \#(id)}"#)
            }
            let client = try await QMP.Client.connect(path: server.path, timeout: .seconds(600))
            await #expect(throws: QMPError.command(class: "CommandNotFound", description: "The command query-nothing has not been found")) {
                try await client.execute("query-nothing")
            }
            client.close()
            server.waitUntilDone()
        }
    }

    @Test("events before, between and after replies are queued or handed to their waiter; replies go by id")
    func eventsInterleaved() async throws {
        try await urgently {
            let directory = try ScratchDirectory()
            let server = try FakeQMPServer(in: directory) { peer in
                peer.greetAndNegotiate()
                guard let first = peer.receive(), let second = peer.receive() else { return }
                peer.event("STOP")
                peer.send(#"{"return": {"stale": true}, "id": 999}"#)  // a reply nobody waits for
                peer.event("MIGRATION", data: #"{"status": "setup"}"#)
                // Answered in the opposite order to the one they were sent in.
                peer.reply(to: second, #"{"which": "second"}"#)
                peer.reply(to: first, #"{"which": "first"}"#)
                guard let cont = peer.receive(), cont["execute"]?.string == "cont" else { return }
                peer.reply(to: cont, "{}")
                usleep(200_000)
                peer.event("RESUME")
            }
            let client = try await QMP.Client.connect(path: server.path, timeout: .seconds(600))
            async let first = client.execute("stop", arguments: ["which": "first"])
            try await Task.sleep(for: .milliseconds(50))  // so the server sees them in this order
            async let second = client.execute("query-status")
            #expect(try await first["which"]?.string == "first")
            #expect(try await second["which"]?.string == "second")
            // Both events came before the replies: they wait in the queue, each for its name.
            let migration = try await client.waitForEvent(["MIGRATION"], timeout: .seconds(600))
            #expect(migration.data["status"]?.string == "setup")
            let stop = try await client.waitForEvent(["STOP", "SHUTDOWN"], timeout: .seconds(600))
            #expect(stop.name == "STOP")
            #expect(stop.seconds == 1_700_000_000 && stop.microseconds == 123_456)
            #expect(stop.data == .object(JSONObject()))
            #expect(client.takeEvents().isEmpty)
            // An event that comes while someone waits goes straight to that waiter.
            try await client.execute("cont")
            let resume = try await client.waitForEvent(["RESUME"], timeout: .seconds(600))
            #expect(resume.name == "RESUME")
            client.close()
            server.waitUntilDone()
        }
    }

    @Test("a reply that does not come times out; the late reply is dropped and the next command works")
    func replyTimeout() async throws {
        try await urgently {
            let directory = try ScratchDirectory()
            let server = try FakeQMPServer(in: directory) { peer in
                peer.greetAndNegotiate()
                guard let slow = peer.receive(), let next = peer.receive() else { return }
                peer.reply(to: slow, #"{"late": true}"#)
                peer.reply(to: next, #"{"late": false}"#)
            }
            let client = try await QMP.Client.connect(path: server.path, timeout: .seconds(600))
            let started = ContinuousClock.now
            await #expect(throws: QMPError.timedOut("QEMU's reply to query-migrate on \(server.path)")) {
                try await client.execute("query-migrate", timeout: .milliseconds(200))
            }
            #expect(ContinuousClock.now - started < .seconds(300), "a time-out did not end the wait")
            let answer = try await client.execute("query-status")
            #expect(answer["late"]?.bool == false)
            client.close()
            server.waitUntilDone()
        }
    }

    @Test("an event that does not come times out; a cancelled wait ends at once")
    func eventTimeoutAndCancellation() async throws {
        try await urgently {
            let directory = try ScratchDirectory()
            let server = try FakeQMPServer(in: directory) { peer in
                peer.greetAndNegotiate()
                _ = peer.receive()  // until the client closes
            }
            let client = try await QMP.Client.connect(path: server.path, timeout: .seconds(600))
            await #expect(throws: QMPError.timedOut("the event RESUME or STOP on \(server.path)")) {
                try await client.waitForEvent(["STOP", "RESUME"], timeout: .milliseconds(150))
            }
            let waiting = Task { try await client.waitForEvent(["SHUTDOWN"], timeout: .seconds(30)) }
            try await Task.sleep(for: .milliseconds(50))
            waiting.cancel()
            await #expect(throws: QMPError.cancelled) { try await waiting.value }
            client.close()
            server.waitUntilDone()
        }
    }

    @Test("a server that closes ends every wait with .closed, and later commands too")
    func serverCloses() async throws {
        try await urgently {
            let directory = try ScratchDirectory()
            let server = try FakeQMPServer(in: directory) { peer in
                peer.greetAndNegotiate()
                _ = peer.receive()
                peer.event("SHUTDOWN", data: #"{"guest": false, "reason": "host-qmp-quit"}"#)
            }
            let client = try await QMP.Client.connect(path: server.path, timeout: .seconds(600))
            await #expect(throws: QMPError.closed) { try await client.execute("quit") }
            await #expect(throws: QMPError.closed) { try await client.execute("query-status") }
            #expect(client.endReason == .closed)
            // An event that came before the close is still there to be taken.
            let shutdown = try await client.waitForEvent(["SHUTDOWN"], timeout: .seconds(600))
            #expect(shutdown.data["reason"]?.string == "host-qmp-quit")
            await #expect(throws: QMPError.closed) { try await client.waitForEvent(["STOP"], timeout: .seconds(1)) }
            server.waitUntilDone()
        }
    }

    @Test("invalid JSON from the server is a protocol error naming the offset")
    func invalidJSON() async throws {
        try await urgently {
            let directory = try ScratchDirectory()
            let server = try FakeQMPServer(in: directory) { peer in
                peer.greetAndNegotiate()
                _ = peer.receive()
                peer.send(#"{"return": {"status": runn}}"#)
                _ = peer.receive()
            }
            let client = try await QMP.Client.connect(path: server.path, timeout: .seconds(600))
            await #expect {
                try await client.execute("query-status")
            } throws: { error in
                guard case .protocolError(let reason) = error as? QMPError else { return false }
                return reason.contains("invalid JSON at byte 22")
            }
            client.close()
            server.waitUntilDone()
        }
    }

    @Test("a server that accepts but never greets times out within the connect time-out")
    func greetingTimeout() async throws {
        try await urgently {
            let directory = try ScratchDirectory()
            let server = try FakeQMPServer(in: directory) { peer in _ = peer.receive() }
            let started = ContinuousClock.now
            await #expect {
                try await QMP.Client.connect(path: server.path, timeout: .milliseconds(300))
            } throws: { error in
                guard case .timedOut(let what) = error as? QMPError else { return false }
                return what.contains("greeting")
            }
            #expect(ContinuousClock.now - started < .seconds(300), "a time-out did not end the wait")
            server.waitUntilDone()
        }
    }

    @Test("no socket: .connect with ENOENT at once, or a time-out while waiting for a listener")
    func noListener() async throws {
        try await urgently {
            let directory = try ScratchDirectory()
            let path = directory.path("absent.qmp")
            await #expect(throws: QMPError.connect(path: path, errno: ENOENT)) {
                try await QMP.Client.connect(path: path, timeout: .seconds(1))
            }
            await #expect {
                try await QMP.Client.connect(path: path, timeout: .milliseconds(200), waitForListener: true)
            } throws: { error in
                guard case .timedOut(let what) = error as? QMPError else { return false }
                return what.contains(path) && what.contains("No such file")
            }
            let tooLong = "/" + String(repeating: "x", count: 200)
            await #expect(throws: QMPError.connect(path: tooLong, errno: ENAMETOOLONG)) {
                try await QMP.Client.connect(path: tooLong, timeout: .seconds(1))
            }
        }
    }

    @Test("waiting for a listener that appears later connects")
    func listenerAppears() async throws {
        try await urgently {
            let directory = try ScratchDirectory()
            let path = directory.path("late.qmp")
            let late = Task {
                try await Task.sleep(for: .milliseconds(150))
                return try FakeQMPServer(path: path) { peer in
                    peer.greetAndNegotiate()
                    _ = peer.receive()
                }
            }
            let client = try await QMP.Client.connect(path: path, timeout: .seconds(600), waitForListener: true)
            #expect(client.version.major == 7)
            client.close()
            try await late.value.waitUntilDone()
        }
    }
}
