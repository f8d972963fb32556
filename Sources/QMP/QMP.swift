/// QEMU Machine Protocol (QMP): the JSON control protocol a QEMU serves on
/// `-qmp unix:PATH,server=on,wait=off` (QEMU's docs/interop/qmp-spec.rst).
///
/// ```
/// QEMU ──► {"QMP": {"version": ..., "capabilities": [...]}}        greeting
///      ◄── {"execute": "qmp_capabilities", "id": 1}                 leaves negotiation mode
///      ──► {"return": {}, "id": 1}
///      ◄── {"execute": "stop", "id": 2}
///      ──► {"timestamp": {...}, "event": "STOP"}                    events at any time,
///      ──► {"return": {}, "id": 2}                                  before or after replies
/// ```
///
/// How the client waits without holding Swift's cooperative threads (two on a 2-core host):
///
/// ```
///  reader thread (one per connection, a POSIX thread of its own: SystemIO.startThread)
///     recv(2) blocks here, never in the pool; each receive is bounded by SO_RCVTIMEO and
///     simply repeats, and close() shuts the socket down, which ends the blocked recv at once
///     │ splits lines, parses JSON, routes each message under one Mutex:
///     ├─ {"QMP": ...}            → the greeting's wait slot
///     ├─ {"return"/"error", id}  → the wait slot of the command with that id (late replies,
///     │                            whose waiter timed out, are dropped)
///     └─ {"event": ...}          → the first waiter for that name, else a bounded queue
///  callers (async): execute / waitForEvent register a WaitSlot, then suspend on a
///     continuation; a timer Task (Task.sleep, no thread held) finishes the slot with
///     .timedOut, task cancellation with .cancelled, the end of the connection with .closed.
///     Whichever comes first wins; sends happen on the caller's thread, bounded by
///     SO_SNDTIMEO (commands are a few hundred bytes).
/// ```
///
/// Every wait has a time-out: connecting (and, with `waitForListener`, waiting for the
/// socket to appear), the greeting, each reply, each event.
public enum QMP {}
