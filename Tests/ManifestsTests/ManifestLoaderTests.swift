import Foundation
import Testing
@testable import Manifests

/// YAML text → `YNode`, for tests of the merge itself.
func parseNode(_ yaml: String, file: String = "test.yaml") throws -> YNode {
    switch YAMLLoader.parse(bytes: Array(yaml.utf8), file: file) {
    case let .document(node): return node
    case let .failed(diagnostic): throw diagnostic
    }
}

/// A node as compact flow YAML, keys in their order: `{a: [1, 2], b: x}`.
func flow(_ node: YNode) -> String {
    switch node.kind {
    case let .scalar(text, _): return text
    case let .sequence(items): return "[" + items.map(flow).joined(separator: ", ") + "]"
    case let .mapping(pairs): return "{" + pairs.map { "\($0.name): \(flow($0.value))" }.joined(separator: ", ") + "}"
    }
}

@Suite("extends: merge rules")
struct MergeTests {
    private func merged(_ base: String, _ top: String) throws -> YNode {
        ManifestLoader.merge(try parseNode(base, file: "base.yaml"), try parseNode(top, file: "top.yaml"), path: "")
    }

    @Test("set-like lists are concatenated, base first, repeats dropped (the base's copy stays)", arguments: [
        "packages.include", "packages.exclude", "drivers.keep", "drivers.deny", "drivers.hardware", "locales.keep", "overlays",
    ])
    func unionLists(_ path: String) throws {
        let keys = path.split(separator: ".").map(String.init)
        func nest(_ list: String) -> String {
            keys.reversed().reduce(list) { inner, key in "{\(key): \(inner)}" }
        }
        let result = try merged(nest("[a, b]"), nest("[b, c, a, d]"))
        #expect(flow(result) == nest("[a, b, c, d]"))
        var list = result
        for key in keys { list = try #require(list[key]) }
        #expect(list.items?.map(\.location.file) == ["base.yaml", "base.yaml", "top.yaml", "top.yaml"])
        #expect(ManifestLoader.unionPaths.contains(path))
    }

    @Test("every other list is replaced by the later file's", arguments: [
        "{tuning: {hugepages: {pools: LIST}}}", "{tuning: {vfio: {devices: LIST}}}", "{tuning: {vfio: {ids: LIST}}}",
        "{tuning: {hugetlbfs: LIST}}", "{packages: {repository: {components: LIST}}}", "{extends: LIST}",
    ])
    func otherListsReplaced(_ template: String) throws {
        let result = try merged(template.replacingOccurrences(of: "LIST", with: "[base1, base2]"),
                                template.replacingOccurrences(of: "LIST", with: "[top1]"))
        #expect(flow(result) == template.replacingOccurrences(of: "LIST", with: "[top1]"))
    }

    @Test("mappings merge key by key, at every depth; base keys keep their order, new keys follow")
    func deepMerge() throws {
        let result = try merged("""
        image: {name: base, version: 1.0.0}
        tuning:
          iommu: {mode: intel}
          cpus: {housekeeping: "0", isolated: "1-3"}
        disk: {size: 8G}
        """, """
        tuning:
          iommu: {unsafeNoIommu: false}
          cpus: {isolated: "1-7"}
        image: {version: 2.0.0}
        strip: {docs: false}
        """)
        #expect(flow(result) == """
        {image: {name: base, version: 2.0.0}, tuning: {iommu: {mode: intel, unsafeNoIommu: false}, \
        cpus: {housekeeping: 0, isolated: 1-7}}, disk: {size: 8G}, strip: {docs: false}}
        """)
        #expect(result["image"]?["name"]?.location.file == "base.yaml")
        #expect(result["image"]?["version"]?.location.file == "top.yaml")
        #expect(result["tuning"]?["cpus"]?["housekeeping"]?.location == SourceLocation(file: "base.yaml", line: 4, column: 24))
    }

    @Test("a value of another kind replaces the base's outright")
    func kindChange() throws {
        #expect(flow(try merged("tuning: {cpus: {housekeeping: \"0\"}}", "tuning: x")) == "{tuning: x}")
        #expect(flow(try merged("packages: {include: [a]}", "packages: {include: b}")) == "{packages: {include: b}}")
        #expect(flow(try merged("overlays: x", "overlays: [y]")) == "{overlays: [y]}")
        #expect(flow(try merged("image: {name: a}", "image: ~")) == "{image: ~}")
    }

    @Test("`extends` and `partial` of the base are dropped by the merge")
    func baseOnlyKeys() throws {
        let result = try merged("extends: [x.yaml]\npartial: true\nimage: {name: a}\n", "image: {version: 1.0.0}\n")
        #expect(flow(result) == "{image: {name: a, version: 1.0.0}}")
    }

    @Test("repeats are recognised by text: items that are not scalars are all kept")
    func unionOfMappings() throws {
        #expect(flow(try merged("overlays: [{p: a}]", "overlays: [{p: a}, b, b]")) == "{overlays: [{p: a}, {p: a}, b, b]}")
    }
}

@Suite("extends: loading")
struct ExtendsLoadingTests {
    @Test("`partial` is never inherited; a child may be partial itself")
    func partialNotInherited() throws {
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            try scratch.write("base.yaml", "partial: true\npackages:\n  include: [systemd]\n")
            try scratch.write("child.yaml", "extends: [base.yaml]\nimage: {name: child, version: 1.0.0}\nkernel: kernels/k.yaml\n")
            try scratch.write("partial-child.yaml", "extends: [base.yaml]\npartial: true\n")
            let child = ManifestLoader.load(path: scratch.path + "/child.yaml")
            #expect(child.diagnostics.isEmpty)
            #expect(child.manifest?.partial == false)
            #expect(child.manifest?.packages?.include.map(\.value) == ["systemd"])
            let partial = ManifestLoader.load(path: scratch.path + "/partial-child.yaml")
            #expect(partial.manifest?.partial == true)
            #expect(try scratch.lint("partial-child.yaml").diagnostics.isEmpty)
        }
    }

    @Test("bases merge depth first, in the order listed, the manifest last")
    func order() throws {
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            try scratch.write("b0.yaml", "partial: true\nimage: {name: b0, version: \"0\"}\npackages: {include: [p0]}\n")
            try scratch.write("b1.yaml", "extends: [b0.yaml]\npartial: true\nimage: {name: b1}\npackages: {include: [p1]}\n")
            try scratch.write("b2.yaml", "partial: true\nimage: {name: b2}\npackages: {include: [p2, p0]}\nkernel: kernels/k.yaml\n")
            try scratch.write("m.yaml", "extends: [b1.yaml, b2.yaml]\npackages: {include: [p3]}\n")
            let loaded = ManifestLoader.load(path: scratch.path + "/m.yaml")
            #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics.map(\.message))")
            #expect(loaded.manifest?.image.name?.value == "b2")
            #expect(loaded.manifest?.image.version?.value == "0")
            #expect(loaded.manifest?.packages?.include.map(\.value) == ["p0", "p1", "p2", "p3"])
            #expect(loaded.manifest?.packages?.include.first?.location.file == scratch.path + "/b0.yaml")
            // Paths stay relative to the file that wrote them.
            #expect(loaded.kernel?.file == scratch.path + "/kernels/k.yaml")
            #expect(Array(loaded.files.prefix(4)) == ["m.yaml", "b1.yaml", "b0.yaml", "b2.yaml"].map { scratch.path + "/" + $0 })
        }
    }

    @Test("a diamond (two bases sharing a base) is not a cycle")
    func diamond() throws {
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            try scratch.write("common.yaml", "partial: true\nlocales: {keep: [en_US]}\n")
            try scratch.write("a.yaml", "extends: [common.yaml]\npartial: true\n")
            try scratch.write("b.yaml", "extends: [common.yaml]\npartial: true\n")
            try scratch.write("m.yaml", "extends: [a.yaml, b.yaml]\n" + ValidInputs.manifest)
            #expect(try scratch.lint("m.yaml").diagnostics.isEmpty)
        }
    }

    @Test("a base reached through `..` or `./` is recognised as the same file in a cycle")
    func cycleThroughOtherSpelling() throws {
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            try scratch.write("sub/b.yaml", "extends: [../a.yaml]\npartial: true\n")
            try scratch.write("a.yaml", "extends: [./sub/../sub/b.yaml]\n" + ValidInputs.manifest)
            let diagnostics = try scratch.lint("a.yaml").diagnostics
            #expect(places(diagnostics) == ["extends.cycle 1:11"])
            #expect(diagnostics.first?.location.file == scratch.path + "/sub/b.yaml")
        }
    }

    @Test("a hardware profile given in the options overrides the manifest's `hardware:`")
    func hardwareOverride() throws {
        let result = try inRepository {
            try Linter.lint(paths: [Corpus.directory + "/support/good-hardware.yaml"],
                            options: LintOptions(hardwareProfile: Corpus.directory + "/support/hardware/no-pdpe1gb.yaml"))
        }
        #expect(result.files.contains(Corpus.directory + "/support/hardware/no-pdpe1gb.yaml"))
        #expect(!result.files.contains(Corpus.directory + "/support/hardware/two-node.yaml"))
        #expect(result.diagnostics.contains { $0.rule == "hugepages.1g-cpu-flag" })
        #expect(result.diagnostics.contains { $0.rule == "cpus.unknown-cpu" })
    }
}

@Suite("Paths")
struct PathTests {
    @Test("normalize removes `.` and empty parts and resolves `..` lexically", arguments: [
        ("a/./b/../c", "a/c"), ("../x", "../x"), ("a/../../x", "../x"), ("../../a", "../../a"), ("/../x", "/x"),
        ("", "."), ("./", "."), (".", "."), ("/", "/"), ("a//b/", "a/b"), ("a/..", "."), ("/a/b/../../..", "/"),
        ("manifests/../kernels/k.yaml", "kernels/k.yaml"),
    ])
    func normalize(_ path: String, _ normal: String) {
        #expect(ManifestLoader.normalize(path) == normal)
    }

    @Test("resolve: relative to the naming file's folder; absolute paths stay", arguments: [
        ("../kernels/debian-cloud.yaml", "manifests/hv-host.yaml", "kernels/debian-cloud.yaml"),
        ("common/debian-bookworm.yaml", "manifests/hv-host.yaml", "manifests/common/debian-bookworm.yaml"),
        ("../../overlays/common", "manifests/common/debian-bookworm.yaml", "overlays/common"),
        ("k.yaml", "m.yaml", "k.yaml"),
        ("/etc/hostimg/k.yaml", "manifests/m.yaml", "/etc/hostimg/k.yaml"),
        ("x.yaml", "/abs/dir/m.yaml", "/abs/dir/x.yaml"),
    ])
    func resolve(_ relative: String, _ file: String, _ resolved: String) {
        #expect(ManifestLoader.resolve(relative, relativeTo: file) == resolved)
    }
}

@Suite("kexec rules")
struct KexecRuleTests {
    private static let target = ValidInputs.manifest.replacingOccurrences(of: "  cpus:\n", with: "  iommu:\n    mode: MODE\n  cpus:\n")

    private func lint(previous: String?, target: String) throws -> LintResult {
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            try scratch.write("target.yaml", target)
            var options = LintOptions()
            if let previous {
                try scratch.write("previous.yaml", previous)
                options.previousManifest = scratch.path + "/previous.yaml"
            }
            return try scratch.lint("target.yaml", options: options)
        }
    }

    @Test("kexec.iommu-change: the IOMMU mode differs from the running slot's")
    func modeChange() throws {
        let result = try lint(previous: Self.target.replacingOccurrences(of: "MODE", with: "intel"),
                              target: Self.target.replacingOccurrences(of: "MODE", with: "amd"))
        #expect(places(result.diagnostics) == ["kexec.iommu-change 18:11"])
        #expect(result.diagnostics.first?.location.file.hasSuffix("/target.yaml") == true)
        #expect(result.diagnostics.first?.message.contains("from intel") == true)
        #expect(result.diagnostics.first?.message.contains("to amd") == true)
        #expect(result.files.contains { $0.hasSuffix("/previous.yaml") })
    }

    @Test("the same mode, or no previous manifest, is fine", arguments: ["intel", "amd", "off"])
    func sameMode(_ mode: String) throws {
        let text = Self.target.replacingOccurrences(of: "MODE", with: mode)
        #expect(try lint(previous: text, target: text).diagnostics.isEmpty)
        #expect(try lint(previous: nil, target: text).diagnostics.isEmpty)
    }

    @Test("the previous manifest's own problems are reported too")
    func previousProblems() throws {
        let result = try lint(previous: "colour: blue\n", target: Self.target.replacingOccurrences(of: "MODE", with: "intel"))
        #expect(result.diagnostics.map(\.rule).contains("schema.unknown-key"))
    }
}
