import HostTuning
import SystemIO

/// Finds the pmem block device of the preserved region. A `memmap=SIZE!OFFSET` range is an
/// e820 "persistent memory (legacy)" range; `nd_e820` makes it an nvdimm region with one
/// namespace and `nd_pmem` a block device on it:
///
/// ```
/// /sys/block/pmem0/device → …/ndbus0/region0/namespace0.0   (or pfn0.1 after ndctl's fsdax)
///                   device/resource   0x100000000           the first physical address, hex
///                   device/size       1073741824            bytes
/// /sys/bus/nd/devices/ndbus0/wait_probe                     read: waits until probing is done
/// ```
///
/// The device whose range lies inside the promised region is the one; when no device's range
/// can be read and there is only one, that one is used, and the agent says so.
struct PreservedDevices {
    var region: TuningPromises.Preserved
    var root: String
    var modprobe: String

    /// The pmem modules, loaded when no pmem device is there yet (udev normally loads them).
    static let modules = ["nd_e820", "nd_pmem"]

    /// A pmem block device and the range its sysfs device shows (nil: unreadable, and why).
    struct Candidate {
        var name: String
        var range: Result<(start: UInt64, size: UInt64), PreservedRegionError>
    }

    /// The device path (under `root`); `lines` gets how it was chosen.
    func locate(_ lines: inout [String]) throws(PreservedRegionError) -> String {
        var candidates = list()
        if candidates.isEmpty {
            lines.append(loadModules())
            waitForProbing()
            candidates = list()
        }
        let promised = "\(Self.hex(region.offset))–\(Self.hex(region.end))"
        guard !candidates.isEmpty else {
            throw PreservedRegionError("no pmem device for the preserved region \(promised): is \(region.kernelParameter) on /proc/cmdline, and are \(Self.modules.joined(separator: " and ")) there?")
        }
        let inside = candidates.filter { candidate in
            guard case let .success(range) = candidate.range else { return false }
            let (end, overflow) = range.start.addingReportingOverflow(range.size)
            return range.start >= region.offset && !overflow && end <= region.end
        }
        if inside.count == 1, let chosen = inside.first, case let .success(range) = chosen.range {
            lines.append("region \(promised): \(chosen.name) (\(Self.hex(range.start))+\(range.size) bytes, inside it)")
            return root + "/dev/" + chosen.name
        }
        if inside.isEmpty, candidates.count == 1, let only = candidates.first, case let .failure(why) = only.range {
            lines.append("region \(promised): \(only.name), the only pmem device (its range is unknown: \(why))")
            return root + "/dev/" + only.name
        }
        let seen = candidates.map { candidate -> String in
            switch candidate.range {
            case let .success(range): return "\(candidate.name) \(Self.hex(range.start))+\(range.size)"
            case let .failure(why): return "\(candidate.name) (\(why))"
            }
        }
        let problem = inside.isEmpty ? "no pmem device lies inside" : "\(inside.count) pmem devices lie inside"
        throw PreservedRegionError("\(problem) the preserved region \(promised); found \(seen.joined(separator: ", "))")
    }

    /// Every `pmemN` block device, by name, with its range.
    func list() -> [Candidate] {
        let names = ((try? SystemIO.list(root + "/sys/block")) ?? []).filter { $0.hasPrefix("pmem") }.sorted()
        return names.map { name in Candidate(name: name, range: range(of: name)) }
    }

    func range(of name: String) -> Result<(start: UInt64, size: UInt64), PreservedRegionError> {
        let device = root + "/sys/block/\(name)/device"
        let start = Result { () throws(SystemIOError) in try SystemIO.readFile(device + "/resource", limit: 64) }
        let size = Result { () throws(SystemIOError) in try SystemIO.readFile(device + "/size", limit: 64) }
        switch (start, size) {
        case let (.success(startText), .success(sizeText)):
            let startWord = String(decoding: startText, as: UTF8.self).trimmingWhitespace
            let sizeWord = String(decoding: sizeText, as: UTF8.self).trimmingWhitespace
            guard startWord.hasPrefix("0x"), let first = UInt64(startWord.dropFirst(2), radix: 16), let bytes = UInt64(sizeWord) else {
                return .failure(PreservedRegionError("resource '\(startWord)' and size '\(sizeWord)' do not parse"))
            }
            return .success((first, bytes))
        case let (.failure(error), _), let (_, .failure(error)):
            return .failure(PreservedRegionError("\(error)"))
        }
    }

    func loadModules() -> String {
        switch Result(catching: { () throws(SystemIOError) in try SystemIO.run(modprobe, ["-a"] + Self.modules) }) {
        case let .success(result) where result.succeeded:
            return "no pmem device yet: loaded \(Self.modules.joined(separator: ", "))"
        case let .success(result):
            return "no pmem device yet: modprobe \(Self.modules.joined(separator: " ")) \(result.describe): \(result.text.trimmingWhitespace)"
        case let .failure(error):
            return "no pmem device yet: cannot run \(modprobe): \(error)"
        }
    }

    /// Reading an nvdimm bus's `wait_probe` returns once its regions and namespaces are
    /// probed (the kernel probes them asynchronously), so the block device exists afterwards.
    func waitForProbing() {
        let buses = root + "/sys/bus/nd/devices"
        for bus in ((try? SystemIO.list(buses)) ?? []).filter({ $0.hasPrefix("ndbus") }).sorted() {
            _ = try? SystemIO.readFile(buses + "/" + bus + "/wait_probe", limit: 64)
        }
    }

    static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }
}
