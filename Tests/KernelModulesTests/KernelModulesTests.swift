import Foundation
import TestSupport
import KernelModules
import Testing

@Suite struct ModuleInfoTests {
    @Test func readsEveryModinfoField() throws {
        let tree = try SyntheticTree(compress: false)
        let net = try ModuleInfo(path: try #require(tree.files["hostimg_net"]))
        #expect(net.name == "hostimg_net")
        #expect(net.path == tree.files["hostimg_net"])
        #expect(net.depends == ["hostimg_core"])
        #expect(net.aliases == [SyntheticTree.netAlias, "virtio:d00000001v*"])
        #expect(net.softdeps == ["pre: hostimg_core post: hostimg_fw"])
        #expect(net.firmware == ["hostimg/net-1.bin", "hostimg/net-2.bin"])
        #expect(net.license == "GPL v2")
        #expect(net.vermagic == SyntheticTree.vermagic)
        #expect(net.description == "hostimg test NIC")

        let core = try ModuleInfo(path: try #require(tree.files["hostimg_core"]))
        #expect(core.depends == [])
        #expect(core.authors == ["First Author", "Second Author"])
        #expect(core.fields.first == ModuleInfo.Field(key: "license", value: "GPL"))
    }

    @Test func readsXzCompressedModules() throws {
        let tree = try SyntheticTree(compress: true)
        let path = try #require(tree.files["hostimg_fw"])
        try #require(path.hasSuffix(".ko.xz"), "the xz CLI is not installed, so no compressed module was made")
        let info = try ModuleInfo(path: path)
        #expect(info.name == "hostimg_fw")
        #expect(info.depends == ["hostimg_net", "hostimg_core"])
    }

    @Test func nonModuleFileThrowsWithErrno() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path("not-a-module.ko")
        try "plain text".write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: KernelModuleError.self) { try ModuleInfo(path: path) }
        guard case .library(let operation, let errno, _, _)? = error else {
            Issue.record("expected a libkmod error, got \(String(describing: error))")
            return
        }
        #expect(operation.contains(path))
        #expect(errno != 0)
        #expect(throws: KernelModuleError.self) { try ModuleInfo(path: scratch.path("missing.ko")) }
    }

    @Test func missingDirectoryAndIndexAreExplained() throws {
        #expect(throws: KernelModuleError.directoryMissing("/nonexistent/lib/modules/0")) {
            try ModuleDirectory(directory: "/nonexistent/lib/modules/0")
        }
        let tree = try SyntheticTree(compress: false)
        let directory = try ModuleDirectory(directory: tree.directory)
        #expect(!directory.hasIndex)
        let error = #expect(throws: KernelModuleError.indexMissing(directory: tree.directory)) {
            try directory.lookup("hostimg_net")
        }
        #expect(error?.description.contains("depmod -b") == true)
        // Reading a file needs no index.
        #expect(try directory.info(ofModuleAt: try #require(tree.files["hostimg_core"])).name == "hostimg_core")
    }
}

@Suite(.enabled(if: Tools.find("modinfo") != nil, "modinfo is not installed (apt-get install kmod)"))
struct ModinfoAgreementTests {
    @Test func fieldsMatchModinfo() throws {
        let tree = try SyntheticTree(compress: true)
        let modinfo = try #require(Tools.find("modinfo"))
        for (name, path) in tree.files.sorted(by: { $0.key < $1.key }) {
            let info = try ModuleInfo(path: path)
            for field in ["depends", "alias", "firmware", "license", "vermagic", "softdep"] {
                let result = try Tools.run(modinfo, ["-F", field, path])
                #expect(result.status == 0, "modinfo -F \(field) \(path) failed: \(result.stderr)")
                let expected = result.stdoutText.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
                #expect(info.values(field) == expected, "\(name): \(field)")
            }
        }
    }
}

