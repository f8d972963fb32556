import ArgumentParser
import BuildPipeline
import Foundation

extension HostImg.Build {
    /// `build --verify`: the same build twice, unsigned, then every output compared.
    func verifyReproducible(_ options: Pipeline.Options, console: Console) async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("hostimg-verify-\(UUID().uuidString.prefix(8))").path
        // Both builds write into the same directory (its path is in report.json and the
        // bundle's boot files), each then moved aside.
        var build = options
        build.output = work + "/out"
        if build.target == Pipeline.imageStages.last {
            build.image = ImageRequest(signing: .unsigned, environment: console.environment)
            build.image.seed = try imageRequest(console: console).seed
        }
        let first = work + "/first"
        let second = work + "/second"
        console.error("hostimg: build --verify: first build (kept as \(first))")
        let one = try await runForVerify(build, console: console)
        try moveAside(build.output, to: first, console: console)
        build.lockPath = one.lockPath ?? options.lockPath
        build.locked = true
        console.error("hostimg: build --verify: second build (kept as \(second))")
        _ = try await runForVerify(build, console: console)
        try moveAside(build.output, to: second, console: console)
        let differences: [ReproducibilityCheck.Difference]
        do {
            differences = try ReproducibilityCheck.compare(first, second)
        } catch {
            console.error("hostimg: error: cannot compare the two builds: \(error)")
            throw ExitCode.findings
        }
        guard differences.isEmpty else {
            for difference in differences { console.write("differs  \(difference)\n") }
            console.error("hostimg: build --verify: \(differences.count) output(s) differ between two builds of \(manifest); "
                          + "both are kept: \(first) and \(second)")
            throw ExitCode.findings
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: first)
            .filter { !$0.hasPrefix(".") && !ReproducibilityCheck.notCompared.contains($0) }.sorted()) ?? []
        for name in names { console.write("same     \(name)\n") }
        console.error("hostimg: build --verify: \(names.count) outputs identical across two builds of \(manifest)")
        try? FileManager.default.removeItem(atPath: work)
    }

    private func moveAside(_ output: String, to kept: String, console: Console) throws {
        do {
            try FileManager.default.moveItem(atPath: output, toPath: kept)
        } catch {
            console.error("hostimg: error: cannot move the build \(output) to \(kept): \(error.localizedDescription)")
            throw ExitCode.findings
        }
    }

    private func runForVerify(_ options: Pipeline.Options, console: Console) async throws -> Pipeline.Result {
        let progress = BuildProgress.forProcess(console: console)
        do {
            return try await Pipeline(options) { progress.handle($0) }.run()
        } catch let error as BuildError {
            for diagnostic in error.diagnostics { console.error(TextRenderer(color: false).line(for: diagnostic)) }
            console.error("hostimg: error: \(error.description)")
            throw ExitCode.findings
        }
    }
}
