import Glibc

extension SystemIO {
    /// Runs `body` on a new detached POSIX thread of its own, outside Swift's cooperative
    /// pool: for a loop that blocks in a system call (a QMP connection's reader), which
    /// must not hold one of the pool's few threads. `name` says what the thread is for, in the
    /// error when it cannot start. Thread creation is libc's, not a kernel call a test
    /// fakes, so it is not in the funnel.
    public static func startThread(named name: String, _ body: @escaping @Sendable () -> Void) throws(SystemIOError) {
        let context = Unmanaged.passRetained(ThreadBody(body: body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let result = pthread_create(&thread, &attributes, { context in
            guard let context else { return nil }
            let work = Unmanaged<ThreadBody>.fromOpaque(context).takeRetainedValue()
            work.body()
            return nil
        }, context)
        if result != 0 {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            throw SystemIOError(name, "start a thread", code: result)
        }
    }
}

/// What a started thread runs, passed through pthread_create's context pointer.
private final class ThreadBody {
    let body: @Sendable () -> Void

    init(body: @escaping @Sendable () -> Void) {
        self.body = body
    }
}
