import Glibc
import SystemIO
import VMM

/// Running the pairs and printing what they gave.
enum BenchReport {
    struct Key: Hashable, Comparable {
        var megabytes: Int
        var mode: BlackoutRun.Mode

        static func < (lhs: Key, rhs: Key) -> Bool {
            (lhs.megabytes, lhs.mode.rawValue) < (rhs.megabytes, rhs.mode.rawValue)
        }
    }

    /// One round of one VM: the agent's way, then (the VM started afresh) the floor; each time
    /// the counter must go on from where it stood.
    static func measure(_ run: BlackoutRun) async throws -> (agent: BlackoutRun.Result, floor: BlackoutRun.Result) {
        var results: [BlackoutRun.Result] = []
        for driver in BlackoutRun.Driver.allCases {
            _ = try await run.start()
            let before = try await run.counter(after: 0, timeout: .seconds(10))
            let result = driver == .agent ? try await run.agent() : try await run.floor()
            _ = try await run.counter(after: before, timeout: .seconds(60))
            await run.stop()
            results.append(result)
        }
        return (results[0], results[1])
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[(sorted.count - 1) / 2]
    }

    static func show(_ seconds: Double) -> String {
        let milliseconds = Int((seconds * 1000).rounded())
        let fraction = String(milliseconds % 1000)
        return "\(milliseconds / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    static func bytes(_ count: UInt64) -> String {
        count >= 1 << 20 ? "\(count >> 20) MiB" : "\(count >> 10) KiB"
    }

    typealias Samples = [Key: [(agent: BlackoutRun.Result, floor: BlackoutRun.Result)]]

    static func table(_ samples: Samples, options: Options) -> String {
        var lines = ["VM blackout without the kexec (QEMU TCG on this machine, median of \(options.rounds) round(s)); seconds",
                     pad(["RAM", "RAM kept", "agent", "(save", "restore)", "floor", "(save", "restore)", "agent share", "state file"])]
        for key in samples.keys.sorted() {
            let runs = samples[key] ?? []
            let agent = (median(runs.map(\.agent.blackout)), median(runs.map(\.agent.save)), median(runs.map(\.agent.restore)))
            let floor = (median(runs.map(\.floor.blackout)), median(runs.map(\.floor.save)), median(runs.map(\.floor.restore)))
            let share = median(runs.map { $0.agent.blackout - $0.floor.blackout })
            lines.append(pad(["\(key.megabytes) MiB", key.mode == .preserve ? "in place" : "in stream",
                              show(agent.0), show(agent.1), show(agent.2), show(floor.0), show(floor.1), show(floor.2),
                              (share < 0 ? "-" : "+") + show(abs(share)), bytes(runs.first?.agent.stateBytes ?? 0)]))
        }
        lines.append(contentsOf: ratios(samples, options: options))
        return lines.joined(separator: "\n")
    }

    static func ratios(_ samples: Samples, options: Options) -> [String] {
        guard let small = options.sizes.min(), let large = options.sizes.max(), small != large else { return [] }
        func blackout(_ megabytes: Int, _ mode: BlackoutRun.Mode) -> Double {
            median((samples[Key(megabytes: megabytes, mode: mode)] ?? []).map(\.agent.blackout))
        }
        let kept = blackout(large, .preserve) / max(blackout(small, .preserve), 1e-9)
        let streamed = blackout(large, .stream) / max(blackout(small, .stream), 1e-9)
        let versus = blackout(large, .stream) / max(blackout(large, .preserve), 1e-9)
        return ["\(large) MiB against \(small) MiB: RAM kept in place \(show(kept))x, RAM in the stream \(show(streamed))x; "
                + "at \(large) MiB the stream takes \(show(versus))x the blackout of RAM kept in place"]
    }

    static func pad(_ cells: [String]) -> String {
        let widths = [9, 10, 8, 7, 9, 8, 7, 9, 12, 10]
        return zip(cells, widths).map { $0 + String(repeating: " ", count: max(1, $1 - $0.count)) }.joined()
    }

    static func json(_ samples: Samples, options: Options) -> String {
        let rows = samples.keys.sorted().map { key -> String in
            let runs = samples[key] ?? []
            func part(_ name: String, _ pick: (BlackoutRun.Result) -> Double, _ side: KeyPath<(agent: BlackoutRun.Result, floor: BlackoutRun.Result), BlackoutRun.Result>) -> String {
                "\"\(name)\":\(show(median(runs.map { pick($0[keyPath: side]) })))"
            }
            let fields = [part("agentBlackout", \.blackout, \.agent), part("agentSave", \.save, \.agent),
                          part("agentRestore", \.restore, \.agent), part("floorBlackout", \.blackout, \.floor),
                          part("floorSave", \.save, \.floor), part("floorRestore", \.restore, \.floor)]
            return "{\"megabytes\":\(key.megabytes),\"ram\":\"\(key.mode.rawValue)\",\(fields.joined(separator: ",")),"
                + "\"stateBytes\":\(runs.first?.agent.stateBytes ?? 0)}"
        }
        return "{\"rounds\":\(options.rounds),\"kexecIncluded\":false,\"results\":[\(rows.joined(separator: ","))]}"
    }

    static func cleanUp(_ options: Options) {
        for path in ["/bench.ram", "/bench.state", "/hostimg-sentinel"] { SystemIO.removeIfPresent(options.preserved + path) }
    }
}
