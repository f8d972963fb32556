// The on-host agent: a doorway into Agent (Sources/Agent/AgentCommand.swift documents it)
// and HostSwitch (`switch`, Sources/HostSwitch/SwitchCommand.swift).
import Agent
import Glibc
import HostSwitch

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "switch" {
    exit(SwitchCommand.main(Array(arguments.dropFirst())))
}
exit(AgentCommand.main(arguments, readUKICommandLine: UKICommandLine.read))
