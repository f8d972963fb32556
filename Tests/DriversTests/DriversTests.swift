import ContentStore
import Drivers
import FileTree
import Foundation
import KernelModules
import TestSupport
import Testing

let depmodPath = Tools.find("depmod")

func prune(_ kernel: inout SyntheticKernel, _ request: Drivers.Request) throws -> (Drivers.Report, Drivers.Kernel) {
    try Drivers.prune(
        tree: &kernel.tree, store: kernel.store, request: request, workDirectory: kernel.work, depmod: depmodPath ?? "/sbin/depmod")
}

func kept(_ report: Drivers.Report) -> Set<String> { Set(report.decisions.filter(\.kept).map(\.module)) }

@Suite(.enabled(if: depmodPath != nil, "depmod is not installed (apt-get install kmod)"))
struct ClosureTests {
    @Test func closureFollowsDependsAndTheFirstSoftdepLine() throws {
        var kernel = try SyntheticKernel()
        let (report, _) = try prune(&kernel, .init(keep: ["fake-net"]))
        // crc_helper through the softdep alias "crypto-crchelper", net_post as post; the
        // second softdep line is ignored, as libkmod ignores it.
        #expect(kept(report) == ["fake_net", "core", "crc_helper", "net_post"])
        #expect(report.modulesBefore == SyntheticKernel.modules.count)
        #expect(report.modulesAfter == 4)
        let core = try #require(report.decisions.first { $0.module == "core" })
        #expect(core.reasons == ["needed by fake_net", "fake_net: drivers.keep"])
        #expect(report.explain("crc_helper")?.dropFirst() == ["soft dependency (pre) of fake_net", "fake_net: drivers.keep"])
        #expect(report.bytesAfter == report.decisions.filter(\.kept).reduce(0) { $0 + $1.bytes })
        #expect(report.bytesAfter < report.bytesBefore)
        // The files are gone from the tree, emptied directories too.
        #expect(kernel.tree["\(SyntheticKernel.modulesPath)/kernel/drivers/md/dm-mod.ko"] == nil)
        #expect(kernel.tree["\(SyntheticKernel.modulesPath)/kernel/drivers/md"] == nil)
        #expect(kernel.tree["\(SyntheticKernel.modulesPath)/kernel/lib/core.ko"] != nil)
    }

