import HostTuning
import SystemIO

/// `hostimg-agent tuning apply|check [--json]`.
enum TuningCommand {
    static func main(_ arguments: [String]) -> Int32 {
        let json = arguments.dropFirst().contains("--json")
        let unknown = arguments.dropFirst().filter { $0 != "--json" }
        guard let verb = arguments.first, ["apply", "check"].contains(verb), unknown.isEmpty else {
            let what = arguments.first.map { "tuning \($0) \(unknown.joined(separator: " "))" } ?? "tuning needs apply or check"
            AgentCommand.write("hostimg-agent: unknown command '\(what)'\n\n\(AgentCommand.usage)", error: true)
            return 2
        }
        guard let loaded = TuningChecks.load() else {
            AgentCommand.write(json ? "{\"promises\":false,\"passed\":true,\"steps\":[],\"problems\":[]}"
                                    : "hostimg-agent: tuning: \(TuningPromises.path) is absent: the image promises no tuning", error: false)
            return 0
        }
        let checks: TuningChecks
        switch loaded {
        case let .checks(found): checks = found
        case let .unreadable(check):
            AgentCommand.write("hostimg-agent: tuning: \(check.summary)", error: true)
            return 1
        }
        if verb == "apply" {
            let outcome = TuningApply(promises: checks.promises).run()
            if json {
                let steps = outcome.done.map(AgentReport.quote).joined(separator: ",")
                let problems = outcome.problems.map(AgentReport.quote).joined(separator: ",")
                AgentCommand.write("{\"promises\":true,\"passed\":\(outcome.problems.isEmpty),\"steps\":[\(steps)],\"problems\":[\(problems)]}", error: false)
            } else {
                let lines = outcome.done.map { "hostimg-agent: tuning: \($0)" } + outcome.problems.map { "hostimg-agent: tuning: FAILED: \($0)" }
                AgentCommand.write(lines.isEmpty ? "hostimg-agent: tuning: nothing to apply at run time" : lines.joined(separator: "\n"),
                                   error: !outcome.problems.isEmpty)
            }
            return outcome.problems.isEmpty ? 0 : 1
        }
        let report = HealthGate.Report(checks: checks.run())
        AgentCommand.write(json ? AgentReport.json(report, blessing: nil) : AgentReport.lines(report, blessing: nil), error: false)
        return report.passed ? 0 : 1
    }
}
