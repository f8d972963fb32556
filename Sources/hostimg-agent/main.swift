// The on-host agent: a doorway into Agent (Sources/Agent/AgentCommand.swift documents it)
// and HostSwitch (`switch`, Sources/HostSwitch/SwitchCommand.swift; `vms` and `qmp`,
// Sources/HostSwitch/VMCommand.swift; the VMs a switch preserved, resumed by `boot`).
import Agent
import Glibc
import HostSwitch
import SystemIO

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "switch": exit(SwitchCommand.main(Array(arguments.dropFirst())))
case "vms", "qmp": exit(VMCommand.main(arguments))
default:
    let resumeVMs: (inout SwitchJournal) -> Void = { journal in
        let commandLine = (try? SystemIO.readFile("/proc/cmdline", limit: 1 << 16)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        VMSwitch(options: VMSwitch.Options()).resumeAfterKexec(&journal, commandLine: commandLine) { line in
            AgentCommand.write("hostimg-agent: boot: " + line, error: false)
        }
    }
    exit(AgentCommand.main(arguments, readUKICommandLine: UKICommandLine.read, resumeVMs: resumeVMs))
}
