/// Why driver pruning stopped. Each message names the value and what would be valid.
public enum DriversError: Error, CustomStringConvertible, Equatable, Sendable {
    /// No /usr/lib/modules/<v> with a matching /boot/vmlinuz-<v>.
    case noKernel(moduleDirectories: [String])
    /// More than one kernel with modules and vmlinuz; the image must hold exactly one.
    case severalKernels([String])
    /// A name in drivers.keep, a requirement or a load-order request that is neither a module,
    /// an alias nor built in.
    case unknownModule(name: String, source: String, suggestions: [String])
    /// A selected module that drivers.deny lists.
    case keptAndDenied(module: String, reason: String)
    /// A kept module needs (modules.dep) a module drivers.deny lists.
    case dependsOnDenied(module: String, denied: String, chain: [String])
    /// depmod exited with an error.
    case depmodFailed(command: String, status: Int32, stderr: String)
    /// A hardware id that is not "vvvv:dddd".
    case malformedHardwareID(String)
    /// Staging files or reading depmod's output failed.
    case io(path: String, message: String)
    /// libkmod could not read the staged directory (its message, with libkmod's log).
    case moduleIndex(String)

    public var description: String {
        switch self {
        case .noKernel(let directories):
            let found = directories.isEmpty ? "no /usr/lib/modules/<version> directory" : "module directories " + directories.joined(separator: ", ")
            return "the tree holds no kernel: found \(found), but a kernel needs /usr/lib/modules/<version> and "
                + "/boot/vmlinuz-<version>; add a linux-image package (e.g. kernel: kernels/debian-cloud.yaml)"
        case .severalKernels(let versions):
            return "the tree holds \(versions.count) kernels (\(versions.joined(separator: ", "))); an image boots exactly one, "
                + "so install a single linux-image package"
        case .unknownModule(let name, let source, let suggestions):
            let hint = suggestions.isEmpty ? "" : "; did you mean " + suggestions.map { "\"\($0)\"" }.joined(separator: ", ") + "?"
            return "\(source): no module or alias \"\(name)\" in this kernel (not a file, not built in)\(hint)"
        case .keptAndDenied(let module, let reason):
            return "\(module) is denied by drivers.deny but selected by \(reason); remove it from one of them"
        case .dependsOnDenied(let module, let denied, let chain):
            let why = chain.isEmpty ? "" : " (" + chain.joined(separator: "; ") + ")"
            return "\(module) needs \(denied), which drivers.deny lists\(why); remove \(denied) from drivers.deny or stop keeping \(module)"
        case .depmodFailed(let command, let status, let stderr):
            return "`\(command)` failed with status \(status): \(stderr.isEmpty ? "no output" : stderr)"
        case .malformedHardwareID(let id):
            return "hardware id \"\(id)\" is not a PCI vendor:device pair; write it as lspci -n prints it, e.g. \"8086:10d3\""
        case .io(let path, let message):
            return "\(path): \(message)"
        case .moduleIndex(let message):
            return message
        }
    }
}
