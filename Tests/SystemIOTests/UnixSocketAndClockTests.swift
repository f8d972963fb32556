import Glibc
import Synchronization
import SystemIO
import Testing

@Suite("Unix socket addresses, the monotonic clock, threads") struct UnixSocketAndClockTests {
    @Test("a sockaddr_un holds the family, the path and a NUL; too long or NUL-holding paths are refused")
    func unixAddress() throws {
        let address = try #require(SocketAddress.unix("/run/hostimg/vms/web.qmp"))
        #expect(address.family == AF_UNIX)
        #expect(address.unixPath == "/run/hostimg/vms/web.qmp")
        #expect(address.description == "/run/hostimg/vms/web.qmp")
        #expect(address.bytes.count == 2 + 24 + 1 && address.bytes.last == 0)
        #expect(SocketAddress.unix("/" + String(repeating: "a", count: 106)) != nil)
        #expect(SocketAddress.unix("/" + String(repeating: "a", count: 107)) == nil)
        #expect(SocketAddress.unix("") == nil)
        #expect(SocketAddress.unix("/a\u{0}b") == nil)
    }

    @Test("monotonic instants move forward and measure a sleep")
    func monotonic() throws {
        let start = SystemIO.MonotonicInstant.now()
        usleep(20_000)
        let end = SystemIO.MonotonicInstant.now()
        #expect(end > start)
        #expect(end.duration(since: start) >= .milliseconds(20))
        #expect(start.duration(since: end) < .zero)
        #expect(start.advanced(by: .milliseconds(5)).duration(since: start) == .milliseconds(5))
        #expect(SystemIO.MonotonicInstant(nanoseconds: 1_000_002_000).description == "1.000002")
    }

    @Test("a started thread runs its body on another thread")
    func thread() async throws {
        let ran = Mutex<pthread_t?>(nil)
        try SystemIO.startThread(named: "test") { ran.withLock { $0 = pthread_self() } }
        for _ in 0..<500 where ran.withLock({ $0 == nil }) { try await Task.sleep(for: .milliseconds(2)) }
        let thread = try #require(ran.withLock { $0 })
        #expect(pthread_equal(thread, pthread_self()) == 0)
    }
}
