import SystemIO

extension QMP {
    /// QEMU's version from the greeting (`{"QMP": {"version": {"qemu": {"major": 7, ...},
    /// "package": ...}}}`).
    public struct Version: Hashable, Sendable, Comparable, CustomStringConvertible {
        public var major: Int
        public var minor: Int
        public var micro: Int
        /// The distribution's build ("Debian 1:7.2+dfsg-7+deb12u18+b3"), "" when none.
        public var package: String

        public init(major: Int, minor: Int, micro: Int, package: String = "") {
            self.major = major
            self.minor = minor
            self.micro = micro
            self.package = package
        }

        /// The version in a greeting; nil when it has none.
        init?(greeting: JSONValue) {
            let version = greeting["QMP"]?["version"]
            guard let qemu = version?["qemu"], let major = qemu["major"]?.int, let minor = qemu["minor"]?.int,
                  let micro = qemu["micro"]?.int
            else { return nil }
            self.init(major: major, minor: minor, micro: micro, package: version?["package"]?.string ?? "")
        }

        /// By major, minor, micro; the package does not order.
        public static func < (lhs: Version, rhs: Version) -> Bool {
            (lhs.major, lhs.minor, lhs.micro) < (rhs.major, rhs.minor, rhs.micro)
        }

        /// "7.2.22".
        public var description: String { "\(major).\(minor).\(micro)" }
    }

    /// An asynchronous event: `{"event": NAME, "data": {...}, "timestamp": {"seconds": S,
    /// "microseconds": U}}`.
    public struct Event: Hashable, Sendable, CustomStringConvertible {
        public var name: String
        /// The event's `data`; an empty object when it has none (STOP, RESUME).
        public var data: JSONValue
        /// QEMU's wall-clock time of the event.
        public var seconds: Int64
        public var microseconds: Int64

        public init(name: String, data: JSONValue = .object(JSONObject()), seconds: Int64 = 0, microseconds: Int64 = 0) {
            self.name = name
            self.data = data
            self.seconds = seconds
            self.microseconds = microseconds
        }

        /// The event a message carries; nil when it is no event.
        init?(message: JSONValue) {
            guard let name = message["event"]?.string else { return nil }
            self.init(
                name: name, data: message["data"] ?? .object(JSONObject()),
                seconds: message["timestamp"]?["seconds"]?.int64 ?? 0,
                microseconds: message["timestamp"]?["microseconds"]?.int64 ?? 0)
        }

        public var description: String { "\(name) \(data)" }
    }

    /// The process on the other end of the QMP socket (SO_PEERCRED): the QEMU itself.
    public typealias PeerProcess = PeerCredentials
}
