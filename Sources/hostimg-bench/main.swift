import Foundation

import Manifests
import Yams

// `make bench`: lint throughput in-process and the wall time of one `hostimg lint` process,
// each against a peer measured in the same run (parsing alone with Yams in-process; a
// Python process that only parses the same YAML with PyYAML).
//
// usage: hostimg-bench [--hostimg PATH] [--iterations N] [--json]

struct Options {
    var hostimg = ".build/release/hostimg"
    var iterations = 2000
    var processRuns = 20
    var json = false

    init(_ arguments: [String]) {
        var rest = arguments.dropFirst()
        while let argument = rest.popFirst() {
            switch argument {
            case "--hostimg": hostimg = rest.popFirst() ?? hostimg
            case "--iterations": iterations = rest.popFirst().flatMap(Int.init) ?? iterations
            case "--process-runs": processRuns = rest.popFirst().flatMap(Int.init) ?? processRuns
            case "--json": json = true
            default:
                FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8))
                exit(2)
            }
        }
    }
}

let options = Options(CommandLine.arguments)
let manifests = ["manifests/hv-host.yaml", "manifests/qemu-dev.yaml"]
for path in manifests where !FileManager.default.fileExists(atPath: path) {
    FileHandle.standardError.write(Data("run from the repository root: \(path) not found\n".utf8))
    exit(2)
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

func measure(_ iterations: Int, _ body: () throws -> Void) rethrows -> Double {
    try body() // warm caches
    let clock = ContinuousClock()
    let elapsed = try clock.measure {
        for _ in 0..<iterations { try body() }
    }
    return seconds(elapsed)
}

// In-process: full lint (load, extends, kernel file, hardware profile, every rule).
var findings = 0
let lintTime = measure(options.iterations) {
    for path in manifests { findings += Linter.lintFile(path).diagnostics.count }
}
if findings != 0 {
    FileHandle.standardError.write(Data("the example manifests have findings; fix them before benchmarking\n".utf8))
    exit(1)
}
// The peer reads and parses the same files lint reads (each manifest's bases, kernel file and
// hardware profile), so the ratio is what schema, merging and rules cost on top of parsing.
let filesRead = manifests.flatMap { Linter.lintFile($0).files }
let parseTime = try measure(options.iterations) {
    for path in filesRead { _ = try Yams.compose(yaml: try String(contentsOfFile: path, encoding: .utf8)) }
}
let lintRate = Double(options.iterations * manifests.count) / lintTime
let parseRate = Double(options.iterations * manifests.count) / parseTime

/// Median wall time of a process, in seconds.
func processWallTime(_ executable: String, _ arguments: [String], runs: Int) throws -> Double? {
    guard FileManager.default.isExecutableFile(atPath: executable) else { return nil }
    var times: [Double] = []
    for _ in 0..<(runs + 1) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let clock = ContinuousClock()
        let start = clock.now
        try process.run()
        process.waitUntilExit()
        times.append(seconds(clock.now - start))
        if process.terminationStatus != 0 { return nil }
    }
    times.removeFirst() // the first run pays for the page cache
    return times.sorted()[times.count / 2]
}

let hostimgTime = try processWallTime(options.hostimg, ["lint", manifests[0]], runs: options.processRuns)
let pythonTime = try processWallTime("/usr/bin/python3", ["-c", "import sys, yaml; yaml.safe_load(open(sys.argv[1]))", manifests[0]],
                                     runs: options.processRuns)

if options.json {
    var result: [String: Any] = [
        "lint_manifests_per_second": lintRate.rounded(),
        "yams_parse_manifests_per_second": parseRate.rounded(),
        "lint_over_parse_ratio": (parseRate / lintRate * 100).rounded() / 100,
    ]
    if let hostimgTime { result["hostimg_lint_process_ms"] = (hostimgTime * 10000).rounded() / 10 }
    if let pythonTime { result["python_yaml_process_ms"] = (pythonTime * 10000).rounded() / 10 }
    let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys, .prettyPrinted])
    print(String(decoding: data, as: UTF8.self))
} else {
    print("lint in-process:    \(Int(lintRate)) manifests/s (\(manifests.joined(separator: ", ")), \(options.iterations) rounds)")
    print("peer, Yams parse:   \(Int(parseRate)) manifests/s (reading and parsing the same \(filesRead.count) files only); lint costs \(String(format: "%.1f", parseRate / lintRate))× a bare parse")
    if let hostimgTime {
        print("hostimg lint process: \(String(format: "%.1f", hostimgTime * 1000)) ms wall (median of \(options.processRuns), \(manifests[0]))")
    } else {
        print("hostimg lint process: skipped (\(options.hostimg) missing or failing; build it with `swift build -c release`)")
    }
    if let pythonTime {
        print("peer, python3 + PyYAML safe_load process: \(String(format: "%.1f", pythonTime * 1000)) ms wall (median)")
        if let hostimgTime { print("ratio python/hostimg: \(String(format: "%.2f", pythonTime / hostimgTime))") }
    } else {
        print("peer, python3 + PyYAML: skipped (python3 with the yaml module not available)")
    }
}
