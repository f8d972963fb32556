import Foundation
import HostTuning
import Testing
import TestSupport
@testable import Manifests

/// The `tuning` section rendered into the image's files (TuningRender) for the repository's
/// manifests: which files, at which paths, with which lines, each naming its manifest line,
/// and the promises file the agent reads back.
@Suite("Tuning rendered into files")
struct TuningRenderTests {
    static func render(_ path: String, nativeDrivers: @escaping (String) -> [String] = { _ in [] }) throws -> (TuningRender, Manifest) {
        let loaded = inRepository { ManifestLoader.load(path: path) }
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics.map(\.message))")
        let manifest = try #require(loaded.manifest)
        return (TuningRender.render(manifest.tuning, manifest: manifest.file, nativeDrivers: nativeDrivers), manifest)
    }

    /// The `tuning` section of `yaml`, decoded without diagnostics.
    static func tuning(_ yaml: String, file: String = "t.yaml") throws -> Tuning {
        guard case let .document(root) = YAMLLoader.parse(bytes: Array(yaml.utf8), file: file) else {
            throw ExpectedDiagnostic.FormatError(description: "test YAML does not parse")
        }
        var reader = SchemaReader()
        let tuning = Tuning.decode(root, reader: &reader)
        #expect(reader.sink.diagnostics.isEmpty, "\(reader.sink.diagnostics.map(\.message))")
        return tuning
    }

    static func text(_ render: TuningRender, _ path: String) -> String? {
        render.files.first { $0.path == path }?.text
    }

    static let rules = "/etc/udev/rules.d/40-hostimg-vfio.rules"
    static let modprobe = "/etc/modprobe.d/hostimg-vfio.conf"
    static let affinity = "/etc/systemd/system.conf.d/60-hostimg-cpu-affinity.conf"
    static let service = "/usr/lib/systemd/system/hostimg-tuning.service"

    @Test("qemu-dev: the promises, one mount, the udev rule, CPU affinity, the DPDK group and the tuning service")
    func qemuDevFiles() throws {
        let (render, _) = try Self.render("manifests/qemu-dev.yaml")
        #expect(render.files.map(\.path) == [
            TuningPromises.path,
            "/etc/systemd/system/dev-hugepages.mount", "/etc/systemd/system/sysinit.target.wants/dev-hugepages.mount",
            Self.rules, Self.affinity,
            "/usr/lib/sysusers.d/hostimg-dpdk.conf", "/etc/security/limits.d/60-hostimg-dpdk.conf",
            Self.service, "/etc/systemd/system/sysinit.target.wants/hostimg-tuning.service",
        ])
        let links = render.files.filter { $0.text == nil }
        #expect(links.map(\.target) == ["/etc/systemd/system/dev-hugepages.mount", Self.service])
        #expect(render.files.allSatisfy { ($0.text == nil) != ($0.target == nil) })
        let mount = try #require(Self.text(render, "/etc/systemd/system/dev-hugepages.mount"))
        #expect(mount.contains("\nWhere=/dev/hugepages\nType=hugetlbfs\nOptions=nosuid,nodev,pagesize=2M,mode=0770,gid=dpdk\n"))
        let rules = try #require(Self.text(render, Self.rules))
        let lines = rules.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(lines == [
            #"ACTION=="add", SUBSYSTEM=="pci", KERNEL=="0000:00:03.0", ATTR{driver_override}="vfio-pci", RUN{builtin}+="kmod load vfio-pci""#,
            #"SUBSYSTEM=="vfio", KERNEL!="vfio", GROUP="dpdk", MODE="0660""#,
        ])
        #expect(Self.text(render, Self.affinity)?.hasSuffix("[Manager]\nCPUAffinity=0\n") == true)
        #expect(render.sysusers?.hasSuffix("g dpdk -\nu dpdk -:dpdk \"DPDK user (hostimg tuning)\" /nonexistent /usr/sbin/nologin\nm dpdk dpdk\n") == true)
        #expect(Self.text(render, "/etc/security/limits.d/60-hostimg-dpdk.conf")?.hasSuffix("@dpdk - memlock unlimited\n") == true)
        #expect(Self.text(render, Self.service)?.contains("\nExecStart=/usr/bin/hostimg-agent tuning apply\n") == true)
        // No ids and no native driver: no modprobe.d file.
        #expect(Self.text(render, Self.modprobe) == nil)
    }

    @Test("qemu-dev: the promises file reads back as the promises")
    func qemuDevPromises() throws {
        let (render, manifest) = try Self.render("manifests/qemu-dev.yaml")
        let text = try #require(Self.text(render, TuningPromises.path))
        #expect(try TuningPromises.parse(text) == render.promises)
        #expect(text.hasPrefix("# hostimg tuning promises, rendered from manifests/qemu-dev.yaml by hostimg build.\n"))
        var expected = TuningPromises()
        expected.commandLine = KernelCommandLine.tuningArguments(manifest.tuning)
        expected.pools = [TuningPromises.Pool(sizeKB: 2048, count: 64, node: 0)]
        expected.mounts = [TuningPromises.Mount(path: "/dev/hugepages", pageSizeKB: 2048, group: "dpdk", mode: 0o770)]
        expected.vfioDevices = ["0000:00:03.0"]
        expected.keptDevices = ["0000:00:02.0"]
        expected.deviceGroup = "dpdk"
        expected.affinity = "0"
        #expect(render.promises == expected)
        // The pool is pinned to node 0: allocated by hostimg-tuning.service, not on the command line.
        #expect(!render.promises.commandLine.contains("hugepages=64") && render.promises.commandLine.contains("intel_iommu=on"))
        #expect(render.files.contains { $0.path == TuningRender.tuningServicePath })
    }

    @Test("hv-host: two mounts (1G and 2M of group kvm), three vfio devices, CPU affinity, no DPDK group")
    func hvHostFiles() throws {
        let (render, _) = try Self.render("manifests/hv-host.yaml")
        #expect(render.files.map(\.path) == [
            TuningPromises.path,
            "/etc/systemd/system/dev-hugepages1G.mount", "/etc/systemd/system/sysinit.target.wants/dev-hugepages1G.mount",
            "/etc/systemd/system/dev-hugepages2M.mount", "/etc/systemd/system/sysinit.target.wants/dev-hugepages2M.mount",
            Self.rules, Self.affinity,
            Self.service, "/etc/systemd/system/sysinit.target.wants/hostimg-tuning.service",
        ])
        let large = try #require(Self.text(render, "/etc/systemd/system/dev-hugepages1G.mount"))
        #expect(large.contains("\nWhere=/dev/hugepages1G\n") && large.contains("\nOptions=nosuid,nodev,pagesize=1G,mode=0770,gid=kvm\n"))
        let small = try #require(Self.text(render, "/etc/systemd/system/dev-hugepages2M.mount"))
        #expect(small.contains("\nWhere=/dev/hugepages2M\n") && small.contains("\nOptions=nosuid,nodev,pagesize=2M,mode=0770,gid=kvm\n"))
        let rules = try #require(Self.text(render, Self.rules))
        for address in ["0000:3b:00.0", "0000:3b:00.1", "0000:5e:00.0"] {
            #expect(rules.contains(#"KERNEL=="\#(address)", ATTR{driver_override}="vfio-pci""#))
        }
        #expect(!rules.contains("GROUP="))
        #expect(Self.text(render, Self.affinity)?.hasSuffix("[Manager]\nCPUAffinity=0,16,32,48\n") == true)
        #expect(render.sysusers == nil)
        #expect(Self.text(render, Self.modprobe) == nil)
    }

    @Test("hv-host: the promises file reads back as the promises")
    func hvHostPromises() throws {
        let (render, manifest) = try Self.render("manifests/hv-host.yaml")
        let text = try #require(Self.text(render, TuningPromises.path))
        #expect(try TuningPromises.parse(text) == render.promises)
        #expect(render.promises.commandLine == KernelCommandLine.tuningArguments(manifest.tuning))
        #expect(render.promises.pools == [TuningPromises.Pool(sizeKB: 1_048_576, count: 64), TuningPromises.Pool(sizeKB: 2048, count: 2048)])
        #expect(render.promises.mounts == [
            TuningPromises.Mount(path: "/dev/hugepages1G", pageSizeKB: 1_048_576, group: "kvm", mode: 0o770),
            TuningPromises.Mount(path: "/dev/hugepages2M", pageSizeKB: 2048, group: "kvm", mode: 0o770),
        ])
        #expect(render.promises.vfioDevices == ["0000:3b:00.0", "0000:3b:00.1", "0000:5e:00.0"])
        #expect(render.promises.keptDevices == ["0000:01:00.0"])
        #expect(render.promises.deviceGroup == nil)
        #expect(render.promises.affinity == "0,16,32,48")
    }

    @Test("hv-host with native drivers: softdeps, and no ids= without tuning.vfio.ids")
    func hvHostSoftdeps() throws {
        let (render, manifest) = try Self.render("manifests/hv-host.yaml") { _ in ["ice"] }
        let text = try #require(Self.text(render, Self.modprobe))
        #expect(text.hasSuffix("\nsoftdep ice pre: vfio-pci\n"))
        #expect(!text.contains("options vfio-pci"))
        let file = try #require(render.files.first { $0.path == Self.modprobe })
        #expect(file.source == manifest.tuning.vfio.devices.first?.location)
        #expect(render.settings.contains { $0.setting == "native drivers of the vfio devices: ice" && $0.landsIn == [Self.modprobe] })
    }

    @Test("tuning.vfio.ids: options vfio-pci ids=, and a softdep per native driver but vfio-pci itself")
    func idsAndSoftdeps() throws {
        let tuning = try Self.tuning("""
            vfio:
              ids:
                - {id: "8086:159b", purpose: dpdk}
                - "8086:1592"
              devices:
                - {address: "0000:3b:00.0", id: "8086:1572", purpose: dpdk}

            """)
        let drivers = ["8086:159b": ["ice"], "8086:1592": ["ice", "vfio_pci"], "8086:1572": ["i40e", "vfio-pci"]]
        let render = TuningRender.render(tuning, manifest: "t.yaml") { drivers[$0] ?? [] }
        let text = try #require(Self.text(render, Self.modprobe))
        let lines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(lines == ["options vfio-pci ids=8086:159b,8086:1592", "softdep i40e pre: vfio-pci", "softdep ice pre: vfio-pci"])
        #expect(render.files.first { $0.path == Self.modprobe }?.source.line == 3)
        #expect(render.settings.map(\.setting).contains("tuning.vfio.ids[1]: 8086:1592"))
        // Without native drivers the ids alone make the file.
        let plain = TuningRender.render(tuning, manifest: "t.yaml")
        #expect(Self.text(plain, Self.modprobe)?.split(separator: "\n").filter { !$0.hasPrefix("#") } == ["options vfio-pci ids=8086:159b,8086:1592"])
    }

    @Test("ids alone: the modprobe.d file, no udev rule, no tuning service")
    func idsAlone() throws {
        let tuning = try Self.tuning("vfio:\n  ids: [\"8086:159b\"]\n")
        let render = TuningRender.render(tuning, manifest: "t.yaml")
        #expect(render.files.map(\.path) == [Self.modprobe])
        #expect(render.promises.isEmpty)
    }

    @Test("nothing in the tuning section renders nothing")
    func emptyTuning() throws {
        let render = TuningRender.render(Tuning(), manifest: "t.yaml")
        #expect(render.files.isEmpty && render.settings.isEmpty && render.sysusers == nil && render.promises.isEmpty)
    }

    @Test("every file has a source in the manifest's tuning section", arguments: [
        ("manifests/qemu-dev.yaml", 27...51), ("manifests/hv-host.yaml", 51...74),
    ])
    func everyFileHasASource(path: String, lines: ClosedRange<Int>) throws {
        let (render, _) = try Self.render(path) { _ in ["ice"] }
        for file in render.files {
            #expect(file.source.file == path, "\(file.path)")
            #expect(lines.contains(file.source.line), "\(file.path) from \(file.source)")
            #expect(!file.why.isEmpty)
            // Every regular file but the promises names its manifest line in a banner comment.
            guard let text = file.text, file.path != TuningPromises.path else { continue }
            #expect(text.contains("Rendered by hostimg build from \(path):"), "\(file.path)")
        }
    }

    @Test("settings name the manifest lines they come from")
    func hvHostSettings() throws {
        let (render, _) = try Self.render("manifests/hv-host.yaml")
        let lines = Dictionary(render.settings.map { ($0.setting, $0.source.line) }, uniquingKeysWith: { a, _ in a })
        #expect(lines == [
            "tuning.hugepages.default: 1G": 53,
            "tuning.iommu.mode: intel": 62,
            "tuning.cpus.isolated: 1-15,17-31,33-47,49-63": 74,
            "tuning.hugepages.pools[0]: 64 × 1G": 56,
            "tuning.hugepages.pools[1]: 2048 × 2M": 57,
            "tuning.hugetlbfs[0]: /dev/hugepages1G": 59,
            "tuning.hugetlbfs[1]: /dev/hugepages2M": 60,
            "tuning.vfio.devices[0]: 0000:3b:00.0 (8086:159b)": 65,
            "tuning.vfio.devices[1]: 0000:3b:00.1 (8086:159b)": 66,
            "tuning.vfio.devices[2]: 0000:5e:00.0 (144d:a80a)": 67,
            "tuning.cpus.housekeeping: 0,16,32,48": 73,
        ])
        #expect(render.settings.count == lines.count)
        #expect(render.settings.allSatisfy { $0.source.file == "manifests/hv-host.yaml" && !$0.landsIn.isEmpty && !$0.why.isEmpty })
        let pools = render.settings.first { $0.setting.hasPrefix("tuning.hugepages.pools[0]") }
        #expect(pools?.landsIn == ["command line: hugepagesz=1G hugepages=64 (summed per size)", TuningPromises.path])
    }
}
