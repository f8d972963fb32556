import ArgumentParser
import BuildPipeline
import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The version `hostimg --version` prints and SARIF reports as the driver version.
public enum HostImgVersion {
    public static let current = HostImgRelease.version
    /// The project's home page, for SARIF's `tool.driver.informationUri` (an absolute URI).
    /// Unset until the project has a public address; SARIF leaves the field out meanwhile.
    public static let homepage: String? = nil
}

/// `hostimg`: the root command. Each subcommand lives in its own `HostImg+Name.swift`.
public struct HostImg: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "hostimg",
        abstract: "Build and run minimal, immutable hypervisor-host images.",
        discussion: """
            hostimg turns a manifest (YAML) into a small, verified, A/B-updatable operating \
            system for a host that runs only virtual machines, and moves running hosts onto new \
            images without stopping their VMs.

              lint     find every mistake a manifest holds, with file:line:col
              build    manifest -> signed A/B disk image, update bundle, lock file, report
              verify   check an image or bundle the way a host would
              sign     sign an image and bundle built with --unsigned
              keygen   make a development signing key
              inspect  show what is in an image or bundle
              explain  why a kernel module is in an image or not; where each tuning setting lands
              switch   install a bundle into the inactive slot and move the host onto it

            switch is not built yet: it parses its arguments and exits with status 3.

            Results are written to standard output; progress, summaries and errors to \
            standard error.

            EXIT STATUS
              0  success (lint: no errors; warnings fail only with --strict)
              1  lint found problems that fail the run; build or sign failed; verify found \
            a part that does not check out
              2  the command could not run: bad usage, a path that does not exist or \
            cannot be read
              3  the command is not implemented yet
            """,
        version: HostImgVersion.current,
        subcommands: [Build.self, Lint.self, Verify.self, Sign.self, Keygen.self, Inspect.self, Explain.self, Switch.self]
    )

    public init() {}

    /// Runs `hostimg` with `arguments` (without the program name) in this process, writing
    /// through `Console.current`, and returns the exit status instead of exiting. Tests and the
    /// executable both come through here.
    ///
    /// Help and `--version` go to stdout with status 0. Errors from swift-argument-parser go
    /// to stderr; its usage status (64) becomes ``ExitCode/usage`` (2), and so does any error
    /// a command throws that is not an `ExitCode`, so 1 always means "lint found problems".
    public static func run(arguments: [String]) async -> ExitCode {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            return .success
        } catch let code as ExitCode {
            return code
        } catch {
            let console = Console.current
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if code == .success {
                console.write(message.hasSuffix("\n") || message.isEmpty ? message : message + "\n")
                return .success
            }
            if !message.isEmpty {
                console.error(message)
            }
            return .usage
        }
    }

    /// The executable's entry point (`Sources/hostimg/main.swift`): runs the command line and
    /// exits with its status.
    ///
    /// Synchronous on purpose. In top-level code Swift resolves `await HostImg.main()` to a
    /// synchronous `main()` when one exists, and without this one it picks
    /// `ParsableCommand.main()`, which refuses to run an async command. So this `main` starts
    /// the command line on a task, and parks the main thread in `dispatchMain()` (which still
    /// serves the main queue) until the task exits the process.
    public static func main() {
        Task {
            let status = await run(arguments: Array(CommandLine.arguments.dropFirst()))
            #if canImport(Glibc)
            Glibc.exit(status.rawValue)
            #elseif canImport(Musl)
            Musl.exit(status.rawValue)
            #elseif canImport(Darwin)
            Darwin.exit(status.rawValue)
            #endif
        }
        dispatchMain()
    }
}

/// The shared ending of a subcommand that is documented but not built yet: say so on stderr,
/// exit 3. Nothing pretends to succeed.
enum NotImplemented {
    /// - Parameters:
    ///   - command: the subcommand's name, e.g. `build`.
    ///   - tracking: where the work is tracked, e.g. "tracked in issue 4".
    static func report(_ command: String, _ tracking: String) -> ExitCode {
        Console.current.error("hostimg: `\(command)` is not implemented yet (\(tracking))")
        return .notImplemented
    }
}
