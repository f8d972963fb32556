import Foundation
import Testing
@testable import Manifests

@Suite("The manifests, kernels and hardware profiles in the tree")
struct ExampleManifestTests {
    @Test("every YAML file in manifests/, kernels/ and hardware/ lints clean")
    func treeLintsClean() throws {
        let result = try inRepository { try Linter.lint(paths: ["manifests", "kernels", "hardware"]) }
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics.map { "\($0.location): [\($0.rule)] \($0.message)" })")
        #expect(result.files.contains("manifests/hv-host.yaml"))
        #expect(result.files.contains("manifests/qemu-dev.yaml"))
        #expect(result.files.contains("kernels/debian-cloud.yaml"))
    }

    @Test("hv-host merges its base and renders the tuning command line")
    func hvHost() throws {
        let loaded = inRepository { ManifestLoader.load(path: "manifests/hv-host.yaml") }
        #expect(loaded.diagnostics.isEmpty)
        let manifest = try #require(loaded.manifest)
        #expect(manifest.image.name?.value == "hv-host")
        let include = manifest.packages?.include.map(\.value) ?? []
        // Base packages first, then the manifest's own, in order.
        #expect(include.prefix(2) == ["systemd", "systemd-sysv"])
        #expect(include.contains("qemu-system-x86") && include.contains("dpdk"))
        // The base's include keeps its position in the base file.
        #expect(manifest.packages?.include.first?.location.file == "manifests/common/debian-bookworm.yaml")
        #expect(manifest.locales.keep.map(\.value) == ["en_US"])
        #expect(manifest.overlays.map(\.value) == ["../../overlays/common", "../overlays/hv-host"])
        #expect(KernelCommandLine.tuningArguments(manifest.tuning) == [
            "default_hugepagesz=1G", "hugepagesz=1G", "hugepages=64", "hugepagesz=2M", "hugepages=2048",
            "intel_iommu=on", "iommu=pt",
            "isolcpus=managed_irq,domain,1-15,17-31,33-47,49-63", "nohz_full=1-15,17-31,33-47,49-63",
            "rcu_nocbs=1-15,17-31,33-47,49-63", "irqaffinity=0,16,32,48",
        ])
        #expect(loaded.kernel?.package?.value == "linux-image-amd64")
        #expect(loaded.hardware?.nodes.count == 2)
    }
}