    @Test func requirementChainsReadLikeTheExplainOutput() throws {
        var kernel = try SyntheticKernel()
        let (report, _) = try prune(&kernel, .init(required: [.init(module: "dm-verity", reason: "initrd (kernels/test.yaml)")]))
        #expect(kept(report) == ["dm_verity", "dm_bufio", "dm_mod"])
        let explained = try #require(report.explain("dm-mod"))
        #expect(explained.first?.hasPrefix("dm_mod: kept (\(SyntheticKernel.modulesPath)/kernel/drivers/md/dm-mod.ko") == true)
        #expect(explained.dropFirst().first == "needed by dm_verity")
        #expect(explained.last == "dm_verity: initrd (kernels/test.yaml)")
        #expect(report.explain("wifi") == ["wifi: removed (\(SyntheticKernel.modulesPath)/kernel/drivers/net/wifi.ko, "
            + "\(try #require(report.decisions.first { $0.module == "wifi" }).bytes) bytes)", "no keep, hardware id or requirement selects it"])
        #expect(report.explain("builtin-usb")?.contains { $0.contains("cannot be removed from a prebuilt kernel") } == true)
        #expect(report.explain("builtin_crc") == ["builtin_crc: built into the kernel \(SyntheticKernel.version)", "built into the kernel"])
        #expect(report.explain("no_such_module") == nil)
    }

    @Test func denyDropsSoftDependenciesAndRefusesHardOnes() throws {
        var kernel = try SyntheticKernel()
        let (report, _) = try prune(&kernel, .init(keep: ["fake_net"], deny: ["net-post", "floppy"]))
        #expect(kept(report) == ["fake_net", "core", "crc_helper"])
        #expect(report.explain("net_post")?.dropFirst() == ["drivers.deny", "soft dependency (post) of fake_net, skipped"])
        #expect(report.explain("floppy")?.dropFirst() == ["drivers.deny"])

        var second = try SyntheticKernel()
        let error = #expect(throws: DriversError.self) { try prune(&second, .init(keep: ["needs_floppy"], deny: ["floppy"])) }
        guard case .dependsOnDenied(let module, let denied, _)? = error else {
            Issue.record("expected dependsOnDenied, got \(String(describing: error))")
            return
        }
        #expect(module == "needs_floppy" && denied == "floppy")
        #expect(error?.description.contains("needs_floppy needs floppy") == true)

        var third = try SyntheticKernel()
        #expect(throws: DriversError.keptAndDenied(module: "floppy", reason: "drivers.keep")) {
            try prune(&third, .init(keep: ["floppy"], deny: ["floppy"]))
        }
    }

    @Test func unknownNamesAreNamedWithSuggestions() throws {
        var kernel = try SyntheticKernel()
        let error = #expect(throws: DriversError.self) { try prune(&kernel, .init(keep: ["fake_nett"])) }
        guard case .unknownModule(let name, let source, let suggestions)? = error else {
            Issue.record("expected unknownModule, got \(String(describing: error))")
            return
        }
        #expect(name == "fake_nett" && source == "drivers.keep")
        #expect(suggestions.first == "fake_net")
        #expect(error?.description.contains("did you mean \"fake_net\"") == true)
        // The tree is untouched when prune fails.
        #expect(kernel.tree["\(SyntheticKernel.modulesPath)/kernel/drivers/net/wifi.ko"] != nil)

        var second = try SyntheticKernel()
        #expect(throws: DriversError.self) {
            try prune(&second, .init(required: [.init(module: "kvm_intel", reason: "tuning.iommu")]))
        }
        // Aliases and built-ins are known names.
        var third = try SyntheticKernel()
        let (report, _) = try prune(&third, .init(keep: ["core-alias", "builtin_crc"]))
        #expect(kept(report) == ["core"])
        #expect(report.explain("core")?.dropFirst() == ["drivers.keep: core-alias"])
    }

    @Test func hardwareIDsMatchAliasesAsModprobeDoes() throws {
        var kernel = try SyntheticKernel()
        let (report, _) = try prune(&kernel, .init(hardware: ["8086:10d3", "1AF4:1042", "144d:a80a", "dead:beef"]))
        // class_only ("pci:v*d*...bc01sc01i*") needs a class an id cannot show; wifi is 8086:2723.
        #expect(kept(report) == ["nic_intel", "fake_blk", "core"])
        #expect(report.explain("nic_intel")?.dropFirst() == ["hardware id 8086:10d3 matches alias pci:v00008086d000010D3sv*sd*bc*sc*i*"])
        #expect(report.unmatchedHardware == ["dead:beef"])
        #expect(report.builtinDriversWithoutHardware == ["builtin_usb"])
        #expect(report.explain("builtin_nvme")?.contains { $0.hasPrefix("hardware id 144d:a80a matches") } == true)

        for malformed in ["8086-10d3", "808:10d3", "8086:10g3", "8086:10d3:1", ""] {
            var other = try SyntheticKernel()
            #expect(throws: DriversError.malformedHardwareID(malformed)) { try prune(&other, .init(hardware: [malformed])) }
        }
    }

    @Test func firmwareStaysOnlyWhenAKeptOrBuiltinModuleNamesIt() throws {
        var kernel = try SyntheticKernel()
        let (report, _) = try prune(&kernel, .init(keep: ["fake_net"]))
        #expect(report.firmwareFilesBefore == 5)
        #expect(report.firmwareFilesAfter == 3)
        #expect(report.firmwareBytesRemoved == UInt64("wifi firmware".utf8.count + "unused".utf8.count))
        let remaining = kernel.tree.descendants(of: "/usr/lib/firmware")
        #expect(remaining == ["/usr/lib/firmware/fake", "/usr/lib/firmware/fake/net-v2.bin", "/usr/lib/firmware/fake/net.bin",
                              "/usr/lib/firmware/fake/usb.bin"])
    }

    @Test func missingOrSeveralKernelsAreErrors() throws {
        var kernel = try SyntheticKernel()
        kernel.tree.remove("/boot/vmlinuz-\(SyntheticKernel.version)")
        #expect(throws: DriversError.noKernel(moduleDirectories: [SyntheticKernel.modulesPath])) { try prune(&kernel, .init()) }

        var two = try SyntheticKernel()
        try two.add("/usr/lib/modules/6.2.0-other/modules.order", [])
        try two.add("/boot/vmlinuz-6.2.0-other", [1])
        #expect(throws: DriversError.severalKernels(["6.1.0-drivers-test", "6.2.0-other"])) { try prune(&two, .init()) }

        var broken = try SyntheticKernel()
        let error = #expect(throws: DriversError.self) {
            try Drivers.prune(tree: &broken.tree, store: broken.store, request: .init(), workDirectory: broken.work, depmod: "/bin/false")
        }
        guard case .depmodFailed(let command, let status, _)? = error else {
            Issue.record("expected depmodFailed, got \(String(describing: error))")
            return
        }
        #expect(command.hasPrefix("/bin/false -b ") && status == 1)
    }
}

