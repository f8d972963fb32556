import Foundation
import Testing
@testable import Manifests

/// Issue 12: every reader of an artefact is a trust boundary. Lint reads what a manifest
/// names; these tests hold it to bounded work, regular files only, the project tree only, and
/// no quoting of files that are not manifests.

/// A scratch project: `proj/` with the usual folders, and `outside/` beside it holding what
/// stands for the build machine's files (a secret that must never show up in a message).
struct ScratchProject {
    let scratch: ScratchDirectory
    var project: String { scratch.path + "/proj" }
    var outside: String { scratch.path + "/outside" }
    static let secret = "TOPSECRET-hunter2"

    init(_ scratch: ScratchDirectory) throws {
        self.scratch = scratch
        try scratch.write("outside/secret.yaml", "password: \(Self.secret)\n")
        try scratch.write("outside/shadow", "root:\(Self.secret):19000:0:99999:7:::\n")
        try scratch.directory("outside/ssh")
        try scratch.write("outside/ssh/ssh_host_ed25519_key", "\(Self.secret)\n")
        try scratch.write("proj/kernels/k.yaml", ValidInputs.kernel)
        try scratch.directory("proj/overlays/common/etc")
    }

    /// `proj/manifests/m.yaml`: the valid manifest with `extra` lines added.
    @discardableResult
    func manifest(_ extra: String, name: String = "manifests/m.yaml") throws -> String {
        let text = ValidInputs.manifest.replacingOccurrences(of: "kernel: kernels/k.yaml", with: "kernel: ../kernels/k.yaml")
        return try scratch.write("proj/" + name, text + extra)
    }

    func lint(_ relative: String = "manifests/m.yaml", options: LintOptions = LintOptions()) throws -> LintResult {
        try Linter.lint(paths: [project + "/" + relative], options: options)
    }

    func link(_ relative: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: project + "/" + relative, withDestinationPath: target)
    }
}

/// No message may carry the text of a file that is not the manifest being linted.
func expectNoSecret(_ diagnostics: [Diagnostic], sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    for diagnostic in diagnostics {
        let text = diagnostic.message + (diagnostic.hint ?? "")
        #expect(!text.contains(ScratchProject.secret) && !text.contains("password"), "\(text)", sourceLocation: sourceLocation)
    }
}

@Suite("A: lint does bounded work on extends graphs")
struct ExtendsWorkTests {
    @Test("a 40-level diamond (each file extends both files of the level below) reads each file once")
    func diamond() throws {
        let levels = 40
        try withScratchDirectory { scratch in
            try scratch.write("l0a.yaml", "partial: true\npackages: {include: [systemd]}\n")
            try scratch.write("l0b.yaml", "partial: true\nlocales: {keep: [en_US]}\n")
            for level in 1...levels {
                for side in ["a", "b"] {
                    try scratch.write("l\(level)\(side).yaml", "extends: [l\(level - 1)a.yaml, l\(level - 1)b.yaml]\npartial: true\n")
                }
            }
            try ValidInputs.writeKernel(in: scratch)
            try scratch.write("m.yaml", "extends: [l\(levels)a.yaml, l\(levels)b.yaml]\n" + ValidInputs.manifest)
            let result = try scratch.lint("m.yaml")
            #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
            // 2 per level, the two bottom files, the manifest and its kernel file: each read once
            // (before: once per path, 2^40 times for the bottom).
            #expect(result.reads == 2 * levels + 2 + 2)
            #expect(result.files.count == 2 * levels + 2 + 2)
            let loaded = ManifestLoader.load(path: scratch.path + "/m.yaml")
            #expect(loaded.manifest?.locales.keep.map(\.value) == ["en_US"])

            // The whole folder at once: still each file once for the run.
            let folder = try Linter.lint(paths: [scratch.path])
            #expect(folder.reads == 2 * levels + 2 + 2)
            #expect(folder.diagnostics.isEmpty)
        }
    }