@Suite(.enabled(if: Tools.find("depmod") != nil, "depmod is not installed (apt-get install kmod)"))
struct ModuleIndexTests {
    /// The synthetic tree with depmod's index built, as a kernel package ships it.
    func indexedTree() throws -> SyntheticTree {
        let tree = try SyntheticTree(compress: true)
        let depmod = try Tools.run(try #require(Tools.find("depmod")), ["-b", tree.root, SyntheticTree.release])
        try #require(depmod.status == 0, "depmod failed: \(depmod.stderr)")
        return tree
    }

    @Test func looksUpNamesAliasesAndSymbols() throws {
        let tree = try indexedTree()
        let directory = try ModuleDirectory(directory: tree.directory)
        #expect(directory.hasIndex)
        let net = ModuleReference(name: "hostimg_net", path: tree.files["hostimg_net"])
        #expect(try directory.lookup("hostimg-net") == [net])
        #expect(try directory.lookup("pci:v00001AF4d00001041sv00001AF4sd00001100bc02sc00i00") == [net])
        #expect(try directory.lookup("symbol:hostimg_core_register").map(\.name) == ["hostimg_core"])
        #expect(try directory.lookup("hostimg-core-alias").map(\.name) == ["hostimg_core"])
        #expect(try directory.lookup("no-such-module") == [])
        #expect(try directory.module(named: "hostimg_fw").path == tree.files["hostimg_fw"])
        #expect(throws: KernelModuleError.moduleNotFound(name: "nope", directory: tree.directory)) {
            try directory.module(named: "nope")
        }
        #expect(try directory.info(ofModuleNamed: "hostimg_net").firmware.count == 2)
    }

    @Test func dependenciesMatchModulesDep() throws {
        let tree = try indexedTree()
        let directory = try ModuleDirectory(directory: tree.directory)
        let dependencies = try directory.dependencies(of: "hostimg_fw")
        #expect(try directory.dependencies(of: "hostimg_core") == [])

        // depmod's text index lists the same files, relative to the module directory.
        let modulesDep = try String(contentsOfFile: "\(tree.directory)/modules.dep", encoding: .utf8)
        let line = try #require(modulesDep.split(separator: "\n").first { $0.hasPrefix("kernel/drivers/hostimg/hostimg_fw.ko") })
        let listed = line.split(separator: ":")[1].split(separator: " ").map { "\(tree.directory)/\($0)" }
        // modules.dep lists nearest dependency first; load order is the reverse.
        #expect(dependencies.map(\.path) == listed.reversed())
        #expect(dependencies.map(\.name) == ["hostimg_core", "hostimg_net"])
    }
}

extension ModuleIndexTests {
    @Test(.enabled(if: Tools.find("modprobe") != nil, "modprobe is not installed (apt-get install kmod)"))
    func loadOrderMatchesModprobe() throws {
        let tree = try indexedTree()
        let directory = try ModuleDirectory(directory: tree.directory)
        let result = try Tools.run(
            try #require(Tools.find("modprobe")),
            ["--dirname", tree.root, "--set-version", SyntheticTree.release, "--show-depends", "hostimg_fw"])
        #expect(result.status == 0, "modprobe --show-depends failed: \(result.stderr)")
        // "insmod /path/to/module.ko" lines, dependencies first, the module itself last.
        let inserted = result.stdoutText.split(separator: "\n").compactMap { line -> String? in
            line.hasPrefix("insmod ") ? String(line.dropFirst("insmod ".count)).trimmingCharacters(in: .whitespaces) : nil
        }
        // hostimg_net's "softdep=pre: hostimg_core" makes modprobe print core twice.
        var seen = Set<String>()
        let unique = inserted.filter { seen.insert($0).inserted }
        let ours = try directory.dependencies(of: "hostimg_fw").compactMap(\.path) + [try #require(tree.files["hostimg_fw"])]
        #expect(unique == ours)
    }
}

/// Whatever kernel modules this machine has, checked against modinfo. Build hosts and CI
/// containers often have no /lib/modules at all; the synthetic tree covers that case.
enum HostModules {
    static let files: [String] = {
        guard let releases = try? FileManager.default.contentsOfDirectory(atPath: "/lib/modules") else { return [] }
        var found: [String] = []
        for release in releases.sorted() {
            let base = "/lib/modules/\(release)/kernel"
            guard let walker = FileManager.default.enumerator(atPath: base) else { continue }
            while let relative = walker.nextObject() as? String, found.count < 40 {
                if relative.hasSuffix(".ko") || relative.hasSuffix(".ko.xz") || relative.hasSuffix(".ko.zst") {
                    found.append("\(base)/\(relative)")
                }
            }
        }
        return found
    }()
}

@Suite(.enabled(
    if: !HostModules.files.isEmpty && Tools.find("modinfo") != nil,
    "no kernel modules under /lib/modules on this machine (or modinfo missing); the synthetic tree tests cover libkmod"))
struct HostModuleTests {
    @Test func realModulesMatchModinfo() throws {
        let modinfo = try #require(Tools.find("modinfo"))
        for path in HostModules.files {
            let info = try ModuleInfo(path: path)
            #expect(!info.name.isEmpty)
            #expect(info.license != nil, "\(path) has no license")
            let result = try Tools.run(modinfo, ["-F", "depends", path])
            let expected = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
                .split(separator: ",").map(String.init)
            #expect(info.depends == expected, "\(path)")
        }
    }
}
