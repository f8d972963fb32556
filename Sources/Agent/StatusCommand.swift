import Slots
import SystemIO

/// `hostimg-agent status [--json] [--disk FILE] [--esp DIR] [--journal FILE]`.
enum StatusCommand {
    struct Options {
        var json = false
        var disk: String?
        var esp = "/efi"
        var journal = SwitchJournal.defaultPath
    }

    static func parse(_ arguments: [String]) -> Result<Options, AgentCommand.UsageError> {
        var options = Options()
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--json" {
                options.json = true
            } else if ["--disk", "--esp", "--journal"].contains(argument) {
                guard index + 1 < arguments.count else { return .failure(.init(message: "\(argument) needs a path")) }
                index += 1
                switch argument {
                case "--disk": options.disk = arguments[index]
                case "--esp": options.esp = arguments[index]
                default: options.journal = arguments[index]
                }
            } else {
                return .failure(.init(message: "unknown option '\(argument)' for status"))
            }
            index += 1
        }
        return .success(options)
    }

    static func main(_ arguments: [String], readUKICommandLine: @escaping @Sendable (String) throws -> String) -> Int32 {
        let options: Options
        switch parse(arguments) {
        case let .success(parsed): options = parsed
        case let .failure(error):
            AgentCommand.write("hostimg-agent: \(error.message)\n\n\(AgentCommand.usage)", error: true)
            return 2
        }
        let commandLine = (try? SystemIO.readFile("/proc/cmdline", limit: 1 << 16)).map { String(decoding: $0, as: UTF8.self) }
        do {
            let disk: String
            if let given = options.disk {
                disk = given
            } else {
                guard let running = commandLine.flatMap({ RunningSlot.rootHash(commandLine: $0) }) else {
                    AgentCommand.write("hostimg-agent: status: /proc/cmdline has no roothash=: this is not a hostimg slot; name the disk with --disk", error: true)
                    return 1
                }
                disk = try HostDisk.locate(rootHash: running)
            }
            let esp = SystemIO.isDirectory(options.esp + "/EFI/Linux") ? options.esp + "/EFI/Linux" : nil
            let status = try HostStatus.read(disk: disk, entriesDirectory: esp, journalPath: options.journal,
                                             commandLine: commandLine, commandLineOfUKI: readUKICommandLine)
            AgentCommand.write(options.json ? status.json : status.lines, error: false)
            return 0
        } catch {
            AgentCommand.write("hostimg-agent: status: \(error)", error: true)
            return 1
        }
    }
}
