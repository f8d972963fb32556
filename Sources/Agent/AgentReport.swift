import ByteCodec

/// What `hostimg-agent health` prints: one line per check for the journal, or one JSON
/// object for a fleet controller (`--json`).
enum AgentReport {
    static func lines(_ report: HealthGate.Report, blessing: Result<Blessing.Outcome, AgentError>?) -> String {
        var lines: [String] = []
        for check in report.checks {
            lines.append("hostimg-agent: health: \(check.name): \(check.passed ? "ok" : "FAILED"): \(check.summary)")
            if !check.passed, !check.output.isEmpty {
                for line in check.output.split(whereSeparator: \.isNewline).suffix(20) {
                    lines.append("hostimg-agent: health:   \(line)")
                }
            }
        }
        lines.append("hostimg-agent: health: \(report.passed ? "healthy" : "UNHEALTHY: the slot is not blessed; its boot counter keeps running down")")
        switch blessing {
        case let .success(.blessed(from, to))?: lines.append("hostimg-agent: blessed: \(from) -> \(to)")
        case let .success(.alreadyGood(name))?: lines.append("hostimg-agent: blessed already: \(name)")
        case .success(.noEntry)?: lines.append("hostimg-agent: bless: no UKI on the ESP boots the running root hash; nothing to bless")
        case let .failure(error)?: lines.append("hostimg-agent: bless FAILED: \(error)")
        case nil: break
        }
        return lines.joined(separator: "\n")
    }

    static func json(_ report: HealthGate.Report, blessing: Result<Blessing.Outcome, AgentError>?) -> String {
        let checks = report.checks.map { check in
            "{\"name\":\(quote(check.name)),\"passed\":\(check.passed),\"summary\":\(quote(check.summary)),\"output\":\(quote(check.output))}"
        }
        var fields = ["\"healthy\":\(report.passed)", "\"checks\":[\(checks.joined(separator: ","))]"]
        switch blessing {
        case let .success(.blessed(from, to))?: fields.append("\"blessing\":{\"result\":\"blessed\",\"from\":\(quote(from)),\"to\":\(quote(to))}")
        case let .success(.alreadyGood(name))?: fields.append("\"blessing\":{\"result\":\"already-good\",\"entry\":\(quote(name))}")
        case .success(.noEntry)?: fields.append("\"blessing\":{\"result\":\"no-entry\"}")
        case let .failure(error)?: fields.append("\"blessing\":{\"result\":\"failed\",\"error\":\(quote("\(error)"))}")
        case nil: break
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    static func quote(_ text: String) -> String { JSONString.quote(text) }
}
