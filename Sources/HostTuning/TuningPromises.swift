/// What an image's tuning promises its host (TUNING.md), in the one file both sides read:
/// the build renders it from the manifest into `/usr/lib/hostimg/tuning.conf`, the agent
/// applies the run-time parts at boot (per-node pools, vfio bindings) and checks every
/// promise in the health gate, so a host whose tuning did not take effect is not blessed.
///
/// The file is lines of words, one promise per line, `#` comments:
///
/// ```
/// cmdline default_hugepagesz=2M          a parameter /proc/cmdline must carry
/// pool 2048 64                           2048 kB pages: 64 in all (command line)
/// pool 2048 32 node=1                    ... of which node 1 holds exactly 32 (early unit)
/// mount /dev/hugepages 2048 dpdk 0770    hugetlbfs mount: page size in kB, group, mode
/// vfio 0000:00:03.0                      bound to vfio-pci (by driver_override)
/// keep 0000:00:02.0                      never bound to vfio-pci (the management NIC)
/// device-group dpdk                      /dev/vfio/N belongs to this group
/// affinity 0                             the CPUs systemd and its services run on
/// preserved 1073741824 4294967296 /run/hostimg/preserved
///                                        the memmap= region: size and physical offset in
///                                        bytes, where its DAX file system is mounted
/// ```
///
/// A line this version does not know is an error: an agent older than the image must not
/// pass a host it cannot check.
public struct TuningPromises: Sendable, Equatable {
    public struct Pool: Sendable, Equatable {
        public var sizeKB: UInt64
        public var count: Int
        /// nil: a command-line pool (the count is the system-wide total of that size).
        public var node: Int?

        public init(sizeKB: UInt64, count: Int, node: Int? = nil) {
            self.sizeKB = sizeKB
            self.count = count
            self.node = node
        }
    }

    public struct Mount: Sendable, Equatable {
        public var path: String
        public var pageSizeKB: UInt64
        /// nil: root's group.
        public var group: String?
        /// Permission bits, e.g. 0o770.
        public var mode: UInt32

        public init(path: String, pageSizeKB: UInt64, group: String?, mode: UInt32) {
            self.path = path
            self.pageSizeKB = pageSizeKB
            self.group = group
            self.mode = mode
        }
    }

    /// The preserved-memory region (`tuning.preservedMemory`): the `memmap=SIZE!OFFSET` range
    /// the kernel leaves alone, and where `hostimg-agent preserved mount` mounts its DAX file
    /// system.
    public struct Preserved: Sendable, Equatable {
        public var size: UInt64
        /// The physical address of the first byte.
        public var offset: UInt64
        public var path: String

        public init(size: UInt64, offset: UInt64, path: String) {
            self.size = size
            self.offset = offset
            self.path = path
        }

        /// One past the last byte (saturating: a parsed region never wraps).
        public var end: UInt64 { offset.addingReportingOverflow(size).overflow ? .max : offset + size }

        /// `memmap=1G!4G`: the kernel parameter that reserves the region (sizes as the
        /// kernel's memparse reads them).
        public var kernelParameter: String { "memmap=\(TuningPromises.kernelSize(size))!\(TuningPromises.kernelSize(offset))" }
    }

    /// `2M`, `1G`, `1536K`: the shortest exact form with the suffixes the kernel's memparse
    /// reads (and the manifest writes).
    public static func kernelSize(_ bytes: UInt64) -> String {
        for (suffix, shift) in [("T", 40), ("G", 30), ("M", 20), ("K", 10)] as [(String, UInt64)] {
            if bytes >= 1 << shift, bytes % (1 << shift) == 0 { return "\(bytes >> shift)\(suffix)" }
        }
        return "\(bytes)"
    }

    public static let path = "/usr/lib/hostimg/tuning.conf"

    public var commandLine: [String] = []
    public var pools: [Pool] = []
    public var mounts: [Mount] = []
    public var vfioDevices: [String] = []
    /// Devices that must not be on vfio-pci (the management NIC).
    public var keptDevices: [String] = []
    /// The group that owns `/dev/vfio/N` (non-root DPDK).
    public var deviceGroup: String?
    /// The housekeeping CPU list systemd's services are confined to.
    public var affinity: String?
    public var preserved: Preserved?

    public init() {}

    public var isEmpty: Bool { self == TuningPromises() }

    /// Pools per page size: the system-wide count (command line plus node pools) and the
    /// per-node counts, as the host's sysfs shows them.
    public var expectedTotals: [UInt64: Int] {
        var totals: [UInt64: Int] = [:]
        for pool in pools { totals[pool.sizeKB, default: 0] += pool.count }
        return totals
    }

    /// The file's text, `header` lines first as comments.
    public func encoded(header: [String] = []) -> String {
        var lines = header.map { "# " + $0 }
        lines += commandLine.map { "cmdline \($0)" }
        lines += pools.map { pool in "pool \(pool.sizeKB) \(pool.count)" + (pool.node.map { " node=\($0)" } ?? "") }
        lines += mounts.map { "mount \($0.path) \($0.pageSizeKB) \($0.group ?? "-") \(Self.octal($0.mode))" }
        lines += vfioDevices.map { "vfio \($0)" }
        lines += keptDevices.map { "keep \($0)" }
        if let deviceGroup { lines.append("device-group \(deviceGroup)") }
        if let affinity { lines.append("affinity \(affinity)") }
        if let preserved { lines.append("preserved \(preserved.size) \(preserved.offset) \(preserved.path)") }
        return lines.joined(separator: "\n") + "\n"
    }

