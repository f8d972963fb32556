import HostTuning

/// `hostimg-agent preserved mount`: what `hostimg-preserved.service` runs early in every boot
/// of an image with `tuning.preservedMemory` (PreservedRegion.swift).
enum PreservedCommand {
    static func main(_ arguments: [String], root: String = "") -> Int32 {
        guard arguments == ["mount"] else {
            AgentCommand.write("hostimg-agent: unknown command 'preserved \(arguments.joined(separator: " "))'\n\n\(AgentCommand.usage)", error: true)
            return 2
        }
        let checks: TuningChecks
        switch TuningChecks.load(root: root) {
        case let .checks(found)?: checks = found
        case let .unreadable(check)?:
            AgentCommand.write("hostimg-agent: preserved: \(check.summary)", error: true)
            return 1
        case nil:
            AgentCommand.write("hostimg-agent: preserved: \(TuningPromises.path) is absent: the image promises no preserved memory", error: true)
            return 1
        }
        guard let region = checks.promises.preserved else {
            AgentCommand.write("hostimg-agent: preserved: \(TuningPromises.path) promises no preserved memory (no `preserved` line)", error: true)
            return 1
        }
        do {
            let lines = try PreservedRegion(region: region, root: root).mountRegion()
            AgentCommand.write(lines.map { "hostimg-agent: preserved: \($0)" }.joined(separator: "\n"), error: false)
            return 0
        } catch {
            AgentCommand.write("hostimg-agent: preserved: FAILED: \(error)", error: true)
            return 1
        }
    }
}
