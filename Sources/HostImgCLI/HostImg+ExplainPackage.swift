import ArgumentParser
import BuildPipeline
import Debian
import Foundation

extension HostImg.Explain {
    /// `hostimg explain package NAME`.
    struct PackageReason: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "package",
            abstract: "Why a Debian package is in an image, or why it is not.",
            discussion: """
                Prints the chain of reasons from the lock, the package first: e.g. \
                'libc6 2.36-9: in the image' / 'libc6: a dependency of systemd 252.38' / \
                'systemd: requested: the manifest's packages.include names it'. A package that \
                is not in the lock is explained too (excluded, or nothing needs it). Exit status \
                0 when the package is in the image, 1 when it is not, 2 when the lock cannot be read.
                """
        )

        @Argument(help: ArgumentHelp("Debian package name, e.g. libc6.", valueName: "name"))
        var name: String

        @Option(help: ArgumentHelp("The image's lock file.", valueName: "file"), completion: .file(extensions: ["lock"]))
        var lock: String?

        @Option(help: ArgumentHelp("The manifest whose lock (beside it, NAME.lock) to read.", valueName: "manifest"),
                completion: .file(extensions: ["yaml", "yml"]))
        var manifest: String?

        func run() async throws {
            let console = Console.current
            let path = lock ?? manifest.map { ($0 as NSString).deletingPathExtension + ".lock" }
            guard let path else {
                console.error("hostimg: error: give --lock FILE or --manifest FILE (its lock is read)")
                throw ExitCode.usage
            }
            let lockFile: LockFile
            do {
                lockFile = try LockFile(parsing: try String(contentsOfFile: path, encoding: .utf8))
            } catch {
                console.error("hostimg: error: cannot read the lock \(path): \(error); `hostimg build --stage resolve` writes it")
                throw ExitCode.usage
            }
            let explanation = PackageExplanation(name: name, lock: lockFile)
            for line in explanation.lines { console.write(line + "\n") }
            if !explanation.present { throw ExitCode.findings }
        }
    }

    /// `hostimg explain file PATH`.
    struct FileReason: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "file",
            abstract: "Which package, overlay or stage put a path into an image, or which prune rule removed it.",
            discussion: """
                With --manifest the tree is built (up to the driver stage, from the cache; no \\
                image written) and the path looked up in it; a path from a package is followed \\
                by that package's chain of reasons. A path the prune stage removed names the \\
                rule and the reason. Exit status 0 when the path is in the image, 1 when it is \\
                not, 2 on bad input.
                """
        )

        @Argument(help: ArgumentHelp("Absolute path in the image, e.g. /usr/bin/ip.", valueName: "path"))
        var path: String

        @OptionGroup var source: ExplainSource

        func run() async throws {
            let console = Console.current
            guard path.hasPrefix("/") else {
                console.error("hostimg: error: \(path) is not an absolute path in the image (start it with /)")
                throw ExitCode.usage
            }
            let explanation: FileExplanation
            switch (source.report, source.manifest) {
            case let (path?, nil):
                explanation = FileExplanation(path: self.path, tree: nil, pruned: try ExplainSource.readReport(path).pruned?.entries ?? [],
                                              lock: nil)
            case (nil, _?):
                let result = try await source.buildTree()
                let lock = result.lockPath.flatMap { try? LockFile(parsing: String(contentsOfFile: $0, encoding: .utf8)) }
                explanation = FileExplanation(path: path, tree: result.tree, pruned: result.report.pruned?.entries ?? [],
                                              lock: lock)
            default:
                console.error("hostimg: error: give exactly one of --report FILE and --manifest FILE")
                throw ExitCode.usage
            }
            for line in explanation.lines { console.write(line + "\n") }
            if !explanation.present { throw ExitCode.findings }
        }
    }
}
