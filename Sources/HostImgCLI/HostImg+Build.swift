import ArgumentParser
import BuildPipeline
import ByteCodec
import Foundation
import Manifests

extension HostImg {
    /// `hostimg build MANIFEST`: the image pipeline, manifest to signed disk image and bundle.
    struct Build: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Build a signed A/B disk image and update bundle from a manifest.",
            discussion: """
                Runs the image pipeline: resolve the manifest's packages (pinned by version and \
                SHA-256 in NAME.lock), fetch them into a content-addressed cache, unpack them \
                into a file tree without running maintainer scripts, apply overlays and the \
                host tuning, prune what a hypervisor host does not need (locales, docs, foreign \
                binaries, unused kernel modules and firmware), then write the EROFS root, its \
                dm-verity tree and signature, the initrd (a small init that checks dm-verity, \
                the boot modules and their libraries) and the kernel command line, the GPT disk \
                image and the signed update bundle.

                Signing: --key/--cert, else the manifest's `signing`, else a DEVELOPMENT key \
                kept in the cache (the build then warns loudly, and report.json says so). \
                --unsigned leaves the verity signature and the bundle signature out; \
                `hostimg sign` adds them later, but not the trust store a signed build puts \
                into the root (its certificate, /usr/lib/hostimg/trust): the agent of an \
                image built --unsigned refuses every update bundle (docs/agent.md).

                Every stage is cached under the hash of its inputs: a rebuild redoes only what \
                changed, and two builds of the same inputs give the same bytes. No root \
                privileges, loop devices or namespaces are needed.

                Writes into --output: NAME.img (GPT: a FAT32 ESP with systemd-boot and the \
                slot's UKI, slot A root + verity + verity-sig, slot B empty, state), \
                NAME.bundle (signed manifest first, zstd payloads after), NAME.spdx.json (the \
                SBOM), NAME.provenance.json (signed builds: SLSA provenance in a DSSE \
                envelope), report.json (sizes, root hash, partitions, what was pruned and why, \
                time per stage), and the slot's boot files: NAME_VERSION.efi (the UKI), \
                vmlinuz, initrd.img and cmdline.txt; the lock file goes beside the manifest. \
                `hostimg explain package|file|module NAME` says why something is in the image \
                or not. `--stage rootfs` writes rootfs.tar (sorted, SOURCE_DATE_EPOCH times, \
                numeric owners) instead.
                """
        )

        @Argument(
            help: ArgumentHelp("The manifest (YAML) describing the image.", valueName: "manifest"),
            completion: .file(extensions: ["yaml", "yml"])
        )
        var manifest: String

        @Option(
            name: [.short, .long],
            help: ArgumentHelp(
                "Directory the image, bundle, boot files and report are written to.",
                discussion: "Created if missing; not inside an overlay directory. The outputs replace the previous ones only when all were written.",
                valueName: "dir"),
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
                discussion: "Default: image (the whole pipeline).",
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

        @Flag(
            help: ArgumentHelp(
                "Build twice and compare every output byte for byte.",
                discussion: """
                    Two builds in fresh temporary directories from the same lock, seed and \
                    SOURCE_DATE_EPOCH, unsigned (signatures are made from these bytes afterwards, \
                    and an ECDSA signature differs every time by design). A difference names the \
                    output, its first differing byte and what lies there: the partition and the \
                    file inside the root file system, the bundle member, the UKI section, the line \
                    of a text output. report.json is left out (it records each stage's duration). \
                    Exit 1 on a difference (both builds are kept and named), 0 \
                    when every output is identical (the builds are removed).
                    """))
        var verify = false

        @OptionGroup(title: "Signing")
        var signing: SigningOptions

        @OptionGroup(title: "Project")
        var project: ProjectOptions

        @Option(
            help: ArgumentHelp(
                "32 hex digits every UUID and the verity salt derive from.",
                discussion: "Default: derived from the image name, so partition UUIDs stay the same across versions. Also read from HOSTIMG_SEED.",
                valueName: "hex"
            )
        )
        var seed: String?

        func run() async throws {
            let console = Console.current
            let target = stage ?? .image
            guard FileManager.default.fileExists(atPath: manifest) else {
                console.error("hostimg: error: no such file: \(manifest)")
                throw ExitCode.usage
            }
            var options = Pipeline.Options(manifest: manifest, output: output, locked: locked)
            if let cache { options.cache = cache }
            options.lockPath = lock
            options.root = project.root
            options.target = target.lastStage
            if target == .image {
                options.image = try imageRequest(console: console)
            }
            if verify { return try await verifyReproducible(options, console: console) }
            let progress = BuildProgress.forProcess(console: console)
            do {
                let result = try await Pipeline(options) { progress.handle($0) }.run()
                for (label, path) in [("lock", result.lockPath), ("rootfs", result.tarPath), ("image", result.imagePath),
                                      ("bundle", result.bundlePath), ("report", result.reportPath)] {
                    if let path { console.write("\(label): \(path)\n") }
                }
            } catch let error as BuildError where error.cause is OutputDirectoryError {
                // Checked before anything runs: bad usage, not a failed build.
                console.error("hostimg: error: --output: \(error.cause)")
                throw ExitCode.usage
            } catch let error as BuildError {
                for diagnostic in error.diagnostics {
                    console.error(TextRenderer(color: false).line(for: diagnostic))
                }
                console.error("hostimg: error: \(error.description)")
                throw ExitCode.findings
            }
        }

        func imageRequest(console: Console) throws -> ImageRequest {
            var request = ImageRequest(signing: try signing.choice(), environment: console.environment)
            if let text = seed ?? console.environment["HOSTIMG_SEED"] {
                guard let bytes = Hex.decode(text), bytes.count == 16 else {
                    console.error("hostimg: error: --seed '\(text)' must be 32 hex digits (16 bytes)")
                    throw ExitCode.usage
                }
                request.seed = bytes
            }
            return request
        }
    }
}

/// `--key`, `--cert`, `--unsigned`: shared by `build` and `sign`.
struct SigningOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Private key (PEM) to sign with; needs --cert.", valueName: "file"), completion: .file())
    var key: String?

    @Option(help: ArgumentHelp("Certificate (PEM) of the signing key; needs --key.", valueName: "file"), completion: .file())
    var cert: String?

    @Flag(help: "Build without signatures; sign later with `hostimg sign`.")
    var unsigned = false

    func choice() throws -> ImageRequest.Signing {
        switch (key, cert, unsigned) {
        case (nil, nil, true): return .unsigned
        case (nil, nil, false): return .automatic
        case let (key?, cert?, false): return .files(key: key, certificate: cert)
        case (_, _, true):
            Console.current.error("hostimg: error: --unsigned cannot be combined with --key or --cert")
            throw ExitCode.usage
        default:
            Console.current.error("hostimg: error: --key and --cert go together")
            throw ExitCode.usage
        }
    }
}
