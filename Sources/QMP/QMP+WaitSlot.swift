import Synchronization

extension QMP {
    /// One answer someone waits for (a reply, an event, the greeting), finished once by
    /// whoever comes first: the reader thread with the answer, the timer with `.timedOut`,
    /// cancellation, or the end of the connection. Finishing before anyone waits is kept, so
    /// no order of those races loses a wake-up.
    final class WaitSlot<Value: Sendable>: Sendable {
        typealias Continuation = CheckedContinuation<Result<Value, QMPError>, Never>

        private enum Phase {
            case idle
            case waiting(Continuation)
            case finished(Result<Value, QMPError>)
        }

        private let phase = Mutex(Phase.idle)

        /// Finishes the slot, unless it already is: then `result` is dropped and the answer is
        /// false (a router then keeps an event for the next waiter).
        @discardableResult
        func finish(_ result: Result<Value, QMPError>) -> Bool {
            let (taken, waiter): (Bool, Continuation?) = phase.withLock { phase in
                switch phase {
                case .idle:
                    phase = .finished(result)
                    return (true, nil)
                case .waiting(let continuation):
                    phase = .finished(result)
                    return (true, continuation)
                case .finished:
                    return (false, nil)
                }
            }
            waiter?.resume(returning: result)
            return taken
        }

        /// The result, once finished; `timeout` finishes it with `.timedOut(what)` and task
        /// cancellation with `.cancelled`. One waiter per slot.
        func value(waitingFor what: String, timeout: Duration) async -> Result<Value, QMPError> {
            let timer = Task { [self] in
                do { try await Task.sleep(for: timeout) } catch { return }
                finish(.failure(.timedOut(what)))
            }
            defer { timer.cancel() }
            return await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: Continuation) in
                    let ready: Result<Value, QMPError>? = phase.withLock { phase in
                        switch phase {
                        case .idle:
                            phase = .waiting(continuation)
                            return nil
                        case .finished(let result):
                            return result
                        case .waiting:
                            return .failure(.protocolError("two waiters on one answer"))
                        }
                    }
                    if let ready { continuation.resume(returning: ready) }
                }
            } onCancel: {
                finish(.failure(.cancelled))
            }
        }
    }
}
