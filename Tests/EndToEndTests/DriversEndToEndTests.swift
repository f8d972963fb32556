import ContentStore
import Debian
import Drivers
import FileTree
import Foundation
import BuildPipeline
import Manifests
import RootFS
import Testing
import TestSupport

/// Issue 5's pruning acceptance on Debian's real cloud kernel: for a set of kept modules the
/// closure equals what `modprobe -d ROOT --show-depends` resolves for the same set on the
/// unpruned kernel, and the initrd's load order is modprobe's.
@Suite("driver pruning on Debian's cloud kernel", .serialized,
       .enabled(if: ProcessInfo.processInfo.environment["HOSTIMG_NETWORK_TESTS"] == "1", "set HOSTIMG_NETWORK_TESTS=1 (make e2e): needs deb.debian.org"),
       .enabled(if: Tools.find("modprobe") != nil && Tools.find("depmod") != nil && Tools.find("dpkg-deb") != nil,
                "needs modprobe, depmod (kmod) and dpkg-deb"))
struct DriversEndToEndTests {
    /// What the initrd keeps, and what a hypervisor host on cloud hardware would (the cloud
    /// kernel has no drivers for bare-metal NICs such as ice or igb: hv-host uses the generic one).
    static let keep = [
        "virtio_pci", "virtio_blk", "nvme", "dm-mod", "dm-verity", "erofs",  // kernels/debian-cloud.yaml initrd
        "mlx5_core", "ena", "ixgbevf", "vfio-pci", "kvm_intel", "kvm_amd", "vfio_iommu_type1",
        "virtio_net", "vhost_net", "tun", "bridge", "overlay", "ext4",
    ]

    /// The kernel package's .deb from the e2e cache (resolved and fetched like any package).
    static func kernelDeb(_ scratch: ScratchDirectory) async throws -> (path: String, version: String) {
        var options = Pipeline.Options(manifest: RootFSEndToEndTests.repository + "/manifests/qemu-dev.yaml",
                                          output: scratch.path("fetch"), cache: RootFSEndToEndTests.cache)
        options.lockPath = scratch.path("qemu-dev.lock")
        options.target = .fetch
        _ = try await Pipeline(options).run()
        let lock = try LockFile(parsing: String(contentsOfFile: scratch.path("qemu-dev.lock"), encoding: .utf8))
        let entry = try #require(lock.entries.first { $0.package.hasPrefix("linux-image-") && $0.package.hasSuffix("-cloud-amd64") && $0.package != "linux-image-cloud-amd64" })
        let store = try ContentStore(root: RootFSEndToEndTests.cache)
        return (store.path(forHash: entry.sha256), String(entry.package.dropFirst("linux-image-".count)))
    }

    /// `modprobe --show-depends` for each name on the extracted, depmod-indexed kernel: the
    /// module files in the order modprobe would insert them (each once) and the built-ins.
    static func modprobe(_ names: [String], root: String, version: String, config: String) throws -> (files: [String], builtins: Set<String>) {
        let modprobe = try #require(Tools.find("modprobe"))
        var files: [String] = []
        var builtins = Set<String>()
        for name in names {
            let result = try Tools.run(modprobe, ["-d", root, "-S", version, "-C", config, "--show-depends", name])
            #expect(result.status == 0, "modprobe --show-depends \(name): \(result.stderr)")
            for line in result.stdoutText.split(separator: "\n") {
                let words = line.split(separator: " ")
                if words.first == "insmod", words.count >= 2 {
                    let marker = "/modules/\(version)/"
                    guard let range = words[1].range(of: marker) else { continue }
                    let relative = String(words[1][range.upperBound...])
                    if !files.contains(relative) { files.append(relative) }
                } else if words.first == "builtin", words.count >= 2 {
                    builtins.insert(String(words[1]))
                }
            }
        }
        return (files, builtins)
    }

    @Test("the kept closure and the initrd's load order are modprobe's")
    func closureIsModprobes() async throws {
        let scratch = try ScratchDirectory()
        let (deb, version) = try await Self.kernelDeb(scratch)

        // modprobe's view: the package extracted, indexed by depmod, no configuration.
        let root = scratch.path("root")
        let extract = try Tools.run(try #require(Tools.find("dpkg-deb")), ["-x", deb, root])
        #expect(extract.status == 0, "\(extract.stderr)")
        let config = scratch.path("empty.d")
        try FileManager.default.createDirectory(atPath: config, withIntermediateDirectories: true)
        let depmod = try Tools.run(try #require(Tools.find("depmod")), ["-b", root, "-C", config, version])
        #expect(depmod.status == 0, "\(depmod.stderr)")

        // hostimg's view: the same .deb unpacked into a tree, pruned to the same set.
        let store = try ContentStore(root: scratch.path("store"))
        var tree = MergedUsr.baseTree()
        _ = try DebUnpacker(store: store).unpack(deb, into: &tree)
        let (report, kernel) = try Drivers.prune(
            tree: &tree, store: store, request: Drivers.Request(keep: Self.keep), workDirectory: scratch.path("work"),
            depmod: try #require(Tools.find("depmod")))
        print("cloud kernel \(version): \(report.modulesBefore) modules (\(report.bytesBefore) bytes) -> \(report.modulesAfter) kept (\(report.bytesAfter) bytes) for \(Self.keep.count) names")

        let expected = try Self.modprobe(Self.keep, root: root, version: version, config: config)
        let names = { (files: [String]) in Set(files.map { Drivers.normalize(String(FileTree.name(of: $0).prefix { $0 != "." })) }) }
        let kept = Set(report.keptModules)
        #expect(kept == names(expected.files),
                "hostimg only: \(kept.subtracting(names(expected.files)).sorted()); modprobe only: \(names(expected.files).subtracting(kept).sorted())")
        #expect(report.modulesBefore > 500, "the cloud kernel has hundreds of modules, found \(report.modulesBefore)")
        // Built-ins modprobe names (erofs, crc32c...) are built-ins in the report too.
        let builtins = Set(report.builtins.map(\.module))
        #expect(expected.builtins.map(Drivers.normalize).allSatisfy(builtins.contains), "\(expected.builtins.sorted())")

        // The initrd's modules, in the order modprobe inserts them.
        let initrd = Array(Self.keep.prefix(6))
        let order = try kernel.loadOrder(for: initrd).map { String($0.split(separator: "/modules/\(version)/").last ?? "") }
        #expect(order == (try Self.modprobe(initrd, root: root, version: version, config: config)).files)

        // The regenerated indexes agree with modprobe on the pruned tree as well.
        let modulesDep = try #require(tree["/usr/lib/modules/\(version)/modules.dep"]?.content)
        let lines = String(decoding: try store.read(modulesDep), as: UTF8.self).split(separator: "\n")
        #expect(lines.count == report.modulesAfter, "modules.dep lists \(lines.count) modules, \(report.modulesAfter) are kept")
    }
}