@Suite(.enabled(if: depmodPath != nil, "depmod is not installed (apt-get install kmod)"))
struct RegenerationTests {
    /// Writes the tree's module directory to disk, as the image will hold it.
    func materialize(_ kernel: SyntheticKernel, into root: String) throws -> String {
        for path in kernel.tree.descendants(of: SyntheticKernel.modulesPath) {
            let target = root + "/lib/modules/" + SyntheticKernel.version + path.dropFirst(SyntheticKernel.modulesPath.count)
            guard let ref = kernel.tree[path]?.content else {
                try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
                continue
            }
            try FileManager.default.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(try kernel.store.read(ref)).write(to: URL(fileURLWithPath: target))
        }
        return root + "/lib/modules/" + SyntheticKernel.version
    }

    @Test func indexesListOnlyKeptModules() throws {
        var kernel = try SyntheticKernel()
        let (report, _) = try prune(&kernel, .init(keep: ["fake_net", "dm-verity"]))
        let base = SyntheticKernel.modulesPath
        let dep = try kernel.read("\(base)/modules.dep")
        let listed = Set(dep.split(separator: "\n").flatMap { $0.split(whereSeparator: { $0 == ":" || $0 == " " }) }
            .map { FakeModule.baseName(String($0)).replacingOccurrences(of: "-", with: "_") })
        #expect(listed == kept(report))
        #expect(dep.contains("kernel/drivers/net/fake-net.ko: kernel/lib/core.ko"))
        #expect(try kernel.read("\(base)/modules.order").split(separator: "\n").count == report.modulesAfter)
        #expect(try kernel.read("\(base)/modules.softdep").contains("softdep fake_net pre: crypto-crchelper post: net_post"))
        #expect(!(try kernel.read("\(base)/modules.alias")).contains("wifi"))
        for index in ["modules.dep.bin", "modules.alias.bin", "modules.symbols.bin", "modules.builtin.bin"] {
            #expect(kernel.tree["\(base)/\(index)"]?.content != nil, "\(index) missing")
        }
        #expect(kernel.tree["\(base)/modules.dep"]?.origin == "drivers (depmod)")

        // libkmod reads the regenerated index like the booted system will.
        let scratch = try ScratchDirectory()
        let directory = try ModuleDirectory(directory: try materialize(kernel, into: scratch.url.path))
        #expect(try directory.dependencies(of: "dm_verity").map(\.name) == ["dm_mod", "dm_bufio"])
        #expect(try directory.lookup("pci:v00001AF4d00001041sv00001AF4sd00000001bc02sc00i00").map(\.name) == ["fake_net"])
        #expect(try directory.lookup("wifi") == [])
    }

