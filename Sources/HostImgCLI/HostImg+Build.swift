import ArgumentParser
import Foundation
import HostImgCore

extension HostImg {
    /// `hostimg build MANIFEST`: the image pipeline. The stages up to `rootfs` work (issue 3);
    /// the image stages are issues 4 and 5.
    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build a signed A/B disk image and update bundle from a manifest.",
            discussion: """
                Runs the image pipeline: resolve the manifest's packages (pinned by version and \
                SHA-256 in hostimg.lock), fetch them into a content-addressed cache, unpack them \
                into a file tree without running maintainer scripts, apply overlays and the \
                host tuning, prune what a hypervisor host does not need (locales, docs, foreign \
                binaries, unused kernel modules and firmware), then write the EROFS root, its \
                dm-verity tree and signature, the initrd and unified kernel image, the GPT disk \
                image and the signed update bundle.

                Every stage is cached under the hash of its inputs: a rebuild redoes only what \
                changed, and two builds of the same inputs give the same bytes. No root \
                privileges, loop devices or namespaces are needed.

                Writes into --output: the disk image, the update bundle, the lock file, an SBOM \
                and a build report (what was pruned and why).

                Implemented today: --stage resolve, fetch and rootfs. `--stage rootfs` writes \
                rootfs.tar (sorted, SOURCE_DATE_EPOCH times, numeric owners) and report.json \
                into --output; the later stages exit with status 3.
                """
        )

        @Argument(
            help: ArgumentHelp("The manifest (YAML) describing the image.", valueName: "manifest"),
            completion: .file(extensions: ["yaml", "yml"])
        )
        var manifest: String

        @Option(
            name: [.short, .long],
            help: ArgumentHelp("Directory the image, bundle, lock file, SBOM and report are written to.", valueName: "dir"),
            completion: .directory
        )
        var output: String = "out"

        @Flag(
            help: ArgumentHelp(
                "Fail instead of updating hostimg.lock.",
                discussion: "Use in CI: the build uses exactly the pinned packages, and a manifest change that needs new pins is an error."
            )
        )
        var locked = false

        @Option(
            help: ArgumentHelp(
                "Stop after this stage (each stage's output is cached).",
                discussion: "Default: bundle (the whole pipeline).",
                valueName: "stage"
            )
        )
        var stage: BuildStage?

        @Option(
            help: ArgumentHelp(
                "Directory of the content-addressed cache (default: $XDG_CACHE_HOME/hostimg, or ~/.cache/hostimg).",
                valueName: "dir"
            ),
            completion: .directory
        )
        var cache: String?

        @Option(
            help: ArgumentHelp("The lock file (default: NAME.lock beside the manifest NAME.yaml).", valueName: "file"),
            completion: .file(extensions: ["lock"])
        )
        var lock: String?

        func run() async throws {
            let console = Console.current
            let target = stage ?? .bundle
            guard target.isImplemented else {
                throw NotImplemented.report("build", "the stages after rootfs are tracked in issues 4 and 5; use --stage rootfs")
            }
            guard FileManager.default.fileExists(atPath: manifest) else {
                console.error("hostimg: error: no such file: \(manifest)")
                throw ExitCode.usage
            }
            var options = RootFSBuild.Options(manifest: manifest, output: output, locked: locked)
            if let cache { options.cache = cache }
            options.lockPath = lock
            options.stopAfter = target == .resolve ? .resolve : target == .fetch ? .fetch : nil
            let progress = BuildProgress.forProcess(console: console)
            do {
                let result = try await RootFSBuild(options) { progress.handle($0) }.run()
                for (label, path) in [("lock", result.lockPath), ("rootfs", result.tarPath), ("report", result.reportPath)] {
                    if let path { console.write("\(label): \(path)\n") }
                }
            } catch let error as BuildError {
                for diagnostic in error.diagnostics {
                    console.error(TextRenderer(color: false).line(for: diagnostic))
                }
                console.error("hostimg: error: \(error.description)")
                throw ExitCode.findings
            }
        }
    }
}
