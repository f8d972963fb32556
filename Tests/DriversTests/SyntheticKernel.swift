import ContentStore
import FileTree
import Foundation
import TestSupport
import Testing

/// One module of the fake kernel: its file under the modules directory and what
/// TestSupport's `SyntheticModule` writes into its ELF object (name and vermagic added).
struct FakeModule {
    var file: String
    var modinfo: [(String, String)] = []
    var exports: [String] = []
    var imports: [String] = []

    var name: String { String(FakeModule.baseName(file)).replacingOccurrences(of: "-", with: "_") }
    static func baseName(_ file: String) -> Substring {
        let last = file.split(separator: "/").last ?? Substring(file)
        return last.prefix { $0 != "." }
    }

    func elf(vermagic: String) -> [UInt8] {
        SyntheticModule(modinfo: modinfo + [("name", name), ("vermagic", vermagic)], exports: exports, imports: imports).elf()
    }
}

/// A tree with one fake kernel, its modules, built-ins and firmware, in a scratch store.
struct SyntheticKernel {
    static let version = "6.1.0-drivers-test"
    static let modulesPath = "/usr/lib/modules/\(version)"
    let scratch: ScratchDirectory
    let store: ContentStore
    var tree = FileTree()
    var work: String { scratch.path("work") }

    static let modules: [FakeModule] = [
        FakeModule(file: "kernel/lib/core.ko", modinfo: [("alias", "core-alias"), ("license", "GPL")], exports: ["core_register"]),
        FakeModule(
            file: "kernel/drivers/net/fake-net.ko",
            modinfo: [
                ("alias", "pci:v00001AF4d00001041sv*sd*bc*sc*i*"), ("firmware", "fake/net.bin"),
                ("softdep", "pre: crypto-crchelper post: net_post"), ("softdep", "pre: ignored_second_line"),
                ("depends", "core"),
            ],
            imports: ["core_register"]),
        FakeModule(file: "kernel/crypto/crc_helper.ko", modinfo: [("alias", "crypto-crchelper")]),
        FakeModule(file: "kernel/net/net_post.ko"),
        FakeModule(file: "kernel/lib/ignored_second_line.ko"),
        FakeModule(
            file: "kernel/drivers/block/fake_blk.ko",
            modinfo: [("alias", "pci:v00001AF4d00001042sv*sd*bc*sc*i*"), ("depends", "core")], imports: ["core_register"]),
        FakeModule(file: "kernel/drivers/md/dm-mod.ko", exports: ["dm_register_target"]),
        FakeModule(file: "kernel/drivers/md/dm-bufio.ko", modinfo: [("depends", "dm-mod")], exports: ["dm_bufio_get"], imports: ["dm_register_target"]),
        FakeModule(
            file: "kernel/drivers/md/dm-verity.ko", modinfo: [("depends", "dm-bufio,dm-mod")],
            imports: ["dm_bufio_get", "dm_register_target"]),
        FakeModule(
            file: "kernel/drivers/net/wifi.ko",
            modinfo: [("alias", "pci:v00008086d00002723sv*sd*bc*sc*i*"), ("firmware", "fake/wifi-1.bin")]),
        FakeModule(file: "kernel/drivers/block/floppy.ko", exports: ["floppy_io"]),
        FakeModule(file: "kernel/drivers/block/needs_floppy.ko", modinfo: [("depends", "floppy")], imports: ["floppy_io"]),
        FakeModule(file: "kernel/drivers/net/nic_intel.ko", modinfo: [("alias", "pci:v00008086d000010D3sv*sd*bc*sc*i*")]),
        FakeModule(file: "kernel/drivers/ata/class_only.ko", modinfo: [("alias", "pci:v*d*sv*sd*bc01sc01i*")]),
        FakeModule(file: "kernel/drivers/vfio/vfio.ko", exports: ["vfio_register"]),
        FakeModule(
            file: "kernel/drivers/vfio/pci/vfio-pci.ko",
            modinfo: [("depends", "vfio"), ("softdep", "post: vfio_iommu_type1"), ("alias", "vfio_pci:v*d*sv*sd*bc*sc*i*")],
            imports: ["vfio_register"]),
        FakeModule(file: "kernel/drivers/vfio/vfio_iommu_type1.ko", modinfo: [("depends", "vfio")], imports: ["vfio_register"]),
    ]

    static let builtinList = "kernel/drivers/nvme/host/builtin_nvme.ko\nkernel/drivers/usb/builtin-usb.ko\nkernel/crypto/builtin_crc.ko\n"
    static let builtinModinfo: [String] = [
        "builtin_nvme.alias=pci:v0000144Dd0000A80Asv*sd*bc*sc*i*", "builtin_nvme.alias=pci:v*d*sv*sd*bc01sc08i02*",
        "builtin_usb.alias=usb:v1D6Bp0002d*dc*dsc*dp*ic*isc*ip*in*", "builtin_usb.firmware=fake/usb.bin",
        "builtin_crc.alias=crypto-crc",
    ]
    /// Firmware: path → content, or a symlink target when it starts with "->".
    static let firmware: [(String, String)] = [
        ("fake/net.bin", "->net-v2.bin"), ("fake/net-v2.bin", "net firmware"), ("fake/wifi-1.bin", "wifi firmware"),
        ("fake/usb.bin", "usb firmware"), ("other/unused.bin", "unused"),
    ]

    init() throws {
        scratch = try ScratchDirectory()
        store = try ContentStore(root: scratch.path("store"))
        let vermagic = "\(Self.version) SMP mod_unload "
        for module in Self.modules {
            try add("\(Self.modulesPath)/\(module.file)", module.elf(vermagic: vermagic))
        }
        try add("\(Self.modulesPath)/modules.order", Array(Self.modules.map { $0.file + "\n" }.joined().utf8))
        try add("\(Self.modulesPath)/modules.builtin", Array(Self.builtinList.utf8))
        try add("\(Self.modulesPath)/modules.builtin.modinfo", Self.builtinModinfo.flatMap { record -> [UInt8] in Array(record.utf8) + [0] })
        try add("/boot/vmlinuz-\(Self.version)", Array("not really a kernel".utf8))
        try tree.insert(.init(.symlink("usr/lib"), mode: 0o777), at: "/lib")
        for (path, content) in Self.firmware {
            if content.hasPrefix("->") {
                try tree.insert(.init(.symlink(String(content.dropFirst(2))), mode: 0o777), at: "/usr/lib/firmware/\(path)")
            } else {
                try add("/usr/lib/firmware/\(path)", Array(content.utf8))
            }
        }
    }

    mutating func add(_ path: String, _ bytes: [UInt8]) throws {
        try tree.insert(.init(.regular(try store.put(bytes)), mode: 0o644), at: path)
    }

    func read(_ path: String) throws -> String {
        let ref = try #require(tree[path]?.content, "\(path) is not a file in the tree")
        return String(decoding: try store.read(ref), as: UTF8.self)
    }
}