    @Test func loadOrderIsModprobes() throws {
        var kernel = try SyntheticKernel()
        let (_, handle) = try prune(&kernel, .init(keep: ["fake_net", "dm-verity", "vfio-pci"]))
        let base = SyntheticKernel.modulesPath
        #expect(handle.version == SyntheticKernel.version && handle.vmlinuzPath == "/boot/vmlinuz-\(SyntheticKernel.version)")
        #expect(handle.modulesPath == base)
        let order = try handle.loadOrder(for: ["fake-net", "dm_verity", "vfio-pci"])
        #expect(order == [
            "kernel/lib/core.ko", "kernel/crypto/crc_helper.ko", "kernel/drivers/net/fake-net.ko", "kernel/net/net_post.ko",
            "kernel/drivers/md/dm-mod.ko", "kernel/drivers/md/dm-bufio.ko", "kernel/drivers/md/dm-verity.ko",
            "kernel/drivers/vfio/vfio.ko", "kernel/drivers/vfio/pci/vfio-pci.ko", "kernel/drivers/vfio/vfio_iommu_type1.ko",
        ].map { "\(base)/\($0)" })
        #expect(try handle.loadOrder(for: ["core-alias"]) == ["\(base)/kernel/lib/core.ko"])
        #expect(try handle.loadOrder(for: ["builtin_crc"]) == [])
        #expect(throws: DriversError.self) { try handle.loadOrder(for: ["wifi"]) }

        // modprobe agrees, on the pruned directory written to disk.
        guard let modprobe = Tools.find("modprobe") else { return }
        let scratch = try ScratchDirectory()
        let directory = try materialize(kernel, into: scratch.path("root"))
        try FileManager.default.createDirectory(atPath: scratch.path("conf"), withIntermediateDirectories: true)
        let result = try Tools.run(modprobe, ["-C", scratch.path("conf"), "-d", scratch.path("root"), "-S", SyntheticKernel.version,
                                              "--show-depends", "-a", "fake-net", "dm_verity", "vfio-pci"])
        #expect(result.status == 0, "modprobe failed: \(result.stderr)")
        var seen = Set<String>()
        let inserted = result.stdoutText.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("insmod ") else { return nil }
            let path = line.dropFirst("insmod ".count).trimmingCharacters(in: .whitespaces)
            return base + path.dropFirst(directory.count)
        }.filter { seen.insert($0).inserted }
        #expect(inserted == order)
    }
}

@Suite struct PCIIDTests {
    @Test func parsesAndMatchesLikeTheKernelsModalias() throws {
        let id = try Drivers.PCIID("8086:10d3")
        #expect(id.description == "8086:10d3")
        #expect(id.matches(alias: "pci:v00008086d000010D3sv*sd*bc*sc*i*"))
        #expect(!id.matches(alias: "pci:v00008086d000010d3sv*sd*bc*sc*i*"))  // the kernel prints uppercase
        #expect(id.matches(alias: "pci:v00008086d*sv*sd*bc*sc*i*"))  // vendor-wide
        #expect(id.matches(alias: "pci:v00008086d000010D?sv*sd*bc*sc*i*"))
        #expect(id.matches(alias: "pci:v00008086d000010D3sv00001028sd*bc*sc*i*"))  // subsystem unknown: may match
        #expect(!id.matches(alias: "pci:v00008086d*sv*sd*bc02sc00i*"))  // vendor + class: class unknown
        #expect(!id.matches(alias: "pci:v*d*sv*sd*bc01sc08i02*"))
        #expect(!id.matches(alias: "vfio_pci:v*d*sv*sd*bc*sc*i*"))
        #expect(!id.matches(alias: "pci:v00008086"))  // truncated pattern
        #expect(!id.matches(alias: "usb:v8086p10D3d*"))
        #expect(try Drivers.PCIID("1AF4:1041") == Drivers.PCIID("1af4:1041"))
    }
}