    @Test("a cycle inside a diamond is reported at each entry that closes it, as along every path")
    func cycleInDiamond() throws {
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            try scratch.write("b.yaml", "extends: [c.yaml]\npartial: true\n")
            try scratch.write("c.yaml", "extends: [b.yaml]\npartial: true\n")
            try scratch.write("m.yaml", "extends: [b.yaml, c.yaml]\n" + ValidInputs.manifest)
            let diagnostics = try scratch.lint("m.yaml").diagnostics
            #expect(places(diagnostics) == ["extends.cycle 1:11", "extends.cycle 1:11"])
            #expect(Set(diagnostics.map(\.location.file)) == [scratch.path + "/b.yaml", scratch.path + "/c.yaml"])
            // Each cycle as seen from the path that found it: b → c → b, then c → b → c.
            let cycles = Set(diagnostics.map { $0.message.replacingOccurrences(of: scratch.path + "/", with: "") })
            #expect(cycles == ["`extends` forms a cycle: b.yaml → c.yaml → b.yaml", "`extends` forms a cycle: c.yaml → b.yaml → c.yaml"])
        }
    }

    @Test("a base shared by two manifests linted together is read once; both still report its mistake")
    func sharedBase() throws {
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            try scratch.write("base.yaml", "partial: true\ndisk: {size: 1.5G}\n")
            try scratch.write("a.yaml", "extends: [base.yaml]\n" + ValidInputs.manifest)
            try scratch.write("b.yaml", "extends: [./base.yaml]\n" + ValidInputs.manifest)
            let together = try scratch.lint("a.yaml", "b.yaml")
            #expect(together.reads == 4)
            #expect(places(together.diagnostics) == ["schema.size 2:14"])
            #expect(places(try scratch.lint("b.yaml").diagnostics) == ["schema.size 2:14"])
        }
    }
}

@Suite("D: one-of values are replaced, not merged")
struct OneOfMergeTests {
    @Test("a derived manifest switches signing.key from env to file (and the certificate stays)")
    func signingKey() throws {
        try withScratchDirectory { scratch in
            try ValidInputs.writeKernel(in: scratch)
            try scratch.write("base.yaml", "partial: true\nsigning:\n  key: {env: HOSTIMG_KEY}\n  certificate: {env: HOSTIMG_CERT}\n")
            try scratch.write("m.yaml", "extends: [base.yaml]\nsigning:\n  key: {file: keys/signing.key}\n" + ValidInputs.manifest)
            let loaded = ManifestLoader.load(path: scratch.path + "/m.yaml")
            #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
            guard case let .file(key)? = loaded.manifest?.signing?.key else {
                Issue.record("signing.key is \(String(describing: loaded.manifest?.signing?.key))")
                return
            }
            #expect(key.value == "keys/signing.key")
            guard case let .environment(certificate)? = loaded.manifest?.signing?.certificate else {
                Issue.record("signing.certificate was not inherited")
                return
            }
            #expect(certificate.value == "HOSTIMG_CERT")
        }
    }

    @Test("signing.certificate switches from file to env", arguments: ["certificate", "key"])
    func fileToEnv(_ field: String) throws {
        let base = try parseNode("signing: {\(field): {file: a.pem}}", file: "base.yaml")
        let top = try parseNode("signing: {\(field): {env: PEM}}", file: "top.yaml")
        #expect(flow(ManifestLoader.merge(base, top, path: "")) == "{signing: {\(field): {env: PEM}}}")
    }

    @Test("the root tree's source: base.tarball replaces inherited packages, and packages replaces a tarball")
    func rootTreeSource() throws {
        let packages = try parseNode("packages: {include: [systemd]}\nimage: {name: a}", file: "base.yaml")
        let tarball = try parseNode("base: {tarball: root.tar}", file: "top.yaml")
        #expect(flow(ManifestLoader.merge(packages, tarball, path: "")) == "{image: {name: a}, base: {tarball: root.tar}}")
        #expect(flow(ManifestLoader.merge(tarball, packages, path: "")) == "{packages: {include: [systemd]}, image: {name: a}}")
        // Both in one file stay both, and lint refuses that file as before.
        let both = try parseNode("packages: {include: [a]}\nbase: {tarball: r.tar}", file: "top.yaml")
        #expect(flow(ManifestLoader.merge(packages, both, path: "")) == "{packages: {include: [systemd, a]}, image: {name: a}, base: {tarball: r.tar}}")
    }
}
