// The on-host agent: a doorway into Agent (Sources/Agent/AgentCommand.swift documents it).
import Agent
import Glibc

exit(AgentCommand.main(Array(CommandLine.arguments.dropFirst()), readUKICommandLine: UKICommandLine.read))
