import Glibc
import SystemIO

extension VMM {
    /// Where a bare argv[0] ("qemu-system-x86_64") is looked up, in order: the directories
    /// of `SystemIO.programEnvironment`'s PATH, /usr/local first.
    public static let executableDirectories = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]

    /// The argv a restore starts QEMU with: the original's, with
    ///
    /// - every `-incoming VALUE` (or `--incoming`) removed: a VM that was itself restored
    ///   carries `-incoming defer` already, and one started to receive a live migration
    ///   (`-incoming tcp:...`) must now load its state from the file instead;
    /// - `-daemonize` removed: QEMU would fork and its parent exit, so the process started
    ///   would not be the VM's; the restore starts it in a session of its own instead;
    ///
    /// and `-incoming defer` appended. Everything else (the RAM backend, `-S`, `-pidfile`,
    /// the `-qmp` socket) stays as it was: the same configuration is what makes the saved
    /// device state load.
    public static func incomingArguments(_ arguments: [String]) throws(VMMError.Reason) -> [String] {
        guard let program = arguments.first, !program.isEmpty else { throw .refused("the VM's command line is empty") }
        var result = [program]
        var index = 1
        while index < arguments.count {
            switch arguments[index] {
            case "-incoming", "--incoming": index += 2
            case "-daemonize", "--daemonize": index += 1
            default:
                result.append(arguments[index])
                index += 1
            }
        }
        return result + ["-incoming", "defer"]
    }

    /// The program that starts `argv` (its argv[0], resolved as `resolveExecutable` does).
    public static func executable(for argv: [String]) throws(VMMError.Reason) -> String {
        guard let program = argv.first, !program.isEmpty else { throw .refused("the VM's command line is empty") }
        return try resolveExecutable(program)
    }

    /// argv[0] as a program to start: a path as it is, a bare name found in
    /// `executableDirectories` (a regular file with an execute bit).
    static func resolveExecutable(_ name: String) throws(VMMError.Reason) -> String {
        if name.contains("/") { return name }
        for directory in executableDirectories {
            let path = directory + "/" + name
            if let status = try? SystemIO.status(of: path), status.isRegularFile, status.mode & 0o111 != 0 { return path }
        }
        throw .refused("\(name) (argv[0]) is in none of \(executableDirectories.joined(separator: ":")); give the executable")
    }
}
