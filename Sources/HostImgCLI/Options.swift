import ArgumentParser
import BuildPipeline

// Option groups shared by subcommands, each shown under its own title in `--help`
// (as SwiftPM's `Options.swift` does), and the value types options parse into.

/// How `lint` (and later `verify`, `inspect`) prints what it found.
struct OutputOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Output format.",
            discussion: """
                text: one 'path:line:col: severity: [rule] message' line per finding, then \
                '  hint: ...'. json: one document (version 1) with files, summary and \
                diagnostics. sarif: SARIF 2.1.0 for GitHub code scanning. github: workflow \
                commands that annotate a pull request.
                """,
            valueName: "format"
        )
    )
    var format: DiagnosticFormat = .text

    @Option(
        help: ArgumentHelp(
            "When to colour text output.",
            discussion: """
                auto colours only when standard output is a terminal, NO_COLOR is unset and \
                TERM is not 'dumb'.
                """,
            valueName: "when"
        )
    )
    var color: ColorMode = .auto

    @Flag(name: [.short, .long], help: "Do not print the summary line (text format).")
    var quiet = false
}

/// The trust anchor for checking signatures (`verify`, `switch`).
struct TrustOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Certificate (PEM) the image and bundle signatures must chain to.",
            discussion: """
                Without it, verify checks structure and hashes and reports signatures as \
                unchecked, and switch uses the certificate built into the running image.
                """,
            valueName: "cert"
        )
    )
    var cert: String?
}

extension DiagnosticFormat: ExpressibleByArgument {}
extension ColorMode: ExpressibleByArgument {}

/// `build --stage`: where the pipeline stops (ARCHITECTURE.md, "The build pipeline").
enum BuildStage: String, CaseIterable, Sendable, ExpressibleByArgument {
    /// Pin every package by version and SHA-256 into NAME.lock beside the manifest.
    case resolve
    /// Download the locked packages into the content-addressed cache, verified.
    case fetch
    /// Unpack, configure, overlay and prune the root tree and render the tuning section into
    /// it; write it as a deterministic tar
    /// (`rootfs.tar`) with `report.json`.
    case rootfs
    /// Everything: EROFS root, dm-verity tree, verity signature, GPT disk image with both
    /// slots, and the update bundle (the default).
    case image

    /// The pipeline's last stage for this choice (`Pipeline.stages(to:)` lists the rest).
    var lastStage: StageName {
        switch self {
        case .resolve: return .resolve
        case .fetch: return .fetch
        case .rootfs: return .rootfs
        case .image: return .bundle
        }
    }
}

/// `--root`: the project folder, shared by `lint` and `build` so both confine a manifest's
/// paths to the same tree.
struct ProjectOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The project folder every path in a manifest must stay inside.",
            discussion: """
                Default: the parent of the nearest folder named manifests, kernels or hardware \
                that holds the manifest, else the manifest's own folder. Absolute paths, '..' \
                that climbs out and symbolic links that lead out of it are errors \
                (path.absolute, path.outside-project), so nothing of the build machine reaches \
                an image.
                """,
            valueName: "dir"
        ),
        completion: .directory
    )
    var root: String?
}
