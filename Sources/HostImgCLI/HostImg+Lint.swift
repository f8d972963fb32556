import ArgumentParser
import Foundation
import BuildPipeline
import Manifests

extension HostImg {
    /// `hostimg lint PATH...`: the linter's findings, printed in one of four formats.
    struct Lint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find every mistake in manifests, kernel files and hardware profiles.",
            discussion: """
                Reads each PATH (a file, or a directory searched for *.yaml and *.yml, hidden \
                folders skipped). A file under a kernels/ folder is read as a kernel file, one \
                under hardware/ as a hardware profile, anything else as a manifest. Nothing is \
                built or fetched: lint checks YAML syntax, the schema, references between \
                files, and the host-tuning rules (hugepages, CPU isolation, IOMMU, vfio) in \
                milliseconds, so it can run on every pull request.

                Findings go to standard output, one per line in the text format:
                  manifests/hv.yaml:12:5: error: [hugepages.duplicate-size] message
                    hint: how to fix it
                followed, on standard error, by a summary ("2 errors, 1 warning in 3 files").

                Rules that need the real machine (CPU flags, NUMA nodes, IOMMU groups) run \
                only with a hardware profile (--hardware, or the manifest's hardware: key). \
                Rules about a live switch (kexec.*) run only with --previous.

                Every path a manifest names must stay inside the project (--root, by default \
                the folder holding manifests/): absolute paths, '..' out of it and symbolic \
                links out of it are errors, and only regular files are read.

                Exit status: 0 when there are no errors (warnings pass unless --strict; notes \
                never fail), 1 when there are, 2 when a PATH does not exist or cannot be read, \
                or the command is used wrongly.
                """
        )

        @Argument(
            help: ArgumentHelp(
                "Manifests, kernel files, hardware profiles, or directories holding them.",
                valueName: "path"
            ),
            completion: .file(extensions: ["yaml", "yml"])
        )
        var paths: [String]

        @OptionGroup(title: "Output")
        var output: OutputOptions

        @OptionGroup(title: "Project")
        var project: ProjectOptions

        @Flag(help: "Treat warnings as errors: they are reported as errors and fail the run.")
        var strict = false

        @Option(
            help: ArgumentHelp(
                "Hardware profile (YAML) to check the tuning against; overrides the manifest's hardware: key.",
                valueName: "file"
            ),
            completion: .file(extensions: ["yaml", "yml"])
        )
        var hardware: String?

        @Option(
            help: ArgumentHelp(
                "Manifest of the image a host is switching away from, to check what a kexec switch cannot change.",
                valueName: "manifest"
            ),
            completion: .file(extensions: ["yaml", "yml"])
        )
        var previous: String?

        /// The linter the command calls. Tests bind their own with `$engine.withValue`; the
        /// default is `Linter.lint`. (Untyped `throws`: Swift 6.3's SILGen crashes on a
        /// typed-throws closure stored in a task-local.)
        typealias Engine = @Sendable ([String], LintOptions) throws -> LintResult

        @TaskLocal static var engine: Engine = { paths, options in
            try Linter.lint(paths: paths, options: options)
        }

        func run() async throws {
            let console = Console.current
            if let problem = Self.missingPath(paths: paths, hardware: hardware, previous: previous, root: project.root,
                                              in: console.currentDirectory) {
                console.error("hostimg: error: \(problem)")
                throw ExitCode.usage
            }

            let result: LintResult
            do {
                result = try Self.engine(paths, LintOptions(hardwareProfile: hardware, previousManifest: previous, root: project.root))
            } catch let error as LintUsageError {
                console.error("hostimg: error: \(error.description)")
                throw ExitCode.usage
            } catch {
                console.error("hostimg: error: \(error)")
                throw ExitCode.usage
            }

            let report = LintReport(result, strict: strict)
            let renderer = output.format.renderer(
                color: output.color.enablesColor(on: console),
                paths: SourcePaths.forConsole(console)
            )
            console.write(renderer.render(report.diagnostics, files: report.files))
            if output.format == .text && !output.quiet {
                console.error(report.summary)
            }
            if report.exitCode != .success {
                throw report.exitCode
            }
        }

        /// Checks every path named on the command line before the linter runs, so a typo or a
        /// permission problem is a usage error (exit 2) and not a clean run over nothing.
        /// Returns the message for the first bad path, or `nil`. Files found by walking a
        /// directory are the linter's business (`io.unreadable`). A named pipe, device or socket
        /// is refused here unopened: reading one could block forever.
        static func missingPath(paths: [String], hardware: String?, previous: String?, root: String? = nil,
                                in directory: String) -> String? {
            for path in paths {
                switch kind(of: path, in: directory) {
                case nil: return "no such file or directory: \(path)"
                case .unreadable?: return "cannot read \(path): permission denied"
                case let .special(what)?: return "cannot lint \(path): it is \(what), not a file or directory"
                case .file?, .directory?: continue
                }
            }
            for (option, path) in [("--hardware", hardware), ("--previous", previous)] {
                guard let path else { continue }
                switch kind(of: path, in: directory) {
                case nil: return "\(option): no such file: \(path)"
                case .unreadable?: return "\(option): cannot read \(path): permission denied"
                case .directory?: return "\(option): \(path) is a directory, not a file"
                case let .special(what)?: return "\(option): \(path) is \(what), not a regular file"
                case .file?: continue
                }
            }
            if let root {
                switch kind(of: root, in: directory) {
                case .directory?: break
                case nil: return "--root: no such directory: \(root)"
                default: return "--root: \(root) is not a directory; name the project folder (the one holding manifests/)"
                }
            }
            return nil
        }

        private enum Kind { case file, directory, unreadable, special(String) }

        private static func kind(of path: String, in directory: String) -> Kind? {
            let full = path.hasPrefix("/") ? path : (directory as NSString).appendingPathComponent(path)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory) else { return nil }
            if let special = Linter.specialFileDescription(full) { return .special(special) }
            guard FileManager.default.isReadableFile(atPath: full) else { return .unreadable }
            return isDirectory.boolValue ? .directory : .file
        }
    }
}
