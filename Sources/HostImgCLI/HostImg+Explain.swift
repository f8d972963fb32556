import ArgumentParser
import Drivers
import Foundation
import BuildPipeline
import Manifests

extension HostImg {
    /// `hostimg explain`: why something is in an image, or not.
    struct Explain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Explain why a package, a file or a kernel module is in an image or not, and where each tuning setting lands.",
            discussion: """
                module: reads the build report (report.json in a build's output directory), or \
                builds the manifest's tree first with --manifest (cached, no image written).
                tuning: renders the manifest's tuning section (nothing built), or reads a \
                build's report.json.
                package: reads the lock (--lock, or the lock beside --manifest).
                file: looks the path up in the manifest's built tree (--manifest, cached, no \
                image written) and in the prune stage's record; with --report alone only the \
                prune record is known.
                """,
            subcommands: [PackageReason.self, FileReason.self, Module.self, TuningSettings.self]
        )

        struct Module: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "The chain of reasons a kernel module is kept or dropped.",
                discussion: """
                    Prints one line per link of the chain, the direct reason first: e.g. \
                    'dm_bufio: kept' / 'needed by dm_verity' / 'dm_verity: initrd \
                    (kernels/debian-cloud.yaml:17:7)'. Names and aliases are accepted; '-' and \
                    '_' are the same, as for modprobe. Exit status 1 when the module is not in \
                    the kernel at all.
                    """
            )

            @Argument(help: ArgumentHelp("Module name, e.g. dm-verity or virtio_blk.", valueName: "name"))
            var name: String

            @OptionGroup var source: ExplainSource

            func run() async throws {
                let console = Console.current
                let drivers: Drivers.Report
                switch (source.report, source.manifest) {
                case let (path?, nil):
                    guard let found = try ExplainSource.readReport(path).drivers else {
                        console.error("hostimg: error: \(path) has no driver section (the tree had no kernel)")
                        throw ExitCode.usage
                    }
                    drivers = found
                case let (nil, manifest?):
                    guard let found = try await source.buildTree().report.drivers else {
                        console.error("hostimg: error: \(manifest)'s tree has no kernel")
                        throw ExitCode.usage
                    }
                    drivers = found
                default:
                    console.error("hostimg: error: give exactly one of --report FILE and --manifest FILE")
                    throw ExitCode.usage
                }
                guard let chain = drivers.explain(name) else {
                    console.error("hostimg: error: kernel \(drivers.kernelVersion) has no module or built-in named \(name)")
                    throw ExitCode.findings
                }
                for line in chain { console.write(line + "\n") }
            }
        }
    }
}

/// Where `explain module` and `explain file` read from: a build's report, or the manifest's
/// tree built up to the driver stage (from the cache; no image written).
struct ExplainSource: ParsableArguments {
    @Option(help: ArgumentHelp("A build's report.json.", valueName: "file"), completion: .file(extensions: ["json"]))
    var report: String?

    @Option(help: ArgumentHelp("Build this manifest's tree (up to the driver stage) and explain from it.", valueName: "manifest"),
            completion: .file(extensions: ["yaml", "yml"]))
    var manifest: String?

    @Option(help: ArgumentHelp("Cache directory (with --manifest).", valueName: "dir"), completion: .directory)
    var cache: String?

    /// A build's report.json; a file that cannot be read or decoded is printed and exits 2.
    static func readReport(_ path: String) throws -> BuildReport {
        guard let data = FileManager.default.contents(atPath: path) else {
            Console.current.error("hostimg: error: cannot read \(path)")
            throw ExitCode.usage
        }
        do {
            return try JSONDecoder().decode(BuildReport.self, from: data)
        } catch {
            Console.current.error("hostimg: error: \(path) is not a hostimg build report: \(error)")
            throw ExitCode.usage
        }
    }

    /// The manifest's tree and report (a build stopped after the driver stage); a build error
    /// is printed and exits 1.
    func buildTree() async throws -> Pipeline.Result {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("hostimg-explain-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        var options = Pipeline.Options(manifest: manifest ?? "", output: output)
        if let cache { options.cache = cache }
        options.target = .drivers
        do {
            return try await Pipeline(options).run()
        } catch let error as BuildError {
            Console.current.error("hostimg: error: \(error.description)")
            throw ExitCode.findings
        }
    }
}