    public static func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// A line of a tuning file that cannot be read; `line` counts from 1.
public struct TuningPromisesError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public var description: String { "line \(line): \(message)" }
}

extension TuningPromises {
    /// Reads the file's text; every line must be a promise this version knows.
    public static func parse(_ text: String) throws(TuningPromisesError) -> TuningPromises {
        var promises = TuningPromises()
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.prefix { $0 != "#" }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard let kind = words.first else { continue }
            let number = index + 1
            func fail(_ message: String) -> TuningPromisesError { TuningPromisesError(line: number, message: message) }
            let arguments = Array(words.dropFirst())
            switch (kind, arguments.count) {
            case ("cmdline", 1): promises.commandLine.append(arguments[0])
            case ("pool", 2), ("pool", 3): promises.pools.append(try parsePool(arguments, fail: fail))
            case ("mount", 4): promises.mounts.append(try parseMount(arguments, fail: fail))
            case ("vfio", 1), ("keep", 1):
                guard PCIAddress.isValid(arguments[0]) else { throw fail("'\(arguments[0])' is not a PCI address DDDD:BB:DD.F") }
                if kind == "vfio" { promises.vfioDevices.append(arguments[0]) } else { promises.keptDevices.append(arguments[0]) }
            case ("device-group", 1): promises.deviceGroup = arguments[0]
            case ("affinity", 1):
                guard CPUList.parse(arguments[0]) != nil else { throw fail("'\(arguments[0])' is not a CPU list") }
                promises.affinity = arguments[0]
            case ("preserved", 3):
                guard let size = UInt64(arguments[0]), size > 0, let offset = UInt64(arguments[1]),
                      !offset.addingReportingOverflow(size).overflow, arguments[2].hasPrefix("/") else {
                    throw fail("preserved needs SIZE OFFSET PATH (bytes, bytes, an absolute path), got '\(arguments.joined(separator: " "))'")
                }
                promises.preserved = Preserved(size: size, offset: offset, path: arguments[2])
            case ("cmdline", _), ("pool", _), ("mount", _), ("vfio", _), ("keep", _), ("device-group", _), ("affinity", _), ("preserved", _):
                throw fail("'\(kind)' with \(arguments.count) word(s) after it")
            default:
                throw fail("unknown promise '\(kind)' (an agent older than the image cannot check it)")
            }
        }
        return promises
    }

    private static func parsePool(_ words: [String], fail: (String) -> TuningPromisesError) throws(TuningPromisesError) -> Pool {
        guard let size = UInt64(words[0]), size > 0, let count = Int(words[1]), count >= 0 else {
            throw fail("pool needs a page size in kB and a count, got '\(words.joined(separator: " "))'")
        }
        var node: Int?
        if words.count == 3 {
            guard words[2].hasPrefix("node="), let value = Int(words[2].dropFirst(5)), value >= 0 else {
                throw fail("'\(words[2])' is not node=N")
            }
            node = value
        }
        return Pool(sizeKB: size, count: count, node: node)
    }

    private static func parseMount(_ words: [String], fail: (String) -> TuningPromisesError) throws(TuningPromisesError) -> Mount {
        guard words[0].hasPrefix("/"), let size = UInt64(words[1]), size > 0,
              words[3].count == 4, let mode = UInt32(words[3], radix: 8) else {
            throw fail("mount needs PATH PAGE-SIZE-KB GROUP MODE, got '\(words.joined(separator: " "))'")
        }
        return Mount(path: words[0], pageSizeKB: size, group: words[2] == "-" ? nil : words[2], mode: mode)
    }
}

/// A PCI address as sysfs names devices: `DDDD:BB:DD.F`, lowercase hex.
public enum PCIAddress {
    public static func isValid(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 12, bytes[4] == UInt8(ascii: ":"), bytes[7] == UInt8(ascii: ":"), bytes[10] == UInt8(ascii: ".") else {
            return false
        }
        let hex = Set("0123456789abcdef".utf8)
        for index in [0, 1, 2, 3, 5, 6, 8, 9] where !hex.contains(bytes[index]) { return false }
        return ("0"..."7").contains(Character(UnicodeScalar(bytes[11])))
    }
}

/// The kernel's CPU list syntax (`0-3,8,10-11`), as sysfs and /proc print it.
public enum CPUList {
    /// The CPUs of `text`; nil when it does not parse or is empty.
    public static func parse(_ text: String) -> Set<Int>? {
        var cpus = Set<Int>()
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(bounds.count), let low = Int(bounds[0]), low >= 0, low < 8192,
                  let high = Int(bounds[bounds.count - 1]), high >= low, high < 8192 else { return nil }
            cpus.formUnion(low...high)
        }
        return cpus.isEmpty ? nil : cpus
    }

    /// The shortest list for `cpus`: runs of three or more as ranges.
    public static func format(_ cpus: Set<Int>) -> String {
        var parts: [String] = []
        var sorted = cpus.sorted()[...]
        while let first = sorted.first {
            var last = first
            sorted = sorted.dropFirst()
            while sorted.first == last + 1 { last += 1; sorted = sorted.dropFirst() }
            parts.append(last == first ? "\(first)" : last == first + 1 ? "\(first),\(last)" : "\(first)-\(last)")
        }
        return parts.joined(separator: ",")
    }
}
