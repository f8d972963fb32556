import Foundation
import Testing
@testable import Manifests

/// Engine bugs found while building the corpus, each pinned by the behaviour it must keep now
/// that it is fixed.
@Suite("Engine regressions")
struct EngineRegressionTests {
    // MARK: YAMLPrescan reads lines split on Character "\n", and "\r\n" is one Character

    @Test("CRLF: an alias used as a key is refused")
    func crlfAliasKey() throws {
        let diagnostics = try lint(bytes: Array("x: &a foo\r\ny: 1\r\n*a : bar\r\n".utf8))
        #expect(places(diagnostics) == ["yaml.alias-key 3:1"])
    }

    @Test("CRLF and CR files with long lists lint like LF files")
    func crlfFalseTooDeep() throws {
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            let packages = (0..<70).map { "    - package\($0)\n" }.joined()
            let text = "image:\n  name: many\n  version: 1.0.0\npackages:\n  include:\n" + packages + "kernel: kernels/k.yaml\n"
            try scratch.write("lf.yaml", text)
            try scratch.write("crlf.yaml", text.replacingOccurrences(of: "\n", with: "\r\n"))
            try scratch.write("cr.yaml", text.replacingOccurrences(of: "\n", with: "\r"))
            #expect(try scratch.lint("lf.yaml").diagnostics.isEmpty)
            let crlf = try scratch.lint("crlf.yaml").diagnostics
            let cr = try scratch.lint("cr.yaml").diagnostics
            #expect(crlf.isEmpty)
            #expect(cr.isEmpty)
        }
    }

    @Test("CRLF: a duplicate key is reported at its second occurrence")
    func crlfDuplicateKeyPosition() throws {
        let diagnostics = try lint(bytes: Array("a:\r\n  b: 1\r\n  b: 2\r\n".utf8))
        #expect(places(diagnostics) == ["yaml.duplicate-key 3:3"])
    }

    // MARK: YAMLPrescan misses alias keys (an alias-bomb key then hangs Yams' duplicate-key hashing)

    @Test("`*a: x` (no space before the colon) is refused as an alias key")
    func aliasKeyWithoutSpace() throws {
        let diagnostics = try lint(bytes: Array("x: &a foo\n*a: bar\n".utf8))
        #expect(places(diagnostics) == ["yaml.alias-key 2:1"])
    }

    @Test("a quote inside a plain scalar hides nothing from the key check")
    func quoteInPlainScalar() throws {
        let diagnostics = try lint(bytes: Array("x: &a foo\nnote: say \"hi\nm:\n  *a : bar\n".utf8))
        #expect(places(diagnostics) == ["yaml.alias-key 4:3"])
    }

    @Test("` | ` inside a plain key hides nothing from the key check")
    func pipeInPlainKey() throws {
        let diagnostics = try lint(bytes: Array("x: &a foo\nm:\n  a | b:\n    *a : bar\n".utf8))
        #expect(places(diagnostics) == ["yaml.alias-key 4:5"])
    }

    @Test("` ? ` inside a plain value is a plain value")
    func questionMarkInValue() throws {
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            let text = ValidInputs.manifest.replacingOccurrences(of: "  name: scratch", with: "  name: what ? now")
            try scratch.write("m.yaml", text)
            let diagnostics = try scratch.lint("m.yaml").diagnostics
            #expect(places(diagnostics) == ["schema.value 3:9"])
        }
    }

    // MARK: Duplicate keys outside block mappings

    @Test("a duplicate key in a flow mapping is reported at the second occurrence")
    func flowDuplicateKeyPosition() throws {
        let diagnostics = try lint(bytes: Array("a: {x: 1, y: 2, x: 3}\n".utf8))
        #expect(places(diagnostics) == ["yaml.duplicate-key 1:17"])
    }

    @Test("a duplicate key written quoted the second time is reported there")
    func quotedDuplicateKeyPosition() throws {
        let diagnostics = try lint(bytes: Array("a: 1\n\"a\": 2\n".utf8))
        #expect(places(diagnostics) == ["yaml.duplicate-key 2:1"])
    }

    // MARK: Messages and follow-on findings

    @Test("a document that is not a mapping: one clear schema.type, no follow-on findings")
    func notAMappingMessage() throws {
        // An explicit but empty document (`---` alone) holds nothing: yaml.empty, like an empty file.
        for (text, rule) in [("just a string\n", "schema.type"), ("- a\n- b\n", "schema.type"), ("---\n", "yaml.empty")] {
            let diagnostics = try lint(bytes: Array(text.utf8))
            #expect(diagnostics.map(\.rule) == [rule], "\(text.debugDescription)")
            #expect(diagnostics.allSatisfy { !$0.message.contains("``") }, "\(diagnostics.map(\.message))")
        }
    }

    @Test("a device is refused unread: /dev/zero would never end")
    func specialFileSize() throws {
        try #require(FileManager.default.fileExists(atPath: "/dev/zero"))
        let result = try Linter.lint(paths: ["/dev/zero"])
        #expect(result.diagnostics.map(\.rule) == ["io.unreadable"])
        #expect(result.diagnostics.first?.message == "cannot read /dev/zero: it is a character device, not a regular file")
        #expect(result.reads == 1)
    }

    @Test("a file one byte over the limit gives its exact size")
    func justOverTheLimit() throws {
        let diagnostics = try lint(bytes: [UInt8](repeating: UInt8(ascii: "#"), count: YAMLLoader.maxBytes + 1))
        #expect(diagnostics.map(\.rule) == ["yaml.too-large"])
        #expect(diagnostics.first.map { !$0.message.hasPrefix("file is 1 MiB;") } == true, "\(diagnostics.map(\.message))")
    }

    @Test("`kernel:` naming a directory: ref.kernel at the value, saying it is a directory")
    func kernelIsDirectory() throws {
        try withScratchDirectory { scratch in
            try scratch.directory("kernels/dir.yaml")
            let text = ValidInputs.manifest.replacingOccurrences(of: "kernel: kernels/k.yaml", with: "kernel: kernels/dir.yaml")
            try scratch.write("m.yaml", text)
            let diagnostics = try scratch.lint("m.yaml").diagnostics
            #expect(diagnostics.map(\.rule) == ["ref.kernel"])
            #expect(diagnostics.first?.location == SourceLocation(file: scratch.path + "/m.yaml", line: 9, column: 9))
            #expect(diagnostics.first?.message.contains("is a directory") == true)
            #expect(diagnostics.first.map { !$0.message.contains("NSCocoaErrorDomain") } == true, "\(diagnostics.map(\.message))")
        }
    }

    @Test("an overlay that is a file is said to be a file")
    func overlayIsFile() throws {
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            try scratch.write("m.yaml", ValidInputs.manifest + "overlays: [kernels/k.yaml]\n")
            let diagnostics = try scratch.lint("m.yaml").diagnostics
            #expect(places(diagnostics) == ["ref.overlay 20:12"])
            #expect(diagnostics.first.map { !$0.message.contains("does not exist") } == true, "\(diagnostics.map(\.message))")
        }
    }

    @Test("a malformed hugepages.default is reported once")
    func malformedDefaultCascade() throws {
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            let text = ValidInputs.manifest.replacingOccurrences(of: "    default: 2M", with: "    default: 2 M")
            try scratch.write("m.yaml", text)
            let diagnostics = try scratch.lint("m.yaml").diagnostics
            #expect(diagnostics.map(\.rule).contains("schema.size"))
            #expect(places(diagnostics) == ["schema.size 12:14"])
        }
    }

    @Test("a misspelt iommu.mode with vfio devices is reported once")
    func invalidModeCascade() throws {
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            let text = ValidInputs.manifest.replacingOccurrences(of: "  cpus:\n", with: """
              iommu: {mode: intell}
              vfio: {devices: ["0000:3b:00.0"]}
              cpus:

            """)
            try scratch.write("m.yaml", text)
            let diagnostics = try scratch.lint("m.yaml").diagnostics
            #expect(diagnostics.map(\.rule).contains("schema.value"))
            #expect(places(diagnostics) == ["schema.value 17:17"])
        }
    }

    // MARK: extends

    @Test("the merge keeps keys named `partial` or `extends` below the top level")
    func nestedPartialKeyDropped() throws {
        let base = try parseNode("tuning: {cpus: {sets: {partial: \"4-5\", dpdk: \"6-7\"}}}\n", file: "base.yaml")
        let top = try parseNode("tuning: {cpus: {sets: {vms: \"8-9\"}}}\n", file: "top.yaml")
        let merged = ManifestLoader.merge(base, top, path: "")
        #expect(flow(merged) == "{tuning: {cpus: {sets: {partial: 4-5, dpdk: 6-7, vms: 8-9}}}}")
    }

    @Test("a child's own repeated list items are still reported when its base has the same list")
    func duplicateItemsHiddenByMerge() throws {
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            try scratch.write("base.yaml", "partial: true\npackages: {include: [udev]}\n")
            let text = ValidInputs.manifest.replacingOccurrences(of: "    - openssh-server\n", with: "    - openssh-server\n    - openssh-server\n")
            try scratch.write("alone.yaml", text)
            try scratch.write("child.yaml", "extends: [base.yaml]\n" + text)
            #expect(places(try scratch.lint("alone.yaml").diagnostics) == ["schema.duplicate-item 9:7"])
            let child = try scratch.lint("child.yaml").diagnostics
            #expect(places(child) == ["schema.duplicate-item 10:7"])
        }
    }

    // MARK: kexec

    @Test("kexec.iommu-change fires when the target drops its iommu section")
    func kexecIOMMURemoved() throws {
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            let previous = ValidInputs.manifest.replacingOccurrences(of: "  cpus:\n", with: "  iommu: {mode: intel}\n  cpus:\n")
            try scratch.write("previous.yaml", previous)
            try scratch.write("target.yaml", ValidInputs.manifest)
            let result = try scratch.lint("target.yaml", options: LintOptions(previousManifest: scratch.path + "/previous.yaml"))
            #expect(result.diagnostics.map(\.rule) == ["kexec.iommu-change"])
        }
    }

    // MARK: The inputs that used to hang (Yams hashing a 10^9-node key)

    static func bombWithKey(_ keyLine: String, lineEnding: String = "\n") -> [UInt8] {
        Array((HostileInputTests.billionLaughs + keyLine).replacingOccurrences(of: "\n", with: lineEnding).utf8)
    }

    @Test("alias-bomb keys are refused before Yams hashes them",
          arguments: [
              bombWithKey("*i: boom\n"),
              bombWithKey("note: say \"hi\nm:\n  *i : boom\n"),
              bombWithKey("m:\n  x | y:\n    *i : boom\n"),
              bombWithKey("*i : boom\n", lineEnding: "\r\n"),
          ])
    func aliasBombKeys(_ bytes: [UInt8]) throws {
        #expect(try lint(bytes: bytes).map(\.rule) == ["yaml.alias-key"])
    }
}
