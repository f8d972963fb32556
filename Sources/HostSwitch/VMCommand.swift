import Agent
import QMP
import SystemIO
import VMM

/// `hostimg-agent vms` (the VM plan a switch would make now, nothing paused) and
/// `hostimg-agent qmp SOCKET COMMAND [ARGUMENTS]` (one QMP command, its `return` printed as
/// JSON: for operators and for tests driving a host through its serial console).
public enum VMCommand {
    public static let usage = """
    usage: hostimg-agent vms [--json] [--allow-cold] [--vms-dir DIR]
           hostimg-agent qmp SOCKET COMMAND [ARGUMENTS-JSON]

    vms   every QEMU with a QMP socket in /run/hostimg/vms (or --vms-dir) and how a switch
          would carry it: preserve (RAM stays in the preserved region), save (RAM to the
          state partition) or cold, with the reasons and the predicted blackout. Pauses
          nothing. Exit 0, or 1 when the plan would refuse a switch.
    qmp   connects to SOCKET, sends COMMAND with ARGUMENTS (a JSON object), prints the reply's
          `return` as one line of JSON. Exit 0, 1 on an error reply or a time-out, 2 usage.
    """

    public static func main(_ arguments: [String]) -> Int32 {
        switch arguments.first {
        case "vms": return plan(Array(arguments.dropFirst()))
        case "qmp": return qmp(Array(arguments.dropFirst()))
        default:
            AgentCommand.write(usage, error: true)
            return 2
        }
    }

    static func plan(_ arguments: [String]) -> Int32 {
        var options = VMSwitch.Options()
        var json = false
        var index = 0
        while index < arguments.count {
            switch arguments[index] {
            case "--json": json = true
            case "--allow-cold": options.allowCold = true
            case "--vms-dir" where index + 1 < arguments.count:
                index += 1
                options.vmsDirectory = arguments[index]
            default:
                AgentCommand.write("hostimg-agent: vms: unknown option '\(arguments[index])'\n\n\(usage)", error: true)
                return 2
            }
            index += 1
        }
        let vmSwitch = VMSwitch(options: options)
        let kexecSeconds = (try? SwitchJournal.load())?.flatMap(\.blackout)
        do {
            let prepared = try AsyncBridge.wait { try await vmSwitch.prepare(newQEMU: .unknown, measuredKexecSeconds: kexecSeconds) }
            prepared.close()
            AgentCommand.write(json ? prepared.plan.json : prepared.plan.text.trimmingTrailingNewline, error: false)
            return prepared.plan.isBlocked ? 1 : 0
        } catch {
            AgentCommand.write("hostimg-agent: vms: \(error)", error: true)
            return 1
        }
    }

    static func qmp(_ arguments: [String]) -> Int32 {
        guard arguments.count == 2 || arguments.count == 3 else {
            AgentCommand.write("hostimg-agent: qmp: SOCKET and COMMAND, then optionally ARGUMENTS-JSON\n\n\(usage)", error: true)
            return 2
        }
        var parameters: JSONValue?
        if arguments.count == 3 {
            do {
                parameters = try JSONValue(parsing: arguments[2])
            } catch {
                AgentCommand.write("hostimg-agent: qmp: ARGUMENTS: \(error)", error: true)
                return 2
            }
        }
        let (socket, command, sent) = (arguments[0], arguments[1], parameters)
        do {
            let reply = try AsyncBridge.wait { () async throws -> JSONValue in
                let client = try await QMP.Client.connect(path: socket, timeout: .seconds(10))
                defer { client.close() }
                return try await client.execute(command, arguments: sent)
            }
            AgentCommand.write(reply.serialized, error: false)
            return 0
        } catch {
            AgentCommand.write("hostimg-agent: qmp: \(socket): \(command): \(error)", error: true)
            return 1
        }
    }
}

extension String {
    var trimmingTrailingNewline: String { hasSuffix("\n") ? String(dropLast()) : self }
}
