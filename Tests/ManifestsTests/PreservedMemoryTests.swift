import Foundation
import HostTuning
import Testing
import TestSupport
@testable import Manifests

/// `tuning.preservedMemory`: the `memmap=` parameter, the promise and the boot unit it
/// renders, the repository's qemu-hv host, and the kexec rule that keeps the region identical
/// across a switch (`hostimg lint --previous`). The placement rules are corpus fixtures
/// (`Fixtures/corpus/preserved-*.yaml`).
@Suite("Preserved memory")
struct PreservedMemoryTests {
    static func tuning(_ region: String) throws -> Tuning {
        try TuningRenderTests.tuning("preservedMemory: \(region)\n")
    }

    @Test("memmap=SIZE!OFFSET, the offset 4G unless written", arguments: [
        ("{size: 1G}", "memmap=1G!4G", "1G at 4G (default offset)"),
        ("{size: 1G, offset: 4G}", "memmap=1G!4G", "1G at 4G"),
        ("{size: 512M, offset: 6G}", "memmap=512M!6G", "512M at 6G"),
        ("{size: 64GiB, offset: 5120M}", "memmap=64G!5G", "64G at 5G"),
        ("{size: 1536M, offset: 16M}", "memmap=1536M!16M", "1536M at 16M"),
    ])
    func kernelParameter(_ region: String, _ parameter: String, _ summary: String) throws {
        let tuning = try Self.tuning(region)
        let preserved = try #require(tuning.preservedMemory)
        #expect(preserved.kernelParameter == parameter)
        #expect(preserved.summary == summary)
        #expect(KernelCommandLine.tuningArguments(tuning) == [parameter])
    }

    @Test("the region renders a promise, the boot unit and its link, and one setting")
    func rendered() throws {
        let render = TuningRender.render(try Self.tuning("{size: 2G, offset: 8G}"), manifest: "t.yaml")
        let unit = TuningRender.preservedServicePath
        #expect(render.files.map(\.path) == [TuningPromises.path, unit, "/etc/systemd/system/sysinit.target.wants/hostimg-preserved.service"])
        #expect(render.files.last?.target == unit)
        #expect(render.promises.preserved == TuningPromises.Preserved(size: 2 << 30, offset: 8 << 30, path: "/run/hostimg/preserved"))
        #expect(render.promises.commandLine == ["memmap=2G!8G"])
        let promises = try #require(TuningRenderTests.text(render, TuningPromises.path))
        #expect(promises.contains("\ncmdline memmap=2G!8G\npreserved 2147483648 8589934592 /run/hostimg/preserved\n"))
        #expect(try TuningPromises.parse(promises) == render.promises)
        let text = try #require(TuningRenderTests.text(render, unit))
        #expect(text.hasPrefix("# Rendered by hostimg build from t.yaml:1:18 (tuning.preservedMemory); do not edit.\n[Unit]\n"))
        for line in ["DefaultDependencies=no", "After=local-fs.target systemd-udev-trigger.service systemd-modules-load.service",
                     "Before=sysinit.target shutdown.target", "Type=oneshot", "RemainAfterExit=yes",
                     "ExecStart=/usr/bin/hostimg-agent preserved mount", "WantedBy=sysinit.target"] {
            #expect(text.contains("\n" + line + "\n"), "\(line)")
        }
        #expect(render.settings.map(\.setting) == ["tuning.preservedMemory: 2G at 8G"])
        #expect(render.settings.first?.landsIn == ["command line: memmap=2G!8G", unit, TuningPromises.path])
    }

    @Test("no region: no memmap=, no unit, no promise")
    func absent() throws {
        let render = TuningRender.render(try TuningRenderTests.tuning("iommu: {mode: intel}\n"), manifest: "t.yaml")
        #expect(!render.files.contains { $0.path.contains("preserved") })
        #expect(render.promises.preserved == nil)
        #expect(!render.promises.commandLine.contains { $0.hasPrefix("memmap=") })
    }

    @Test("manifests/qemu-hv.yaml: qemu-dev plus QEMU and 1G at 4G, clean against its 4G q35 profile")
    func qemuHV() throws {
        let (render, manifest) = try TuningRenderTests.render("manifests/qemu-hv.yaml")
        #expect(manifest.tuning.preservedMemory?.kernelParameter == "memmap=1G!4G")
        #expect(render.promises.commandLine.last == "memmap=1G!4G")
        #expect(render.files.contains { $0.path == TuningRender.preservedServicePath })
        #expect(manifest.packages?.include.map(\.value).contains("qemu-system-x86") == true)
        let result = try inRepository { try Linter.lint(paths: ["manifests/qemu-hv.yaml", "hardware/qemu-q35-hv.yaml"]) }
        #expect(result.diagnostics == [])
        #expect(result.files.contains("hardware/qemu-q35-hv.yaml"))
    }

    // MARK: kexec.preserved-change

    private func lint(previous: String?, target: String?) throws -> LintResult {
        func manifest(_ region: String?) -> String {
            ValidInputs.manifest + (region.map { "  preservedMemory: \($0)\n" } ?? "")
        }
        return try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            try scratch.write("target.yaml", manifest(target))
            try scratch.write("previous.yaml", manifest(previous))
            return try scratch.lint("target.yaml", options: LintOptions(previousManifest: scratch.path + "/previous.yaml"))
        }
    }

    @Test("kexec.preserved-change: a different region, or one on one side only, names both")
    func kexecChange() throws {
        let changed = try lint(previous: "{size: 1G, offset: 4G}", target: "{size: 2G, offset: 4G}")
        #expect(places(changed.diagnostics) == ["kexec.preserved-change 20:20"])
        #expect(changed.diagnostics.first?.message.contains("from 1G at 4G (") == true)
        #expect(changed.diagnostics.first?.message.contains("/previous.yaml) to 2G at 4G;") == true)
        #expect(changed.diagnostics.first?.hint?.contains("`memmap=1G!4G`") == true)

        let moved = try lint(previous: "{size: 1G}", target: "{size: 1G, offset: 8G}")
        #expect(moved.diagnostics.first?.message.contains("from 1G at 4G (default offset)") == true)
        #expect(moved.diagnostics.first?.message.contains("to 1G at 8G;") == true)

        let removed = try lint(previous: "{size: 1G}", target: nil)
        #expect(places(removed.diagnostics) == ["kexec.preserved-change 1:1"])
        #expect(removed.diagnostics.first?.message.hasSuffix(" to none; a kexec switch must keep it identical") == true)

        let added = try lint(previous: nil, target: "{size: 1G}")
        #expect(added.diagnostics.first?.message.hasPrefix("the preserved-memory region changes from none (") == true)
        #expect(added.diagnostics.map(\.rule) == ["kexec.preserved-change"])
        #expect(added.diagnostics.first?.hint?.hasPrefix("leave `tuning.preservedMemory` out, as the running slot has no region;") == true)
    }

    @Test("the same region (the default offset written out or not) passes", arguments: [
        ("{size: 1G}", "{size: 1G, offset: 4G}"), ("{size: 64G, offset: 8G}", "{size: 65536M, offset: 8G}"),
    ])
    func kexecSame(_ previous: String, _ target: String) throws {
        #expect(try lint(previous: previous, target: target).diagnostics == [])
        #expect(try lint(previous: nil, target: nil).diagnostics == [])
    }

    @Test("a region that did not decode is reported once, not also as a change")
    func kexecInvalid() throws {
        let result = try lint(previous: "{size: 1G}", target: "{size: 1G, offset: 4 gigs}")
        #expect(result.diagnostics.map(\.rule) == ["schema.size"])
    }
}
