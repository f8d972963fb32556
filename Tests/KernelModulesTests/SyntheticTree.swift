import Foundation
import TestSupport

/// A fake kernel release tree: <root>/lib/modules/<release>/kernel/drivers/hostimg/...
struct SyntheticTree {
    static let release = "6.1.0-hostimg-test"
    let scratch: ScratchDirectory
    var root: String { scratch.url.path }
    var directory: String { "\(root)/lib/modules/\(Self.release)" }
    var driverDirectory: String { "\(directory)/kernel/drivers/hostimg" }
    /// File paths by module name.
    private(set) var files: [String: String] = [:]

    static let vermagic = "6.1.0-hostimg-test SMP preempt mod_unload modversions "
    static let netAlias = "pci:v00001AF4d00001041sv*sd*bc*sc*i*"

    static let modules: [(file: String, module: SyntheticModule)] = [
        (
            "hostimg_core.ko",
            SyntheticModule(
                modinfo: [
                    ("license", "GPL"), ("author", "First Author"), ("author", "Second Author"),
                    ("description", "hostimg core helpers"), ("alias", "hostimg-core-alias"),
                    ("depends", ""), ("name", "hostimg_core"), ("vermagic", vermagic),
                ],
                exports: ["hostimg_core_register"], imports: ["_printk"])
        ),
        (
            "hostimg-net.ko",
            SyntheticModule(
                modinfo: [
                    ("license", "GPL v2"), ("description", "hostimg test NIC"), ("firmware", "hostimg/net-1.bin"),
                    ("firmware", "hostimg/net-2.bin"), ("softdep", "pre: hostimg_core post: hostimg_fw"),
                    ("alias", netAlias), ("alias", "virtio:d00000001v*"), ("depends", "hostimg_core"),
                    ("name", "hostimg_net"), ("vermagic", vermagic),
                ],
                exports: ["hostimg_net_xmit"], imports: ["hostimg_core_register", "_printk"])
        ),
        (
            "hostimg_fw.ko",
            SyntheticModule(
                modinfo: [
                    ("license", "GPL"), ("description", "hostimg firmware user"),
                    ("depends", "hostimg_net,hostimg_core"), ("name", "hostimg_fw"), ("vermagic", vermagic),
                ],
                imports: ["hostimg_net_xmit", "hostimg_core_register"])
        ),
    ]

    /// Write the modules; `compress` xz-compresses hostimg_fw as distributions ship modules.
    init(compress: Bool) throws {
        scratch = try ScratchDirectory()
        try FileManager.default.createDirectory(atPath: driverDirectory, withIntermediateDirectories: true)
        for (file, module) in Self.modules {
            let path = "\(driverDirectory)/\(file)"
            try Data(module.elf()).write(to: URL(fileURLWithPath: path))
            let name = String(file.prefix { $0 != "." }).replacingOccurrences(of: "-", with: "_")
            files[name] = path
        }
        if compress, let xz = Tools.find("xz"), let plain = files["hostimg_fw"] {
            let result = try Tools.run(xz, ["--check=crc32", plain])
            if result.status == 0 { files["hostimg_fw"] = plain + ".xz" }
        }
    }
}
