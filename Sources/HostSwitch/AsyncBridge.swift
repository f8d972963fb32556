import Glibc

/// Runs async work from the switch's synchronous code (the switch and the boot-time agent are
/// plain programs whose phases are sequential) and waits for it on the calling thread. The
/// caller is the program's main thread, never a thread of Swift's cooperative pool, so
/// blocking it cannot starve the task it waits for; the QMP client reads on threads of its
/// own, and every QMP wait has its own time-out, so the wait ends. Called from a pool thread
/// (an async test, an async command) it could starve the pool: HostSwitch enters it only when
/// there are VM sockets to talk to, which only a host has.
enum AsyncBridge {
    /// A one-shot box the task fills and the waiting thread empties.
    private final class Box<T: Sendable>: @unchecked Sendable {
        var mutex = pthread_mutex_t()
        var condition = pthread_cond_t()
        var value: Result<T, any Error>?

        init() {
            pthread_mutex_init(&mutex, nil)
            pthread_cond_init(&condition, nil)
        }

        deinit {
            pthread_cond_destroy(&condition)
            pthread_mutex_destroy(&mutex)
        }

        func fill(_ result: Result<T, any Error>) {
            pthread_mutex_lock(&mutex)
            value = result
            pthread_cond_signal(&condition)
            pthread_mutex_unlock(&mutex)
        }

        func take() -> Result<T, any Error> {
            pthread_mutex_lock(&mutex)
            while value == nil { pthread_cond_wait(&condition, &mutex) }
            let result = value ?? .failure(CancellationError())
            pthread_mutex_unlock(&mutex)
            return result
        }
    }

    static func wait<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let box = Box<T>()
        Task.detached {
            do {
                box.fill(.success(try await body()))
            } catch {
                box.fill(.failure(error))
            }
        }
        return try box.take().get()
    }
}
