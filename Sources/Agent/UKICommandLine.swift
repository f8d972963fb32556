import PE
import SystemIO

/// A UKI's `.cmdline` section, read through the PE reader (the UKI is a file on the ESP; the
/// reader bounds-checks everything, so a damaged file is an error, not a crash).
public enum UKICommandLine {
    /// The largest UKI read (the bundle's limit for the `uki` payload is 4 GiB; an ESP holds
    /// a few hundred MiB at most).
    public static let maximumSize = 1 << 30

    public static func read(_ path: String) throws -> String {
        guard let commandLine = try PE.Image(try SystemIO.readFile(path, limit: maximumSize)).commandLine else {
            throw AgentError.commandLine("\(path) has no .cmdline section: not a UKI hostimg built")
        }
        return commandLine
    }
}
