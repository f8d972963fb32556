import ArgumentParser
import Foundation
import BuildPipeline
import Manifests

extension HostImg.Explain {
    /// `hostimg explain tuning (MANIFEST | DIR | X.img | --report FILE)`: every tuning setting,
    /// where it lands in the image and why, then every file the tuning renders.
    struct TuningSettings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "tuning",
            abstract: "Every tuning setting, where it lands in the image and why.",
            discussion: """
                PATH is a manifest (rendered from the manifest alone, nothing is built), a \
                build's output directory, an image file (X.img: the report.json beside it is \
                read) or a report.json; --report FILE names the report instead.

                For each setting of the manifest's tuning section, one block: the setting and \
                the manifest line it was written at, then one '→' line per place it lands \
                (the kernel command line, a systemd unit, modprobe.d, a udev rule, the \
                promises file the agent checks), then why, in the order the manifest writes \
                them. A 'files' section follows: every file the tuning renders into the image, \
                with its manifest line and reason. A manifest is linted first, as hostimg \
                build does it (--root as for lint and build).

                Example:

                  $ hostimg explain tuning manifests/qemu-dev.yaml
                  tuning.hugepages.default: 2M  (manifests/qemu-dev.yaml:29:14)
                    → command line: default_hugepagesz=2M
                    why: mappings without an explicit size (...) use this size

                  tuning.hugepages.pools[0]: 64 × 2M  (manifests/qemu-dev.yaml:32:9)
                    → command line: hugepagesz=2M hugepages=64 (summed per size)
                    → /usr/lib/hostimg/tuning.conf
                    why: reserved by the kernel at boot, before memory fragments; ...
                  ...
                  files
                    /etc/systemd/system/dev-hugepages.mount  (manifests/qemu-dev.yaml:34:7)
                      why: hugetlbfs mount for 2M pages
                  ...
                  softdeps: known after a build (run on the build's report.json)

                  $ hostimg explain tuning out/qemu-dev
                  $ hostimg explain tuning out/qemu-dev/qemu-dev.img
                  $ hostimg explain tuning --json --report out/qemu-dev/report.json

                From a manifest the kernel's native drivers of the vfio devices are not known, \
                so the modprobe.d softdeps are left out and the output says so; explain the \
                build's report.json to see them.

                --json prints one JSON object instead: {"source": PATH, "settings": [{"setting", \
                "landsIn", "why", "source": {"file", "line", "column"}}], "files": [{"path", \
                "why", "source"}], "notes": [...]}, keys sorted.

                A manifest without a tuning section prints 'no tuning settings'.

                Exit status: 0 on success; 1 when the manifest has lint errors (printed as \
                lint prints them, on standard error); 2 when PATH does not exist, is not a \
                manifest, build directory, image or report, or the report has no tuning \
                section (built before tuning was rendered).
                """
        )

        @Argument(help: ArgumentHelp("A manifest, a build's output directory, an image (X.img) or a report.json.",
                                     valueName: "path"),
                  completion: .file(extensions: ["yaml", "yml", "img", "json"]))
        var path: String?

        @Option(help: ArgumentHelp("A build's report.json.", valueName: "file"), completion: .file(extensions: ["json"]))
        var report: String?

        @Flag(help: "Print one JSON object instead of text.")
        var json = false

        @OptionGroup(title: "Project")
        var project: ProjectOptions

        func run() async throws {
            let console = Console.current
            let explanation: TuningExplanation
            do throws(ExplainProblem) {
                switch try Self.input(path: path, report: report) {
                case let .manifest(manifest): explanation = try Self.fromManifest(manifest, root: project.root)
                case let .report(file): explanation = try Self.fromReport(file)
                }
            } catch let problem {
                if !problem.diagnostics.isEmpty {
                    console.error(TextRenderer(color: false).render(problem.diagnostics, files: []))
                }
                console.error("hostimg: error: \(problem.message)")
                throw problem.code
            }
            if json {
                console.write(try explanation.json())
            } else {
                console.write(explanation.text())
            }
        }

        /// What a command line names: a manifest to render, or a build report to read.
        enum Input: Equatable {
            case manifest(String)
            case report(String)
        }

        /// Decides what `path` or `--report` names; a usage problem when it is neither or both,
        /// when it does not exist, or when a build directory or image has no report beside it.
        static func input(path: String?, report: String?) throws(ExplainProblem) -> Input {
            switch (path, report) {
            case let (nil, report?):
                try requireFile(report, option: "--report: ")
                return .report(report)
            case let (path?, nil):
                return try classify(path)
            case (nil, nil):
                throw ExplainProblem("name a manifest, a build's output directory, an image or --report FILE")
            case (_?, _?):
                throw ExplainProblem("give either PATH or --report FILE, not both")
            }
        }

        private static func classify(_ path: String) throws(ExplainProblem) -> Input {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ExplainProblem("no such file or directory: \(path)")
            }
            if isDirectory.boolValue {
                let report = (path as NSString).appendingPathComponent("report.json")
                guard FileManager.default.fileExists(atPath: report) else {
                    throw ExplainProblem("\(path) holds no report.json; name a build's output directory, or a manifest")
                }
                try requireFile(report, option: "")
                return .report(report)
            }
            try requireFile(path, option: "")
            switch (path as NSString).pathExtension.lowercased() {
            case "img":
                let report = ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent("report.json")
                guard FileManager.default.fileExists(atPath: report) else {
                    throw ExplainProblem("no report.json beside \(path) (looked for \(report)); the build writes it beside the image")
                }
                try requireFile(report, option: "")
                return .report(report)
            case "json":
                return .report(path)
            default:
                return .manifest(path)
            }
        }

        /// A readable regular file; a named pipe or device is refused unopened (it could block).
        private static func requireFile(_ path: String, option: String) throws(ExplainProblem) {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ExplainProblem("\(option)no such file: \(path)")
            }
            if let special = Linter.specialFileDescription(path) {
                throw ExplainProblem("\(option)\(path) is \(special), not a regular file")
            }
            if isDirectory.boolValue { throw ExplainProblem("\(option)\(path) is a directory, not a file") }
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw ExplainProblem("\(option)cannot read \(path): permission denied")
            }
        }

        /// Loads and lints `path` as `hostimg build` does, and renders its tuning without a
        /// kernel: the softdeps on the native drivers are left for the build to find.
        static func fromManifest(_ path: String, root rootPath: String?) throws(ExplainProblem) -> TuningExplanation {
            var root: ProjectRoot?
            if let rootPath {
                guard let named = ProjectRoot(directory: rootPath) else {
                    throw ExplainProblem("--root: \(rootPath) is not a directory; name the project folder (the one holding manifests/)")
                }
                root = named
            }
            let loaded = ManifestLoader.load(path: path, root: root)
            let errors = (loaded.diagnostics + ManifestRules.check(loaded)).filter { $0.severity == .error }
            guard errors.isEmpty, let manifest = loaded.manifest else {
                let count = max(errors.count, 1)
                throw ExplainProblem("\(path) has \(count) error\(count == 1 ? "" : "s"); `hostimg lint \(path)` lists them",
                                     code: .findings, diagnostics: Array(Set(errors)).sorted())
            }
            let render = TuningRender.render(manifest.tuning, manifest: manifest.file)
            let vfio = manifest.tuning.vfio
            let claimsIds = !vfio.ids.isEmpty || vfio.devices.contains { $0.id != nil }
            return TuningExplanation(
                source: path, settings: render.settings,
                files: render.files.map { TuningExplanation.File(path: $0.path, why: $0.why, source: $0.source) },
                notes: claimsIds ? [TuningExplanation.softdepsNote] : []
            )
        }

        /// What `report.json` must hold for this command: enough to know it is a build report,
        /// and the tuning section.
        private struct ReportTuning: Decodable {
            var image: String
            var version: String
            var tuning: BuildReport.Tuning?
        }

        static func fromReport(_ path: String) throws(ExplainProblem) -> TuningExplanation {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ExplainProblem("cannot read \(path)")
            }
            let decoded: ReportTuning
            do {
                decoded = try JSONDecoder().decode(ReportTuning.self, from: data)
            } catch {
                throw ExplainProblem("\(path) is not a hostimg build report: \(error)")
            }
            guard let tuning = decoded.tuning else {
                throw ExplainProblem("""
                    \(path) has no tuning section: the image \(decoded.image) \(decoded.version) was built before tuning was \
                    rendered; rebuild it, or explain its manifest (hostimg explain tuning MANIFEST)
                    """)
            }
            return TuningExplanation(
                source: path, settings: tuning.settings,
                files: tuning.files.map { TuningExplanation.File(path: $0.path, why: $0.why, source: $0.source) },
                notes: []
            )
        }
    }

    /// Why `explain tuning` could not answer: the message for standard error, the exit status,
    /// and the manifest's lint errors when those are the reason.
    struct ExplainProblem: Error {
        var message: String
        var code: ExitCode
        var diagnostics: [Diagnostic]

        init(_ message: String, code: ExitCode = .usage, diagnostics: [Diagnostic] = []) {
            self.message = message
            self.code = code
            self.diagnostics = diagnostics
        }
    }
}

