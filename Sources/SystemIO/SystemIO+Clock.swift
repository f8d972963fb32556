import Glibc

extension SystemIO {
    /// A point on CLOCK_MONOTONIC: never steps with the wall clock, shared by every process
    /// of one boot (so instants recorded by different processes compare), restarted by each
    /// boot, a kexec included. Read with clock_gettime(2), served by the vDSO: not a call a
    /// test fakes, so it is not in the funnel.
    public struct MonotonicInstant: Comparable, Hashable, Sendable, CustomStringConvertible {
        /// Nanoseconds since the clock's origin (about the boot).
        public var nanoseconds: UInt64

        public init(nanoseconds: UInt64) {
            self.nanoseconds = nanoseconds
        }

        /// Now.
        public static func now() -> MonotonicInstant {
            var time = timespec()
            clock_gettime(CLOCK_MONOTONIC, &time)
            return MonotonicInstant(nanoseconds: UInt64(max(time.tv_sec, 0)) * 1_000_000_000 + UInt64(max(time.tv_nsec, 0)))
        }

        /// The time from `earlier` to this instant (negative when `earlier` is later).
        public func duration(since earlier: MonotonicInstant) -> Duration {
            .nanoseconds(Int64(bitPattern: nanoseconds &- earlier.nanoseconds))
        }

        /// This instant moved by `duration`.
        public func advanced(by duration: Duration) -> MonotonicInstant {
            let (seconds, attoseconds) = duration.components
            let delta = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
            return MonotonicInstant(nanoseconds: UInt64(bitPattern: Int64(bitPattern: nanoseconds) &+ delta))
        }

        public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

        /// Seconds with microseconds, e.g. "1234.567890".
        public var description: String {
            let micro = nanoseconds / 1000
            let fraction = String(micro % 1_000_000)
            return "\(micro / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
        }
    }
}
