import HostTuning
import SystemIO

/// The tuning checks of the health gate (TUNING.md, "Checks on a booted image"): each promise
/// of `/usr/lib/hostimg/tuning.conf` read back from the running kernel, so a host whose
/// tuning did not take effect is not blessed and the check that failed is named.
///
/// Everything is read under `root` (normally "/": /proc, /sys, /dev, /etc/group), so a test
/// can hand it a directory laid out like a host.
public struct TuningChecks: Sendable {
    public var promises: TuningPromises
    public var root: String

    public init(promises: TuningPromises, root: String = "") {
        self.promises = promises
        self.root = root
    }

    /// Reads the promises file; nil when the image promises nothing (no file), a failed
    /// check when the file cannot be read or parsed.
    public enum Loaded: Sendable {
        case checks(TuningChecks)
        case unreadable(HealthGate.Check)
    }

    public static func load(root: String = "") -> Loaded? {
        let path = root + TuningPromises.path
        guard SystemIO.exists(path) else { return nil }
        do {
            let text = String(decoding: try SystemIO.readFile(path, limit: 1 << 20), as: UTF8.self)
            return .checks(TuningChecks(promises: try TuningPromises.parse(text), root: root))
        } catch {
            return .unreadable(HealthGate.Check(name: "tuning", passed: false, summary: "cannot read \(TuningPromises.path): \(error)", output: ""))
        }
    }

    public func run() -> [HealthGate.Check] {
        var checks: [HealthGate.Check] = []
        if !promises.commandLine.isEmpty { checks.append(commandLineCheck()) }
        checks += hugepageChecks()
        checks += promises.mounts.map(mountCheck)
        checks += promises.vfioDevices.map { bindingCheck($0, wanted: true) }
        checks += promises.keptDevices.map { bindingCheck($0, wanted: false) }
        if let group = promises.deviceGroup, !promises.vfioDevices.isEmpty { checks.append(deviceGroupCheck(group)) }
        if let affinity = promises.affinity { checks.append(affinityCheck(affinity)) }
        if let preserved = promises.preserved { checks.append(preservedCheck(preserved)) }
        return checks
    }

    func read(_ path: String) throws -> String {
        String(decoding: try SystemIO.readFile(root + path, limit: 1 << 20), as: UTF8.self)
    }

    static func pass(_ name: String, _ summary: String) -> HealthGate.Check {
        HealthGate.Check(name: name, passed: true, summary: summary, output: "")
    }

    static func fail(_ name: String, _ summary: String) -> HealthGate.Check {
        HealthGate.Check(name: name, passed: false, summary: summary, output: "")
    }

    func commandLineCheck() -> HealthGate.Check {
        let name = "tuning/cmdline"
        guard let text = try? read("/proc/cmdline") else { return Self.fail(name, "cannot read /proc/cmdline") }
        let words = Set(text.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        let missing = promises.commandLine.filter { !words.contains($0) }
        return missing.isEmpty
            ? Self.pass(name, "\(promises.commandLine.count) parameter(s) present")
            : Self.fail(name, "/proc/cmdline lacks \(missing.joined(separator: " ")): the slot booted without its own command line")
    }

    /// Per page size: the system-wide count, then each node pool's count.
    func hugepageChecks() -> [HealthGate.Check] {
        var checks: [HealthGate.Check] = []
        for (size, expected) in promises.expectedTotals.sorted(by: { $0.key < $1.key }) {
            let name = "tuning/hugepages-\(size)kB"
            let path = "/sys/kernel/mm/hugepages/hugepages-\(size)kB/nr_hugepages"
            var problems: [String] = []
            var seen: [String] = []
            switch count(path) {
            case let got? where got == expected: seen.append("\(got) in all")
            case let got?: problems.append(Self.shortfall(got: got, expected: expected, size: size, place: "in all"))
            case nil: problems.append("\(path) is missing: the kernel has no \(size) kB pages")
            }
            for pool in promises.pools where pool.sizeKB == size {
                guard let node = pool.node else { continue }
                let nodePath = "/sys/devices/system/node/node\(node)/hugepages/hugepages-\(size)kB/nr_hugepages"
                switch count(nodePath) {
                case let got? where got == pool.count: seen.append("\(got) on node \(node)")
                case let got?: problems.append(Self.shortfall(got: got, expected: pool.count, size: size, place: "on node \(node)"))
                case nil: problems.append("\(nodePath) is missing: no NUMA node \(node)")
                }
            }
            checks.append(problems.isEmpty ? Self.pass(name, seen.joined(separator: ", ")) : Self.fail(name, problems.joined(separator: "; ")))
        }
        return checks
    }

    static func shortfall(got: Int, expected: Int, size: UInt64, place: String) -> String {
        got < expected
            ? "shortfall: \(got) of \(expected) \(size) kB pages \(place) (\(expected - got) missing: memory too small or fragmented)"
            : "\(got) \(size) kB pages \(place), the image promises \(expected)"
    }

    func count(_ path: String) -> Int? {
        (try? read(path)).flatMap { Int($0.trimmingWhitespace) }
    }
}

extension String {
    var trimmingWhitespace: String {
        String(drop { $0 == " " || $0 == "\n" || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\n" || $0 == "\t" }.reversed())
    }
}