/// What `hostimg explain tuning` prints: the settings and rendered files of one manifest or
/// build report. Encoded as is for `--json`.
struct TuningExplanation: Codable, Sendable, Equatable {
    struct File: Codable, Sendable, Equatable {
        var path: String
        var why: String
        var source: SourceLocation
    }

    /// The manifest or report.json explained.
    var source: String
    var settings: [TuningRender.Setting]
    var files: [File]
    /// What the output cannot tell, e.g. the softdeps when rendered from a manifest.
    var notes: [String]

    static let softdepsNote = "softdeps: known after a build (run on the build's report.json)"

    /// `settings` are put in the order they are written in (file by file, in the order the
    /// files first appear, then by line), not the order the render visits them in.
    init(source: String, settings: [TuningRender.Setting], files: [File], notes: [String]) {
        self.source = source
        self.settings = Self.inManifestOrder(settings)
        self.files = files
        self.notes = notes
    }

    static func inManifestOrder(_ settings: [TuningRender.Setting]) -> [TuningRender.Setting] {
        var fileRank: [String: Int] = [:]
        for setting in settings where fileRank[setting.source.file] == nil {
            fileRank[setting.source.file] = fileRank.count
        }
        return settings.enumerated().sorted { a, b in
            let left = (fileRank[a.element.source.file] ?? 0, a.element.source.line, a.offset)
            let right = (fileRank[b.element.source.file] ?? 0, b.element.source.line, b.offset)
            return left < right
        }.map(\.element)
    }

    var isEmpty: Bool { settings.isEmpty && files.isEmpty }

    /// One block per setting, then the files, then the notes. Text from the manifest is
    /// shown with control characters escaped, so a YAML string cannot drive the terminal.
    func text() -> String {
        guard !isEmpty else { return "no tuning settings\n" + notes.map { $0 + "\n" }.joined() }
        let clean = TextRenderer.escapingControlCharacters
        var blocks: [String] = []
        for setting in settings {
            var block = "\(clean(setting.setting))  (\(clean(setting.source.description)))\n"
            for place in setting.landsIn { block += "  → \(clean(place))\n" }
            block += "  why: \(clean(setting.why))\n"
            blocks.append(block)
        }
        if !files.isEmpty {
            var block = "files\n"
            for file in files {
                block += "  \(clean(file.path))  (\(clean(file.source.description)))\n"
                block += "    why: \(clean(file.why))\n"
            }
            blocks.append(block)
        }
        if !notes.isEmpty {
            blocks.append(notes.map { clean($0) + "\n" }.joined())
        }
        return blocks.joined(separator: "\n")
    }

    /// Pretty-printed JSON with sorted keys and a final newline.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self)
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
